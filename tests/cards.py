"""Business-card pictures drawn for the tests and the bench, in eleven layout families,
each card with its truth (tests/card_meanings.py) and the lines as printed.

Families: a left column; centred; name and title on one line; the company below the
name; a dark band; two columns (who on the left, contacts on the right); a vertical
Chinese card (a portrait card in English); a logo and a QR code beside the text; several
phones, emails and a fax; a brand printed above the name; right-aligned. Contact lines
carry labels with a colon, with a space, glued to the value, or none, in the card's
language or the other one. Each picture is then photographed: flat, rotated up to 5
degrees, blurred, unevenly lit, or rotated and blurred, with speckle and JPEG
compression. `dev_cards` and `held_out_cards` draw from the two styles with their own
seeds; the held-out ones are read by bench/cards.py only.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import mplfonts
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bot.media.ocr import OcrLine
from bot.understanding.cards import CardFields
from tests.card_meanings import DEV, HELD_OUT, Style, Truth, make_truth

FONTS = Path(mplfonts.__file__).parent / "fonts"
PAPER, INK, GREY = (250, 250, 245), (20, 20, 20), (70, 70, 70)
# Held-out seeds spent (measured, then rules mended by family): 91733.
DEV_SEED, HELD_OUT_SEED = 20261206, 48611


@dataclass(frozen=True)
class Printed:
    """One line as drawn: what an ideal OCR would read, and where."""

    text: str
    left: int
    top: int
    width: int
    height: int
    vertical: bool = False

    def as_ocr(self) -> OcrLine:
        return OcrLine(self.text, float(self.height), float(self.top), float(self.left),
                       float(self.width))


@dataclass
class Sheet:
    width: int
    height: int
    font_file: str
    image: Image.Image = field(init=False)
    pen: ImageDraw.ImageDraw = field(init=False)
    printed: list[Printed] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.image = Image.new("RGB", (self.width, self.height), PAPER)
        self.pen = ImageDraw.Draw(self.image)

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(FONTS / self.font_file), size)

    def measure(self, text: str, size: int) -> tuple[int, int]:
        box = self.pen.textbbox((0, 0), text, font=self.font(size))
        return int(box[2] - box[0]), int(box[3] - box[1])

    def write(self, text: str, size: int, x: int, y: int, align: str = "left",
              colour: tuple[int, int, int] = INK, room: int | None = None) -> int:
        """Draws one line (smaller until it fits `room` pixels); returns the next y."""
        room = room or self.width - 80
        while size > 14 and self.measure(text, size)[0] > room:
            size -= 1
        width, height = self.measure(text, size)
        left = {"left": x, "centre": x - width // 2, "right": x - width}[align]
        box = self.pen.textbbox((left, y), text, font=self.font(size))
        self.pen.text((left, y), text, font=self.font(size), fill=colour)
        self.printed.append(Printed(text, int(box[0]), int(box[1]), width, height))
        return y + height + max(12, size // 2)

    def write_down(self, text: str, size: int, x: int, y: int) -> int:
        """A vertical line, one character under the other; returns the next x to the left."""
        step = int(size * 1.15)
        for index, char in enumerate(text):
            self.pen.text((x, y + index * step), char, font=self.font(size), fill=INK)
        self.printed.append(Printed(text, x, y, size, step * len(text), vertical=True))
        return x - int(size * 1.8)


# ---- contact lines ---------------------------------------------------------------------------

def contact_lines(truth: Truth, style: Style, rng: random.Random,
                  sheet: Sheet) -> list[str]:
    """The phones, fax, emails, address and website as printed, labelled one way."""
    labels = style.cn_labels if truth.chinese else style.en_labels
    mode = rng.choice(("colon", "space", "glued", "none"))
    colon = rng.choice(("：", ":")) if truth.chinese else ": "

    def labelled(words: tuple[str, ...], value: str, *, always: bool = False) -> str:
        word = rng.choice(words)
        if mode == "none" and not always:
            return value
        if mode == "glued" and len(word) > 1 and not always:
            sheet.labels.add(word)
            return word + value
        sheet.labels.add(word)
        return word + (colon if mode == "colon" or always else " ") + value

    lines = [labelled(labels.mobile if index == 0 else labels.office, printed)
             for index, printed in enumerate(truth.printed_phones)]
    if truth.fax:
        lines.append(labelled(labels.fax, truth.fax, always=True))
    lines += [labelled(labels.email, email) for email in truth.emails]
    lines.append(labelled(labels.address, truth.address)
                 if rng.random() < 0.7 else truth.address)
    lines.append(labelled(labels.web, truth.website) if rng.random() < 0.5 else truth.website)
    return lines


# ---- layout families -------------------------------------------------------------------------

Layout = Callable[[Truth, Style, random.Random], Sheet]


def _landscape(style: Style, rng: random.Random) -> Sheet:
    return Sheet(1000, 600, rng.choice(style.fonts))


def _sizes(rng: random.Random) -> tuple[int, int, int, int]:
    """name, title, company, contact line."""
    return rng.randint(46, 60), rng.randint(26, 30), rng.randint(28, 34), rng.randint(21, 25)


def left_column(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    y = sheet.write(truth.company, company, 60, 36)
    y = sheet.write(truth.name, name, 60, y + 6)
    y = sheet.write(truth.title, title, 60, y, colour=GREY)
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small, 60, y)
    return sheet


def centred(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    y = sheet.write(truth.name, name, 500, 36, "centre")
    y = sheet.write(truth.title, title, 500, y, "centre", GREY)
    y = sheet.write(truth.company, company, 500, y + 4, "centre")
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small, 500, y, "centre")
    return sheet


def name_and_title_on_one_line(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    y = sheet.write(truth.company, company, 60, 36)
    if rng.random() < 0.5:  # the title smaller, beside the name
        top = y + 8
        sheet.write(truth.name, name, 60, top)
        after = 60 + sheet.measure(truth.name, name)[0] + rng.randint(18, 36)
        y = sheet.write(truth.title, title, after, top + name - title - 4)
        y = max(y, top + name + 20)
    else:  # one line, one size, a space between
        y = sheet.write(f"{truth.name} {truth.title}", rng.randint(36, 44), 60, y + 8)
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small, 60, y)
    return sheet


def company_below(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    y = sheet.write(truth.name, name, 60, 30)
    y = sheet.write(truth.title, title, 60, y, colour=GREY)
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small, 60, y)
    sheet.write(truth.company, company + 2, 60, max(y + 6, 520))
    return sheet


def band(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    sheet.pen.rectangle((0, 0, sheet.width, 92), fill=(30, 60, 110))
    sheet.write(truth.company, company, 60, 28, colour=(255, 255, 255))
    y = sheet.write(truth.name, name, 60, 118)
    y = sheet.write(truth.title, title, 60, y, colour=GREY)
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small - 1, 60, y)
    return sheet


def two_columns(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    y = sheet.write(truth.name, name, 50, 170, room=400)
    y = sheet.write(truth.title, title, 50, y, colour=GREY, room=400)
    sheet.write(truth.company, company - 4, 50, y + 10, room=400)
    sheet.pen.line((500, 80, 500, 520), fill=(160, 160, 160), width=2)
    y = 110
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small - 2, 530, y, room=440)
    return sheet


def vertical(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    """Chinese: name, title and company in columns read right to left, the contacts
    across the foot. English: a portrait card, centred."""
    sheet = Sheet(620, 1000, rng.choice(style.fonts))
    name, title, company, small = _sizes(rng)
    if not truth.chinese:
        y = sheet.write(truth.company, company - 2, 310, 60, "centre", room=560)
        y = sheet.write(truth.name, name, 310, y + 80, "centre", room=560)
        y = sheet.write(truth.title, title, 310, y, "centre", GREY, room=560)
        y += 60
        for line in contact_lines(truth, style, rng, sheet):
            y = sheet.write(line, small - 2, 310, y, "centre", room=560)
        return sheet
    x = sheet.write_down(truth.name, name, 520, 60)
    x = sheet.write_down(truth.title, title, x + 20, 80)
    sheet.write_down(truth.company, company - 6, x, 80)
    y = 1000 - 36 * 6 - 40
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small - 3, 40, y, room=540)
    return sheet


def _logo(sheet: Sheet, truth: Truth, x: int, y: int, rng: random.Random) -> None:
    colour = rng.choice(((200, 40, 40), (30, 90, 160), (20, 130, 80)))
    sheet.pen.ellipse((x, y, x + 110, y + 110), fill=colour)
    mark = truth.company[2] if truth.chinese else truth.company[0]
    sheet.pen.text((x + 28, y + 18), mark, font=sheet.font(60), fill=(255, 255, 255))


def _qr(sheet: Sheet, x: int, y: int, rng: random.Random) -> None:
    cell = 6
    for row in range(25):
        for column in range(25):
            if rng.random() < 0.5:
                sheet.pen.rectangle((x + column * cell, y + row * cell,
                                     x + column * cell + cell - 1, y + row * cell + cell - 1),
                                    fill=INK)
    for fx, fy in ((0, 0), (18, 0), (0, 18)):  # the three finder squares
        sheet.pen.rectangle((x + fx * cell, y + fy * cell, x + (fx + 7) * cell - 1,
                             y + (fy + 7) * cell - 1), fill=INK)
        sheet.pen.rectangle((x + (fx + 1) * cell, y + (fy + 1) * cell,
                             x + (fx + 6) * cell - 1, y + (fy + 6) * cell - 1), fill=PAPER)
        sheet.pen.rectangle((x + (fx + 2) * cell, y + (fy + 2) * cell,
                             x + (fx + 5) * cell - 1, y + (fy + 5) * cell - 1), fill=INK)


def logo_and_qr(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    _logo(sheet, truth, 40, 40, rng)
    y = sheet.write(truth.company, company, 180, 50, room=620)
    y = sheet.write(truth.name, name, 180, y + 10, room=620)
    y = sheet.write(truth.title, title, 180, y, colour=GREY, room=620)
    _qr(sheet, 820, 420, rng)
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small - 1, 180, y, room=600)
    return sheet


def many_contacts(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    y = sheet.write(truth.name, name - 6, 60, 24)
    y = sheet.write(truth.title, title - 2, 60, y, colour=GREY)
    y = sheet.write(truth.company, company - 4, 60, y)
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small - 3, 60, y - 4)
    return sheet


def brand_above(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    """The company printed as a brand, larger than the name, with no 公司 or Ltd."""
    sheet = _landscape(style, rng)
    name, title, _, small = _sizes(rng)
    y = sheet.write(truth.company, name + 8, 500, 30, "centre")
    y = sheet.write(f"{truth.name}  {truth.title}", title + 6, 500, y + 10, "centre")
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small, 500, y, "centre")
    return sheet


def right_aligned(truth: Truth, style: Style, rng: random.Random) -> Sheet:
    sheet = _landscape(style, rng)
    name, title, company, small = _sizes(rng)
    sheet.write(truth.company, company - 4, 40, 30, room=420)
    y = sheet.write(truth.name, name, 950, 90, "right")
    y = sheet.write(truth.title, title, 950, y, "right", GREY)
    for line in contact_lines(truth, style, rng, sheet):
        y = sheet.write(line, small, 950, y, "right")
    return sheet


FAMILIES: dict[str, Layout] = {
    "left column": left_column, "centred": centred,
    "name and title on one line": name_and_title_on_one_line,
    "company below": company_below, "band": band, "two columns": two_columns,
    "vertical": vertical, "logo and QR": logo_and_qr, "many contacts": many_contacts,
    "brand above": brand_above, "right-aligned": right_aligned,
}


# ---- the photograph --------------------------------------------------------------------------

def photograph(image: Image.Image, rng: random.Random) -> tuple[bytes, str]:
    condition = rng.choice(("flat", "rotated", "blurred", "uneven light", "rotated, blurred"))
    for _ in range(1500):  # speckle
        shade = rng.randrange(120, 220)
        image.putpixel((rng.randrange(image.width), rng.randrange(image.height)),
                       (shade, shade, shade))
    if "uneven" in condition:  # a shadow across one side, down to about half the light
        darkest = rng.uniform(0.45, 0.65)
        ramp = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270)))
        ramp = ramp.resize(image.size).point(lambda v: int(255 * (darkest + (1 - darkest)
                                                                  * v / 255)))
        image = Image.composite(image, Image.new("RGB", image.size, (0, 0, 0)), ramp)
    if "blurred" in condition:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.9, 1.5)))
    if "rotated" in condition:
        image = image.rotate(rng.uniform(-5, 5), expand=True, fillcolor=PAPER)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.randrange(55, 85))
    return out.getvalue(), condition


# ---- card sets -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    truth: Truth
    family: str
    condition: str
    image: bytes
    printed: tuple[Printed, ...]
    labels: frozenset[str]  # the label words printed on it


def draw(style: Style, family: str, chinese: bool, seed: int) -> Card:
    rng = random.Random(seed)
    many = family == "many contacts"
    truth = make_truth(style, rng, chinese, phones=2 if many else 1, emails=2 if many else 1,
                       fax=many or rng.random() < 0.2)
    if family == "brand above":  # the brand alone: the core and the trade
        brand = re.sub(r"(有限|股份|集团|实业|责任|公司).*$", "", truth.company) if chinese \
            else " ".join(truth.company.split()[:-1]).rstrip(",")
        truth = replace(truth, company=brand)
    return print_card(truth, family, style, rng)


def print_card(truth: Truth, family: str, style: Style, rng: random.Random) -> Card:
    sheet = FAMILIES[family](truth, style, rng)
    image, condition = photograph(sheet.image, rng)
    return Card(truth, family, condition, image, tuple(sheet.printed), frozenset(sheet.labels))


def known(truth: Truth, family: str = "left column", seed: int = 1) -> bytes:
    """A photo of one of the people below, for the flow and end-to-end tests."""
    return print_card(truth, family, DEV, random.Random(seed)).image


WANG = Truth("王小明", "销售总监", "上海星辰物流有限公司", ("+8613812345678",),
             ("wxm@star-logistics.cn",), "上海市浦东新区世纪大道100号", "www.star-logistics.cn",
             chinese=True, printed_phones=("138 1234 5678",), fax="")
LI = Truth("李娜", "采购经理", "北京华信科技股份有限公司", ("+8613901234567",),
           ("lina@huaxin.com.cn",), "北京市海淀区中关村大街27号", "www.huaxin.com.cn",
           chinese=True, printed_phones=("139-0123-4567",), fax="")
SMITH = Truth("John Smith", "Sales Director", "Acme Logistics Ltd", ("+16502530000",),
              ("john.smith@acmelogistics.com",), "1600 Amphitheatre Parkway, Suite 200",
              "www.acmelogistics.com", chinese=False, printed_phones=("+1 (650) 253-0000",),
              fax="")


def cards(style: Style, seed: int, per_family: int) -> list[Card]:
    """`per_family` cards of each family, Chinese and English in turn."""
    return [draw(style, family, (index + offset) % 2 == 0, seed * 1000 + index * 50 + offset)
            for offset, family in enumerate(FAMILIES) for index in range(per_family)]


def dev_cards(per_family: int = 6) -> list[Card]:
    return cards(DEV, DEV_SEED, per_family)


def held_out_cards(per_family: int = 8) -> list[Card]:
    return cards(HELD_OUT, HELD_OUT_SEED, per_family)


# ---- scoring ---------------------------------------------------------------------------------

FIELDS = ("name", "title", "company", "phone", "email", "address", "website")


def _same(found: str | None, expected: str) -> bool:
    """Spaces and commas are what OCR most often drops; they do not make a field wrong."""
    def plain(value: str | None) -> str:
        return re.sub(r"[\s,.，。]|^https?://", "", value or "").casefold()

    return plain(found) == plain(expected)


def correct(fields: CardFields, truth: Truth) -> dict[str, bool]:
    """Per field; the phones and emails right when exactly the printed ones were read
    (no fax, none missing)."""
    return {
        "name": _same(fields.name, truth.name), "title": _same(fields.title, truth.title),
        "company": _same(fields.company, truth.company),
        "phone": set(fields.phones) == set(truth.phones),
        "email": {e.casefold() for e in fields.emails} == {e.casefold() for e in truth.emails},
        "address": _same(fields.address, truth.address),
        "website": _same(fields.website, truth.website),
    }


def leaked_labels(fields: CardFields, card: Card) -> list[str]:
    """Label words printed on the card found inside a value that does not hold them."""
    truth = card.truth
    pairs = [(fields.name, truth.name), (fields.title, truth.title),
             (fields.company, truth.company), (fields.address, truth.address),
             (fields.website, truth.website), *((e, " ".join(truth.emails))
                                               for e in fields.emails)]
    return [f"{label} in {value!r}" for label in card.labels if len(label) > 1
            for value, meant in pairs
            if value and label.casefold() in value.casefold()
            and label.casefold() not in meant.casefold()]
