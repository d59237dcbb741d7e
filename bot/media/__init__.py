"""Pictures and sound: charts drawn, photos read, voice notes heard.

Charts as PNG pictures readable on a phone (charts: matplotlib with a CJK font a package
ships), the data of /stats' and the dashboard's charts in the reader's language
(stats_charts), the lines of text in a picture (ocr: RapidOCR in a worker process of its
own), a business card read into a draft customer (businesscards) and voice notes to text
through the configured speech service (speech). Heavy work never runs on the event loop.

May import storage, bot.runtime (workers, config), bot.messages and bot.understanding;
never handlers, scheduler, webapp, bot.tables or bot.process.
"""
