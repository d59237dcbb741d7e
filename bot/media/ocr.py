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
    height: float  # of its box, in pixels
    top: float
    left: float = 0.0
    width: float = 0.0

    @property
    def size(self) -> float:
        """How large its characters are printed (the name is usually largest): the box's
        height, or its width where the line runs down the card (a vertical Chinese card:
        RapidOCR reads such a column as one line)."""
        runs_down = self.width and self.height > 1.5 * self.width and len(self.text) > 1
        return self.width if runs_down else self.height


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
        xs, ys = [point[0] for point in box], [point[1] for point in box]
        lines.append(OcrLine(str(text).strip(), max(ys) - min(ys), min(ys), min(xs),
                             max(xs) - min(xs)))
    return sorted((line for line in lines if line.text), key=lambda line: line.top)


_reader = workers.Pool(1)


async def read_lines(image: bytes) -> list[OcrLine]:
    return await _reader.run(recognise, image)


def reader_pids() -> list[int]:
    """The worker's process id once started (the bench reports its memory)."""
    return _reader.pids()
