"""The chat application, grouped by concern; each package's docstring says what it holds
and what it may import (tests/unit/test_layout.py keeps those directions).

- understanding: people's words in, structured data out (dates, amounts, one-line
  customers, log and sales sentences, filter words);
- messages: what members see, one module per feature, and the translations;
- runtime: what the running process hands every handler, job and page (config, the
  per-update context, answers, workers, metrics, the request limit);
- media: pictures and sound (charts, OCR, business cards, speech);
- tables: spreadsheets in and out (reading, importing, exporting);
- process: the running process itself (Application, service, CLI, intake, processing,
  persistence, pacing, monitoring, logs, transports), the only package that may import
  handlers, scheduler and webapp.

docs/architecture.md draws the packages and the path of an update and of a reminder.
"""
