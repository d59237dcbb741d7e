"""Tables in and out: the team's spreadsheets read, imported and written back.

Files to tables of text and tables to xlsx/csv bytes (spreadsheets: python-calamine,
charset-normalizer, rustpy-xlsxwriter), an import from file to records with its preview
and result file (importing), confirmed imports run in the background and resumed at
start (import_runner), and the export as a file in the member's language (exporting).
The rows themselves are checked and written by storage/imports/; reading and writing
files, and the heavy work, runs in the worker processes (bot/runtime/workers.py).

May import storage, bot.runtime, bot.messages and bot.understanding; never handlers,
scheduler, webapp or bot.process.
"""
