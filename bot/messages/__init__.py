"""What members see: every card, list and keyboard, one module per feature, in the
member's language.

The customer card and a lookup's results (customers), the log card and the timeline
(interactions), follow-ups and nudges as they arrive (reminders), the morning digest
(digest), likely duplicates and merges (duplicates), a record's history (history), the
team and the weekly summary (team), data quality (quality), purchases, deals, the
pipeline and satisfaction (sales), an import's cards (imports) and /stats in words
(stats); the words every card shares (labels), buttons (keyboards) and a domain error as
a sentence (errors). Translation lives here too: gettext catalogs (i18n, with the .po
files in locales/) and the check that every message the code asks for is translated
(catalog). Every user-supplied string is HTML-escaped where a card puts it in.

Cards are plain functions of plain values that never touch the database. May import
storage (its models and the plain objects its services return) and bot.understanding
(money); never bot.runtime, bot.tables, bot.media or bot.process.
"""
