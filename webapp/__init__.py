"""The Mini App: the team's customer table inside Telegram, served by `salesbot run`."""
