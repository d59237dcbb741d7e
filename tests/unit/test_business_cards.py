"""Reading business cards: every layout family read right from its printed lines, one
photo of each family through OCR, and each rule of bot/understanding/cards.py on the
slips it mends. The held-out figure is bench/cards.py's (docs/performance.md)."""

from __future__ import annotations

import pytest

from bot.media.ocr import OcrLine, recognise
from bot.understanding.cards import CardFields, fields_from, respaced, without_label
from tests.cards import FAMILIES, FIELDS, Card, correct, dev_cards, leaked_labels
from tests.conftest import PG_URL

DEV = dev_cards()


def lines(*texts: tuple[str, float]) -> list[OcrLine]:
    return [OcrLine(text, height, top * 40) for top, (text, height) in enumerate(texts)]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_is_read_right_from_its_printed_lines(family: str) -> None:
    """The lines as drawn (what a perfect OCR would give), six cards a family, Chinese and
    English: every field right, no label inside a value."""
    cards = [card for card in DEV if card.family == family]
    assert len(cards) == 6 and {card.truth.chinese for card in cards} == {True, False}
    for card in cards:
        fields = fields_from([printed.as_ocr() for printed in card.printed], "CN")
        wrong = [field for field, ok in correct(fields, card.truth).items() if not ok]
        assert wrong == [] and leaked_labels(fields, card) == [], (card.truth, fields)


def _one_photo_a_family() -> list[Card]:
    """One card of each family, chosen so that every photo condition is met too."""
    chosen: list[Card] = []
    for family in FAMILIES:
        cards = [card for card in DEV if card.family == family]
        unmet = [card for card in cards if card.condition not in {c.condition for c in chosen}]
        chosen.append((unmet or cards)[0])
    return chosen


@pytest.mark.skipif(bool(PG_URL), reason="no database in it: run once, in the SQLite pass")
def test_one_photo_of_each_family_through_ocr() -> None:
    """Eleven photos (a few seconds each family); the full sets are the bench's."""
    cards = _one_photo_a_family()
    assert {card.condition for card in cards} == {
        "flat", "rotated", "blurred", "uneven light", "rotated, blurred"}
    right = dict.fromkeys(FIELDS, 0)
    for card in cards:
        fields = fields_from(recognise(card.image), "CN")
        assert leaked_labels(fields, card) == []
        for field, ok in correct(fields, card.truth).items():
            right[field] += ok
    assert {f: n for f, n in right.items() if n < len(cards) - 1} == {}, right


def test_lines_are_sorted_into_fields_in_both_languages() -> None:
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
    ("E john@acme.com", "john@acme.com"), ("Emai1:john@acme.com", "john@acme.com"),
    ("Mobile 138-1234-5678", "138-1234-5678"), ("手机13812345678", "13812345678"),
    ("Mobi1e:917-240-7837", "917-240-7837"), ("Cell (415) 555-0123", "(415) 555-0123"),
    ("Tel.(010) 8888 6666", "(010) 8888 6666"), ("T 010-88886666", "010-88886666"),
    ("移动电话 139 0123 4567", "139 0123 4567"), ("座机:021-62345678", "021-62345678"),
    ("地址上海市浦东新区张江路88号", "上海市浦东新区张江路88号"),
    ("办公地址：上海市张江路88号", "上海市张江路88号"),
    ("Add武汉市高新路583号", "武汉市高新路583号"),
    ("Address 1 Main Street", "1 Main Street"), ("Add: Room 301", "Room 301"),
    ("Address2909 Federal Street", "2909 Federal Street"),
    ("网址www.acme.cn", "www.acme.cn"), ("Web www.acme.com", "www.acme.com"),
    ("官网：https://www.acme.cn", "https://www.acme.cn"),
    # a first word that only looks like a label stays
    ("Mobile World Ltd", "Mobile World Ltd"), ("网站建设有限公司", "网站建设有限公司"),
    ("email@acme.com", "email@acme.com"), ("mail@acme.com", "mail@acme.com"),
    ("Addison Lee", "Addison Lee"), ("Telstra Group", "Telstra Group"),
    ("Cellular Systems Inc", "Cellular Systems Inc"), ("Directors Guild", "Directors Guild"),
])
def test_a_label_is_never_part_of_the_value(printed: str, value: str) -> None:
    assert without_label(respaced(printed)) == value


@pytest.mark.parametrize(("read", "printed"), [
    ("AcmeHoldingsGroup", "Acme Holdings Group"), ("MarketingDirector", "Marketing Director"),
    ("4941MainStreet", "4941 Main Street"), ("Floor19", "Floor 19"),
    ("DirectorofMarketing", "Director of Marketing"), ("Umbrella LogisticsLLC",
                                                        "Umbrella Logistics LLC"),
    ("EmilyA.Miller", "Emily A.Miller"), ("Emi ly Taylor", "Emily Taylor"),
    ("手机：138", "手机:138"), ("T:+1（617)333", "T:+1(617)333"),
    # what is whole stays whole
    ("McDonald", "McDonald"), ("Ludwig van Beethoven", "Ludwig van Beethoven"),
    ("john.smith@acme.com", "john.smith@acme.com"), ("www.AcmeGroup.com", "www.AcmeGroup.com"),
])
def test_the_spaces_ocr_dropped_are_put_back(read: str, printed: str) -> None:
    assert respaced(read) == printed


