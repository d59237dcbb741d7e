"""People's words in, structured data out: one-line customers, shared contacts, vCards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import phonenumbers

from bot.amounts import DIGITS, Money, Number, numbers_in
from bot.dates import chinese_numerals_to_digits, find_when
from storage.customers import CustomerDraft
from storage.models import InteractionKind
from storage.names import has_han

if TYPE_CHECKING:
    import vobject

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\"]+")
_TAG = re.compile(r"(?:^|\s)#([^\s#]{1,32})")

# Cities and provinces people write after a name; a token found here is the region.
REGIONS = frozenset(
    """北京 上海 天津 重庆 广州 深圳 杭州 南京 苏州 成都 武汉 西安 长沙 郑州 青岛 济南 沈阳
    大连 哈尔滨 长春 石家庄 太原 合肥 福州 厦门 南昌 南宁 昆明 贵阳 海口 三亚 兰州 西宁
    银川 乌鲁木齐 拉萨 呼和浩特 宁波 无锡 东莞 佛山 珠海 温州 常州 徐州 烟台 香港 澳门 台北
    广东 江苏 浙江 山东 河南 河北 湖北 湖南 四川 福建 安徽 江西 辽宁 吉林 黑龙江 陕西 山西
    云南 贵州 广西 海南 甘肃 青海 宁夏 新疆 西藏 内蒙古 台湾 beijing shanghai tianjin
    chongqing guangzhou shenzhen hangzhou nanjing suzhou chengdu wuhan xian xi'an changsha
    qingdao xiamen hong-kong hongkong singapore tokyo seoul london paris berlin new-york
    nyc sydney""".split()  # noqa: SIM905
)


def understand_customer_line(text: str, default_region: str) -> CustomerDraft:
    """`王小明 13812345678 ACME 上海` -> name, phone, company, region (shown before saving)."""
    rest = text
    phones: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(text, default_region):
        phones.append(match.raw_string)
        rest = rest.replace(match.raw_string, " ")
    emails = _EMAIL.findall(rest)
    for email in emails:
        rest = rest.replace(email, " ")
    tags = _TAG.findall(rest)
    rest = _TAG.sub(" ", rest)
    tokens = rest.split()
    name_tokens: list[str] = []
    if tokens and has_han(tokens[0]):
        name_tokens = [tokens.pop(0)]
    else:
        # A Latin name is its first one or two capitalised words: "John Smith Acme".
        while tokens and len(name_tokens) < 2 and tokens[0][:1].isupper() and not _is_region(
            tokens[0]
        ):
            name_tokens.append(tokens.pop(0))
        if not name_tokens and tokens:
            name_tokens = [tokens.pop(0)]
    region = None
    company_tokens: list[str] = []
    for token in tokens:
        if region is None and _is_region(token):
            region = token
        else:
            company_tokens.append(token)
    return CustomerDraft(
        name=" ".join(name_tokens),
        phones=phones,
        emails=emails,
        company=" ".join(company_tokens) or None,
        region=region,
        tags=tags,
    )


def _is_region(token: str) -> bool:
    return token.casefold() in REGIONS or token.rstrip("市省") in REGIONS


def contact_name(first: str | None, last: str | None) -> str:
    """Telegram splits names; Chinese names read family name first, without a space."""
    first, last = (first or "").strip(), (last or "").strip()
    if has_han(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


class VCardError(ValueError):
    pass


def drafts_from_vcard(data: bytes) -> list[CustomerDraft]:
    """Every card in a .vcf file as a draft; malformed files raise VCardError."""
    import vobject  # 1.2 MB the bot carries only once someone sends a .vcf

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise VCardError("not text") from exc
    drafts: list[CustomerDraft] = []
    try:
        for card in vobject.readComponents(text, ignoreUnreadable=True):
            if card.name != "VCARD":
                continue
            drafts.append(_draft_from_card(card))
    except Exception as exc:  # vobject raises many kinds of parse errors
        raise VCardError(str(exc)) from exc
    if not drafts:
        raise VCardError("no card")
    return drafts


def _values(card: vobject.base.Component, key: str) -> list[str]:
    return [str(item.value).strip() for item in card.contents.get(key, []) if item.value]


def _draft_from_card(card: vobject.base.Component) -> CustomerDraft:
    name = (_values(card, "fn") or [""])[0]
    if not name and "n" in card.contents:
        parts = card.contents["n"][0].value
        name = contact_name(parts.given, parts.family)
    org = card.contents.get("org")
    company = None
    if org:
        value = org[0].value
        company = " ".join(value) if isinstance(value, list) else str(value)
    return CustomerDraft(
        name=name,
        phones=_values(card, "tel"),
        emails=_values(card, "email"),
        company=company or None,
        title=next(iter(_values(card, "title")), None),
        notes=next(iter(_values(card, "note")), None),
    )


# ---- "log a call" sentences -------------------------------------------------------------

_KIND_WORDS: list[tuple[InteractionKind, re.Pattern[str]]] = [
    (InteractionKind.FEEDBACK, re.compile(
        r"反馈|投诉|抱怨|\b(?:feedback|complain(?:ed|s|t)?)\b", re.I)),
    (InteractionKind.EMAIL, re.compile(r"邮件|电邮|\b(?:e-?mail(?:ed)?|mailed)\b", re.I)),
    (InteractionKind.MESSAGE, re.compile(
        r"微信|短信|发消息|发了消息|留言|\b(?:wechat(?:ed)?|sms|texted|messaged|whatsapp(?:ed)?)\b",
        re.I)),
    (InteractionKind.MEETING, re.compile(
        r"拜访|见面|见了|会面|面谈|约见|开会|吃饭|来访|"
        r"\b(?:visit(?:ed)?|met|meeting|lunch|dinner|demo(?:ed)?)\b", re.I)),
    (InteractionKind.CALL, re.compile(
        r"打电话|打了电话|通话|电话|致电|来电|回电|"
        r"\b(?:call(?:ed)?|phoned|rang|spoke|talked)\b", re.I)),
]
_NOTE_WORDS = re.compile(r"^(?:note|备注|记录)[:：\s]", re.I)


def interaction_kind(text: str) -> InteractionKind | None:
    """The kind of contact a sentence reports, from keywords in either language."""
    if _NOTE_WORDS.match(text.strip()):
        return InteractionKind.NOTE
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    return None


def reads_like_log(text: str) -> bool:
    return interaction_kind(text) is not None and len(text.strip()) >= 4


def contact_and_follow_up_times(text: str, now: datetime, default_hour: int, *,
                                logging: bool) -> tuple[datetime | None, datetime | None]:
    """(when it happened, when to follow up) from one sentence.

    A time already past is when the contact happened; a future one is the follow-up.
    "昨天下午拜访了王总，下周五跟进" gives both.
    """
    occurred = due = None
    rest = text
    for _ in range(2):
        found = find_when(rest, now, default_hour=default_hour)
        if found is None:
            break
        if found.at <= now and logging and occurred is None:
            occurred = found.at
        elif found.at > now and due is None:
            due = found.at
        elif found.at <= now and not logging:
            due = found.at  # /remind with a past time: the card says so, saving refuses
        rest = rest.replace(found.text, " ", 1) if found.text else ""
        if not rest.strip():
            break
    return occurred, due


# ---- purchases --------------------------------------------------------------------------

_PURCHASE_WORDS = re.compile(
    r"买了|购买|购入|采购|下单|下了单|订了|订购|签单|成交|付款|付了|"
    r"\b(?:bought|buys|purchased?|ordered|paid)\b", re.I)
MEASURE_WORDS = "台套个件箱份部辆只批张瓶盒吨本支把条袋包桶卷副组"
_MEASURE_AFTER = re.compile(
    rf"^\s?(?:[{MEASURE_WORDS}]|(?:units?|pcs|pieces?|sets?|boxes|box|licen[cs]es?|seats?)\b)",
    re.I)
_NOT_AN_AMOUNT_AFTER = re.compile(r"^\s?(?:[月日号点時时分秒周天年岁%％]|个月|小时|days?\b|"
                                  r"weeks?\b|months?\b|years?\b|pm\b|am\b|点半)", re.I)
_AMOUNT_BEFORE = re.compile(r"(?:共|总共|一共|合计|总价|金额|价值|花了|付了|"
                            r"\bfor|\btotal(?:ling)?|\bworth|\bpaid)\s*[:：]?\s*$", re.I)
_UNIT_PRICE_BEFORE = re.compile(r"(?:单价|每[台套个件箱份]|\bat)\s*[:：]?\s*$", re.I)
_UNIT_PRICE_AFTER = re.compile(r"^\s?(?:each|apiece|per\b|/[^\s\d]|一[台套个件箱份])", re.I)
_PRODUCT = re.compile(r"^\s?([A-Za-z][\w\-+.]{0,30}|[\u4e00-\u9fff]{1,12}?)"
                      r"(?=$|[\s,，。;；\d]|共|一共|总|合计|单价|for\b|at\b)", re.I)
_NOT_A_PRODUCT = re.compile(rf"^(?:共|一共|总|合计|单价|for|at|and|in|on|each|[{''.join(DIGITS)}])",
                            re.I)
_AFTER_VERB = re.compile(
    r"(?:买了|购买了?|购入|采购了?|订了|订购了?|bought|purchased?|ordered)\s*"
    r"(?:an?\s+|the\s+)?([A-Za-z][\w\-+.]{0,30}(?:\s[A-Za-z][\w\-+.]{0,20})?)"
    r"(?=\s|,|，|$)", re.I)


@dataclass(frozen=True)
class PurchaseWords:
    """What one sentence says was bought: shown on the card, changed there if wrong."""

    amount: Money | None
    quantity: int | None
    product: str | None


def reads_like_purchase(text: str) -> bool:
    return bool(_PURCHASE_WORDS.search(text)) and bool(numbers_in(text))


def understand_purchase(text: str, default_currency: str) -> PurchaseWords:
    """"王总 买了 20 台 X1，共 4.8 万" -> 20 × X1, ¥48,000.

    A number followed by a measure word (台, 套, units) is the quantity, and the word
    after it (or else the word right after the verb) the product. The amount is the
    number marked with a currency, else the one scaled like money (4.8万, 5k), else the
    one after 共/for/total; "at $99", 单价 or "each" make it a unit price, multiplied by
    the quantity. Numbers that are dates or times (3点, 5月) are neither."""
    numbers = [n for n in numbers_in(text)
               if not _NOT_AN_AMOUNT_AFTER.match(text[n.end:])
               and text[n.start - 1:n.start] not in ("第", "/", ":", "：")]
    quantity: int | None = None
    product: str | None = None
    for number in numbers:
        if number.currency or number.scaled or number.value != int(number.value) \
                or number.value <= 0:
            continue
        rest = text[number.end:]
        unit = _MEASURE_AFTER.match(rest)
        word = re.match(r"^\s?(?:x\s?)?([A-Za-z][\w\-+.]{0,30})", rest, re.I)
        if unit is not None:
            found = _PRODUCT.match(rest[unit.end():])
            product = found.group(1) if found else None
        elif word is not None and not _NOT_A_PRODUCT.match(word.group(1)):
            product = word.group(1)
        else:
            continue
        quantity = int(number.value)
        numbers.remove(number)
        break
    if product is not None and _NOT_A_PRODUCT.match(product):
        product = None
    if product is None:
        found = _AFTER_VERB.search(text)
        product = found.group(1) if found else None
    return PurchaseWords(_the_amount(text, numbers, quantity, default_currency), quantity,
                         product)


def _the_amount(text: str, numbers: list[Number], quantity: int | None,
                default_currency: str) -> Money | None:
    for choose in (lambda n: n.currency is not None, lambda n: n.scaled,
                   lambda n: _AMOUNT_BEFORE.search(text[:n.start]) is not None
                   or _UNIT_PRICE_BEFORE.search(text[:n.start]) is not None):
        chosen = [n for n in numbers if choose(n)]
        if chosen:
            number = chosen[-1]
            value = number.value
            if quantity and (_UNIT_PRICE_BEFORE.search(text[:number.start])
                             or _UNIT_PRICE_AFTER.match(text[number.end:])):
                value *= quantity
            return Money(value, number.currency or default_currency)
    return None


# ---- deals ------------------------------------------------------------------------------

_DEAL_WORDS = re.compile(r"项目|商机|单子|\b(?:deal|opportunity|project)\b", re.I)
_DEAL_HINTS = re.compile(r"预计|预期|估计|有望|签|\b(?:expected?|worth|closing|close|forecast)\b",
                         re.I)
_DEAL_FILLER = re.compile(
    r"预计|预期|估计|有望|签约|签单|签|成交|价值|金额|左右|大概|约|的|"
    r"\b(?:expected?|expecting|worth|closing|closes|close|to|by|for|around|about|of|is)\b|'s",
    re.I)


@dataclass(frozen=True)
class DealWords:
    title: str
    value: Money | None
    close_on: date | None


def reads_like_deal(text: str) -> bool:
    return bool(_DEAL_WORDS.search(text)) and bool(_DEAL_HINTS.search(text))


def understand_deal(text: str, *, default_currency: str, now: datetime, default_hour: int,
                    customer_name: str | None) -> DealWords:
    """"王总的 X1 项目 预计 30 万 下月底签" -> "X1 项目", ¥300,000, closing 2026-12-31.

    The value is read as a purchase's amount is; the close date is the first future date;
    the title is what is left once the customer's name, the value, the date and the
    filler words (预计, 的, expected, worth…) are taken out."""
    rest = text
    found = find_when(text, now, default_hour=default_hour)
    close_on = found.at.date() if found is not None and found.at > now else None
    if found is not None and found.text:
        if found.text not in rest:  # found in the digits form: 下周五 was read as 下周5
            rest = chinese_numerals_to_digits(rest)
        rest = rest.replace(found.text, " ", 1)
    numbers = [n for n in numbers_in(rest) if not _NOT_AN_AMOUNT_AFTER.match(rest[n.end:])]
    value = _the_amount(rest, numbers, None, default_currency)
    if value is None and numbers:
        value = Money(numbers[-1].value, numbers[-1].currency or default_currency)
    for number in sorted(numbers, key=lambda n: n.start, reverse=True):
        if value is not None and number.value == value.amount:
            rest = rest[:number.start] + " " + rest[number.end:]
    if customer_name:
        rest = rest.replace(customer_name, " ")
    rest = _DEAL_FILLER.sub(" ", rest)
    title = " ".join(re.sub(r"[,，。;；:：!！?？]", " ", rest).split())[:100]
    return DealWords(title, value, close_on)
