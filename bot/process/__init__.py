"""The running process: how salesbot starts, meets Telegram, keeps order and stops.

The Application and what it is built from (app), `salesbot run` with its one active
instance (service), the command line (cli, and cli_tables for `import`/`export` on the
server), where updates come in and are stored first (intake), handled in chat order
(processing), flows kept in the database (persistence), Telegram's flood limits (pacing),
`/healthz` and `/metrics` (monitoring), the log (logs), and the transports: Telegram by
long polling or webhook, the console, and the in-process fake Bot API.

This is the composition root. May import every other package: handlers, scheduler, webapp,
the rest of bot and storage. Nothing but `bot/__main__.py` imports it (and the tests and
benchmarks, which drive it).
"""