def test_phones_in_any_shape_north_american_ones_read_as_such() -> None:
    def phones(*texts: str) -> list[str]:
        return fields_from(lines(*((text, 30) for text in texts)), "CN").phones

    # read in China, (415) 234-6239 is a valid Chinese landline: the shape says otherwise
    assert phones("Mobile415-234-6239") == ["+14152346239"]
    assert phones("(713)574-0629", "1 (212) 602-4335") == ["+17135740629", "+12126024335"]
    assert phones("650.996.0000") == ["+16509960000"]
    assert phones("+1(202)803-2606ext.171") == ["+12028032606"]
    assert phones("(408)410-6722转8877") == ["+14084106722"]
    assert phones("138.2951.1524", "(+86) 13812345678") == ["+8613829511524", "+8613812345678"]
    assert phones("+86-21-62345678 分机808", "010-6234 5678 x12") == [
        "+862162345678", "+861062345678"]
    assert phones("手机180：16135435") == ["+8618016135435"]  # OCR's colon in the number
    assert phones("Fax: +1 (650) 555-0100", "传真 021-6234 5679", "F: 415-251-6682") == []


def test_emails_are_mended_where_ocr_slips() -> None:
    def card(*texts: tuple[str, float]) -> CardFields:
        return fields_from(lines(*texts), "CN")

    # a lone E label read into the address; an l read as 1
    assert card(("Eebrown@hooli.com", 30)).emails == ["ebrown@hooli.com"]
    assert card(("邮箱：1iping.wu@nfwl.com", 30)).emails == ["liping.wu@nfwl.com"]
    assert card(("Email1.johnson@umbrella.io", 30)).emails == ["l.johnson@umbrella.io"]
    # an @ lost, recovered from the website's domain; a label glued to the website
    lost = card(("E:anna_leewayne.co.uk", 30), ("www.wayne.co.uk", 30))
    assert (lost.emails, lost.website) == (["anna_lee@wayne.co.uk"], "www.wayne.co.uk")
    glued = card(("smiller@vandelay.net", 30), ("Webvandelay.net", 30))
    assert glued.website == "vandelay.net"
    # words spelled as the name printed large: chioe is Chloe, sgig is 上官嘉国's sgjg
    assert card(("Chloe Allen", 70), ("chioe_allen@monarch.net", 30)).emails == [
        "chloe_allen@monarch.net"]
    assert card(("上官嘉国", 70), ("sgig@bhtech.com", 30)).emails == ["sgjg@bhtech.com"]
    assert card(("Chloe Allen", 70), ("sales1@monarch.net", 30)).emails == [
        "sales1@monarch.net"]


def test_titles_names_and_companies_by_their_words_not_their_template() -> None:
    def who(*texts: tuple[str, float]) -> tuple[str, str | None, str | None]:
        card = fields_from(lines(*texts), "CN")
        return card.name, card.title, card.company

    # a title line that begins as titles begin is never a name and its title
    assert who(("Sophia Adams", 70), ("Business Development Executive", 40),
               ("Tyrell Consulting GmbH", 40)) == (
        "Sophia Adams", "Business Development Executive", "Tyrell Consulting GmbH")
    assert who(("郑嘉怡", 70), ("大客户经理", 40), ("厦门鹭岛服饰有限公司", 40)) == (
        "郑嘉怡", "大客户经理", "厦门鹭岛服饰有限公司")
    # a name and its title on one line, with or without the space; a middle initial
    assert who(("Emily A. Miller  Marketing Director", 45), ("Globex Industries", 70)) == (
        "Emily A. Miller", "Marketing Director", "Globex Industries")
    assert who(("郑怡华东区销售总监", 60),) == ("郑怡", "华东区销售总监", None)
    assert who(("欧阳萍客户代表", 36),) == ("欧阳萍", "客户代表", None)
    # a role word in a title is no company's trade word
    assert who(("Michael Scott", 70), ("Chief Technology Officer", 40),
               ("Umbrella Trading Inc", 40))[1:] == ("Chief Technology Officer",
                                                     "Umbrella Trading Inc")
    # a brand with no legal form, printed above the name, is the company
    assert who(("北京南方医药", 65), ("周晓财务总监", 36)) == ("周晓", "财务总监", "北京南方医药")
    assert who(("星辰物流", 70), ("王小明 销售总监", 45)) == ("王小明", "销售总监", "星辰物流")
    assert who(("Star Logistics", 70), ("John Smith Sales Director", 45)) == (
        "John Smith", "Sales Director", "Star Logistics")


def test_a_vertical_card_measures_its_columns_by_their_width() -> None:
    """RapidOCR reads a column of Han characters as one tall line: its size is its width."""
    card = fields_from([OcrLine("王小明", 208, 77, 450, 65), OcrLine("销售总监", 137, 66, 380, 30),
                        OcrLine("上海星辰物流有限公司", 339, 66, 300, 30),
                        OcrLine("手机 138 1234 5678", 28, 800, 40, 300)], "CN")
    assert (card.name, card.title, card.company) == ("王小明", "销售总监", "上海星辰物流有限公司")
    assert OcrLine("王小明", 208, 77, 450, 65).size == 65
    assert OcrLine("王小明", 65, 77, 450, 208).size == 65
