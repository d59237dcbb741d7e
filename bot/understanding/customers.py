"""A customer in people's words: one typed line, a shared phone contact, a vCard."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import phonenumbers

from storage.customers import CustomerDraft
from storage.search.names import has_han

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
