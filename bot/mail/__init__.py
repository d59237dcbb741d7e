"""Email out: a campaign's template checked and filled in per customer (templates), and each
message built with its one-click unsubscribe headers and handed to the team's own SMTP
server (sending).

May import storage, bot.runtime (config), bot.messages and bot.understanding; never
handlers, scheduler, webapp, bot.media, bot.tables or bot.process.
"""
