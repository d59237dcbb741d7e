"""The CRM core: models, the unit of work and the services, free of Telegram.

Where every service finds them: the models (models), the engine and the unit of work
(database), the one clock (clock), domain errors (errors), turning typed text into values
fit to store (validation), Alembic migrations (migrate, migrations/).

The services, one module a feature: customers (create, change, tag, merge), interactions
(the timeline), reminders (follow-ups as rows: scheduled, claimed by the sweep, confirmed
after sending), nudges (customers gone quiet, details to confirm), dedupe (duplicate
groups and merges), users (members, roles, visibility, invites), team (hand-overs and the
weekly summary), audit and privacy (who changed what; export and erasure of one
customer), quality (missing details per owner), filters (the customers a filter chooses,
as SQL), exports (the table out as rows), table (the Mini App's customer table and card),
backup and encryption (the SQLite file), inbox, instance and botstate (Telegram's updates
kept until handled, the one active instance, flows' state). Features of several files are
packages: imports/ (a sheet's rows checked, previewed, written), search/ (the lookup and
its pinyin) and sales/ (purchases, deals, value, satisfaction, stats, segments).

May import nothing of ours outside storage, and never telegram: a service takes plain
values and a session and returns plain objects, so the same core serves the chat, the
console, imports, the scheduler and the tests.
"""
