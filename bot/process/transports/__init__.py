"""How the Application meets the Bot API: Telegram, a console, an in-process fake."""
