"""What the running process hands to every handler, job and page.

Settings from config.toml (config), the context every handler gets with its unit of work
(context), an answer to a member as data (answers), the per-member request limit
(ratelimit), the counters behind `/metrics` (metrics) and the pool of worker processes
for CPU-heavy work (workers).

May import storage and bot.messages (translation); never handlers, scheduler, webapp or
bot.process.
"""
