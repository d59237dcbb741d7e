"""Finding a customer from whatever someone starts typing.

The one search over code, name, pinyin, company, phone digits, email and tags, on a table
of search terms read as key ranges, and its ranking (lookup: its docstring explains the
design); the forms of a name people type when they look for it, pinyin and initials
(names); and pypinyin's dictionaries made small, with the data files beside it
(pinyin_table).

Like all of storage, it may import the rest of storage; never telegram or bot.
"""
