"""Reading business cards: the field accuracy over 30 generated cards (tests/cards.py)."""

from __future__ import annotations

import pytest

from bot.media.businesscards import CardFields, fields_from, without_label
from bot.media.ocr import OcrLine, recognise
from tests.cards import FIELDS, card_set, correct
from tests.conftest import PG_URL


def accuracy() -> dict[str, float]:
    """In this process, one card after another: onnxruntime already uses both cores (two
    worker processes took 39 s instead of 30)."""
    cards = card_set()
    right = dict.fromkeys(FIELDS, 0)
    for truth, image in cards:
        for field, ok in correct(fields_from(recognise(image), "CN"), truth).items():
            right[field] += ok
    return {field: right[field] / len(cards) for field in FIELDS}


@pytest.mark.skipif(bool(PG_URL), reason="no database in it: run once, in the SQLite pass")
def test_every_field_is_read_right_on_at_least_90_percent_of_30_cards() -> None:
    assert len(card_set()) >= 30
    scores = accuracy()
    assert {f: s for f, s in scores.items() if s < 0.9} == {}, scores


def test_lines_are_sorted_into_fields_in_both_languages() -> None:
    def lines(*texts: tuple[str, float]) -> list[OcrLine]:
        return [OcrLine(text, height, top * 40) for top, (text, height) in enumerate(texts)]

    chinese = fields_from(lines(("深圳前海贸易集团", 40), ("欧阳晓峰总经理", 70),
                                ("传真：0755-2345 6789", 30), ("手机：150 1234 5678", 30),
                                ("邮箱：ouyang@qhtrade.cn", 30), ("深圳市南山区科技园南路8号", 30),
                                ("www.qhtrade.cn", 30)), "CN")
    assert (chinese.name, chinese.title, chinese.company) == (
        "欧阳晓峰", "总经理", "深圳前海贸易集团")
    assert chinese.phones == ["+8615012345678"]  # not the fax
    assert chinese.address == "深圳市南山区科技园南路8号" and chinese.website == "www.qhtrade.cn"
    english = fields_from(lines(("Mary Chen", 70), ("Purchasing Manager", 40),
                                ("Globex Trading Co.", 40), ("M +1 (415) 555-0123", 30),
                                ("mary.chen@globex-trading.com", 30),
                                ("500 Market Street, Floor 12", 30)), "CN")
    assert (english.name, english.title, english.company) == (
        "Mary Chen", "Purchasing Manager", "Globex Trading Co.")
    assert english.phones == ["+14155550123"]
    assert english.emails == ["mary.chen@globex-trading.com"]
    assert english.address == "500 Market Street, Floor 12"
    assert fields_from([], "CN") == CardFields()


@pytest.mark.parametrize(("printed", "value"), [
    # with a colon, without one, glued to the value: the label is never part of it
    ("邮箱：wang@acme.cn", "wang@acme.cn"), ("邮箱wang@acme.cn", "wang@acme.cn"),
    ("电子邮箱 wang@acme.cn", "wang@acme.cn"), ("Emailjohn@acme.com", "john@acme.com"),
    ("E-mail: john@acme.com", "john@acme.com"), ("emailjohn@acme.com", "john@acme.com"),
    ("Mobile 138-1234-5678", "138-1234-5678"), ("手机13812345678", "13812345678"),
    ("Tel.(010) 8888 6666", "(010) 8888 6666"), ("T 010-88886666", "010-88886666"),
    ("地址上海市浦东新区张江路88号", "上海市浦东新区张江路88号"),
    ("Address 1 Main Street", "1 Main Street"), ("Add: Room 301", "Room 301"),
    ("网址www.acme.cn", "www.acme.cn"), ("Web www.acme.com", "www.acme.com"),
    # a first word that only looks like a label stays
    ("Mobile World Ltd", "Mobile World Ltd"), ("网站建设有限公司", "网站建设有限公司"),
    ("email@acme.com", "email@acme.com"), ("mail@acme.com", "mail@acme.com"),
    ("Addison Lee", "Addison Lee"), ("Telstra Group", "Telstra Group"),
])
def test_a_label_is_never_part_of_the_value(printed: str, value: str) -> None:
    assert without_label(printed) == value


def test_labels_without_a_colon_give_clean_fields() -> None:
    card = fields_from([OcrLine("王小明", 70, 0), OcrLine("上海贸易有限公司", 40, 40),
                        OcrLine("邮箱wang@acme.cn", 30, 80),
                        OcrLine("Mobile 138-1234-5678", 30, 120),
                        OcrLine("地址上海市浦东新区张江路88号", 30, 160)], "CN")
    assert (card.name, card.company) == ("王小明", "上海贸易有限公司")
    assert card.emails == ["wang@acme.cn"] and card.phones == ["+8613812345678"]
    assert card.address == "上海市浦东新区张江路88号"


def test_a_brand_printed_above_the_name_is_the_company_not_the_name() -> None:
    """A brand with no 公司 or Ltd in it has a name's shape; printed larger above a name
    with its title, it had been read as the name (and the real name lost)."""
    card = fields_from([OcrLine("星辰物流", 70, 0), OcrLine("王小明 销售总监", 45, 40),
                        OcrLine("手机 138 1234 5678", 28, 80)], "CN")
    assert (card.name, card.title, card.company) == ("王小明", "销售总监", "星辰物流")
    english = fields_from([OcrLine("Star Logistics", 70, 0),
                           OcrLine("John Smith Sales Director", 45, 40)], "CN")
    assert (english.name, english.title, english.company) == (
        "John Smith", "Sales Director", "Star Logistics")
