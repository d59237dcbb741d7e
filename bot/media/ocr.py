"""The lines of text in a picture, read by RapidOCR (rapidocr-onnxruntime: its wheel
carries the Chinese and English models, nothing is downloaded at run time) in a worker
process of its own, started on the first picture and ended when idle (bot/runtime/
workers.py): the bot's own memory does not grow when someone sends a card.

The worker is kept small where the measurement showed its memory goes (88 held-out cards,
1000 x 600 px; the models, onnxruntime and OpenCV take 130 MB once loaded):
- text is found on the picture scaled down to at most DETECT_SIDE px a side, and read from
  crops of the full picture: detection's working memory grows with the pixels it is
  given (+360 MB for RapidOCR's own 1227 x 736 input of such a card, and a 4000 px phone
  photo would have needed over a gigabyte), while reading needs the detail;
- lines are read one at a time (RapidOCR's batches of six padded every line to the
  widest: about 100 MB more);
- glibc keeps what a card freed in its heap (the worker stayed at 490 MB after twelve
  cards), so it is handed back to the system after each card (`malloc_trim`);
- every block of LARGE_BLOCK or more (detection's tensors) is a mapping of its own, given
  back when freed: glibc's default moves that threshold up as such blocks are freed, and
  the tensors of later cards then came from a heap fragmented by the earlier ones. The
  peak over 12 cards went from 301-311 MB to 248-255 MB (1 to 3 MB: the same peak, and up
  to twice the time; 4 MB costs about 0.07 s a card);
- DETECT_SIDE is 896 px, not 960: 238-245 MB at the peak against 252-260 MB, and on the
  development cards the same number of fields right (65 of 66 emails instead of 66, every
  name and company instead of 65 of each).
Together: about +110 MB while a card is read, none after it; the held-out accuracy is in
docs/performance.md.

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


DETECT_SIDE = 896
LARGE_BLOCK = 4 * 2**20  # see the module's docstring
_engine: Any = None


def recognise(image: bytes) -> list[OcrLine]:
    """In the worker: the lines RapidOCR reads, top to bottom."""
    try:
        return _read(image)
    except (OSError, ValueError):  # not a picture (PIL's UnidentifiedImageError is an OSError)
        return []
    finally:
        workers.return_freed_memory()


def _read(image: bytes) -> list[OcrLine]:
    import cv2  # loaded in the worker only, with RapidOCR
    import numpy as np

    engine = _loaded_engine()
    picture = engine.load_img(image)
    height, width = picture.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(height, width))
    small = picture if scale == 1.0 else cv2.resize(
        picture, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    boxes, _ = engine.text_det(small)
    if boxes is None or len(boxes) == 0:
        return []
    boxes = [(box / scale).astype(np.float32) for box in engine.sorted_boxes(boxes)]
    crops, _, _ = engine.text_cls(engine.get_crop_img_list(picture, boxes))
    read, _ = engine.text_rec(crops)
    lines = []
    for box, (text, score, *_) in zip(boxes, read, strict=True):
        if score >= engine.text_score and str(text).strip():
            xs, ys = box[:, 0], box[:, 1]
            lines.append(OcrLine(str(text).strip(), float(ys.max() - ys.min()),
                                 float(ys.min()), float(xs.min()), float(xs.max() - xs.min())))
    return sorted(lines, key=lambda line: line.top)


def _loaded_engine() -> Any:
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR  # loaded in the worker only

        workers.map_blocks_from(LARGE_BLOCK)

        # Detection is given a picture already scaled to DETECT_SIDE: its own "at least
        # 736 px" would scale a small one up again.
        _engine = RapidOCR(det_limit_side_len=32, rec_batch_num=1, cls_batch_num=1)
        workers.return_freed_memory()  # what loading the models left: 15 MB
    return _engine


_reader = workers.Pool(1, "ocr")


async def read_lines(image: bytes) -> list[OcrLine]:
    return await _reader.run(recognise, image)


def reader_pids() -> list[int]:
    """The worker's process id once started (the bench reports its memory)."""
    return _reader.pids()
