"""A photo of a business card (or a screenshot of a contact card) read into a draft
customer: the OCR worker (bot/media/ocr.py) finds the lines, bot/understanding/cards.py
says which line is which. The measured accuracy per field, on development and held-out
cards, is in docs/performance.md.
"""

from __future__ import annotations

from bot.media.ocr import read_lines
from bot.understanding.cards import CardFields, fields_from


async def read_card(image: bytes, region: str) -> CardFields:
    return fields_from(await read_lines(image), region)
