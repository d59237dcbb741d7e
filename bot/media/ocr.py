"""The lines of text in a picture, read by RapidOCR (rapidocr-onnxruntime: its wheel
carries the Chinese and English models, nothing is downloaded at run time) in a worker
process of its own, started on the first picture: the models, onnxruntime and OpenCV take
about 600 MB there, and the bot's own memory does not grow until someone sends a card.

This module is what the worker imports, so it imports nothing of the bot's own but the
pool: importing storage (SQLAlchemy, pypinyin's dictionaries) in the worker made the
first card 0.9 s slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.runtime import workers


@dataclass(frozen=True)
class OcrLine:
    text: str
    height: float  # of its box, in pixels: the name is usually printed largest
    top: float


_engine: Any = None


def recognise(image: bytes) -> list[OcrLine]:
    """In the worker: the lines RapidOCR reads, top to bottom."""
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR  # loaded in the worker only

        _engine = RapidOCR()
    try:
        found, _ = _engine(image)
    except (OSError, ValueError):  # not a picture (PIL's UnidentifiedImageError is an OSError)
        return []
    lines = []
    for box, text, _score in found or []:
        ys = [point[1] for point in box]
        lines.append(OcrLine(str(text).strip(), max(ys) - min(ys), min(ys)))
    return sorted((line for line in lines if line.text), key=lambda line: line.top)


_reader = workers.Pool(1)


async def read_lines(image: bytes) -> list[OcrLine]:
    return await _reader.run(recognise, image)


def reader_pids() -> list[int]:
    """The worker's process id once started (the bench reports its memory)."""
    return _reader.pids()
