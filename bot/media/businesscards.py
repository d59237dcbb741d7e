"""A photo of a business card (or a screenshot of a contact card) read into a draft
customer: who, what title, which company, phones, emails, address, website.

The lines come from the OCR worker (bot/media/ocr.py); which line is which is decided here,
for Chinese and English cards. A line is an email, a website, a phone (labelled or not;
a fax number is not the customer's phone), an address (labelled, or read as one:
市/区/路/号, Road, Street, Suite...), a company (有限公司, 集团, Co., Ltd, Inc...) or a
title (经理, 总监, Manager, Director...); the name is the tallest line left that reads as a
name (2-4 Han characters, or two or three words of letters), split from a title printed
on the same line. The measured accuracy per field, on generated cards, is in
docs/performance.md.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

import phonenumbers

from bot.media.ocr import OcrLine, read_lines
from storage.customers import CustomerDraft
from storage.errors import ValidationFailed
from storage.validation import normalize_email


@dataclass
class CardFields:
    name: str = ""
    title: str | None = None
    company: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    address: str | None = None
    website: str | None = None

    def draft(self) -> CustomerDraft:
        return CustomerDraft(
            name=self.name, title=self.title, company=self.company, address=self.address,
            phones=self.phones, emails=self.emails,
            notes=f"🌐 {self.website}" if self.website else None)


async def read_card(image: bytes, region: str) -> CardFields:
    return fields_from(await read_lines(image), region)


# ---- which line is which -------------------------------------------------------------------

# A label is never part of a value, printed with a colon or without ("邮箱name@…",
# "Mobile 138-1234-5678", "地址上海市…"). Without a colon a label is taken off only where
# what follows is that label's kind of value, so "Mobile World Ltd" and 网站建设有限公司
# keep their first word.
_PHONE_LABEL = (r"手机|移动电话|电话|座机|办公电话|联系电话|"
                r"(?:tel|telephone|phone|mobile|mob|cell|[mtp])(?![a-z])")
_EMAIL_LABEL = r"电子邮箱|邮箱|邮件|e-?mail"
_WEB_LABEL = r"网址|网站|(?:web|website|url)(?![a-z])"
_HAN_ADDRESS_LABEL, _LATIN_ADDRESS_LABEL = r"公司地址|地址", r"(?:add|addr|address)(?![a-z])"
_LABELS = [
    re.compile(rf"^\s*(?:{_PHONE_LABEL})\s*[:：.]?\s*(?=[+\d(])", re.I),
    re.compile(rf"^\s*(?:{_EMAIL_LABEL})\s*[:：]?\s*(?=[A-Za-z0-9._%+-]+@)", re.I),
    re.compile(rf"^\s*(?:{_WEB_LABEL})\s*[:：]?\s*"
               r"(?=(?:https?://|www\.)|[a-z0-9-]+\.(?:com|cn|net|org)\b)", re.I),
    re.compile(rf"^\s*(?:{_HAN_ADDRESS_LABEL})\s*[:：]?\s*", re.I),
    re.compile(rf"^\s*{_LATIN_ADDRESS_LABEL}(?:\s*[:：.]\s*|\s+(?=\S*\d))", re.I),
    re.compile(rf"^\s*(?:{_PHONE_LABEL}|{_EMAIL_LABEL}|{_WEB_LABEL})\s*[:：]\s*", re.I),
]
_ADDRESS_LABEL = re.compile(rf"^\s*(?:{_HAN_ADDRESS_LABEL}|{_LATIN_ADDRESS_LABEL})(?![a-z])",
                            re.I)
_FAX = re.compile(r"传真|fax|\bf\s*[:：]", re.I)
# Addresses on cards are ASCII before the @: a Han character there is a label's.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_WEBSITE = re.compile(r"(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|"
                      r"io|co|biz|info|hk|tw|jp|de|uk|us)(?:/\S*)?", re.I)
_ADDRESS = re.compile(r"[省市区县镇路街道号楼层室]|(?<![a-z])(?:road|rd|street|st|avenue|ave|"
                      r"boulevard|blvd|suite|floor|fl|building|bldg|district|lane|parkway|"
                      r"drive|dr|way|plaza|square|place)(?![a-z])", re.I)
_COMPANY = re.compile(r"公司|集团|有限|股份|工厂|厂$|研究院|研究所|事务所|银行|中心$|"
                      r"\b(?:co|ltd|inc|llc|corp|corporation|company|group|gmbh|limited|"
                      r"technologies|technology|logistics|trading|industries|holdings)\b\.?",
                      re.I)
_TITLE = re.compile(r"经理|总监|董事|主管|工程师|总裁|主任|助理|代表|顾问|专员|"
                    r"创始人|合伙人|负责人|销售|采购|会计|\b(?:manager|director|engineer|"
                    r"president|sales|vp|head|officer|consultant|representative|founder|"
                    r"partner|ceo|cto|cfo|coo|executive|specialist|assistant|buyer|chief)\b",
                    re.I)
_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
# How a Chinese title begins, to find where a name printed on the same line ends
# ("周杰区域销售经理": 周杰 and 区域销售经理).
_TITLE_START = re.compile(r"^(?:区域|高级|资深|首席|副|总|销售|市场|技术|财务|人事|客户|项目|运营|"
                          r"采购|董事|行政|业务|研发|生产|质量|部门|经理|主管|主任|工程师|顾问|代表)")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z'.-]*(?: [A-Za-z][A-Za-z'.-]*){1,2}$")


def without_label(text: str) -> str:
    """The value of a labelled line: "电话：010-1234 5678", "Mobile 138-1234-5678",
    "邮箱name@acme.cn" and "Emailname@acme.cn" lose their label; an unlabelled line is
    unchanged."""
    for label in _LABELS:
        if (match := label.match(text)) is not None:
            return text[match.end():]
    return text


def fields_from(lines: list[OcrLine], region: str) -> CardFields:
    card = CardFields()
    left: list[OcrLine] = []
    for line in lines:
        text = line.text
        body = without_label(text)
        emails = _EMAIL.findall(body)
        if emails:
            card.emails += [e for e in (_valid_email(e) for e in emails)
                            if e and e not in card.emails]
            continue
        if _FAX.search(text):
            continue
        phones = _phones(body, region)
        if phones and len(re.sub(r"\D", "", body)) >= 0.6 * len(re.sub(r"\s", "", body)):
            card.phones += [p for p in phones if p not in card.phones]
            continue
        if _WEBSITE.fullmatch(body.strip()):
            card.website = card.website or body.strip()
            continue
        if _ADDRESS_LABEL.match(text) or (
                card.address is None and _ADDRESS.search(body) and re.search(r"\d", body)):
            card.address = card.address or body.strip()
            continue
        left.append(OcrLine(body.strip(), line.height, line.top))
    names: list[OcrLine] = []
    titled: list[OcrLine] = []  # names printed with their title: surely a person's
    # A name is printed larger than the rest; a title sharing its line makes that line
    # the tallest too, so a tall line is split into name and title. A space between them
    # says the same at any height ("王小明 销售总监" under a larger brand).
    usual = statistics.median(line.height for line in lines) if lines else 0.0
    for line in left:
        text = line.text
        split = (_name_and_title(text) if line.height >= 1.25 * usual or " " in text.strip()
                 else None)
        if _COMPANY.search(text) and card.company is None:
            card.company = text
        elif split is not None:  # "王小明 销售总监" on one line
            titled.append(OcrLine(split[0], line.height, line.top))
            card.title = card.title or split[1]
        elif _TITLE.search(text):  # before the name: 销售总监 has a name's shape
            card.title = card.title or text
        elif _reads_as_name(text):
            names.append(line)
    chosen = max(titled or names, key=lambda line: line.height, default=None)
    if chosen is not None:
        card.name = chosen.text
        # A brand printed larger than the name, with no 公司 or Ltd in it (星辰物流 over
        # "王小明 销售总监"), has a name's shape: it is the company.
        brands = [line for line in names if line.height > chosen.height]
        if titled and brands and card.company is None:
            card.company = max(brands, key=lambda line: line.height).text
    return card


def _reads_as_name(text: str) -> bool:
    return bool(_HAN_NAME.match(text) or (_LATIN_NAME.match(text) and not _TITLE.search(text)
                                          and not _COMPANY.search(text)))


def _name_and_title(text: str) -> tuple[str, str] | None:
    """A name and a title read as one line, with or without the space between."""
    compact = re.sub(r"\s+", "", text)
    if re.fullmatch(r"[\u4e00-\u9fff]{4,}", compact):
        for length in (2, 3, 4):
            name, rest = compact[:length], compact[length:]
            if (len(rest) >= 2 and _TITLE_START.match(rest) and _TITLE.search(rest)
                    and not _TITLE.search(name) and not _TITLE_START.match(name)):
                return name, rest
        return None
    words = text.split()
    for count in (2, 3):
        name, rest = " ".join(words[:count]), " ".join(words[count:])
        if (rest and _LATIN_NAME.match(name) and _TITLE.search(rest)
                and not _TITLE.search(name) and not _COMPANY.search(name)):
            return name, rest
    return None


def _phones(text: str, region: str) -> list[str]:
    found = []
    valid = phonenumbers.Leniency.VALID
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=valid):
        found.append(phonenumbers.format_number(match.number,
                                                phonenumbers.PhoneNumberFormat.E164))
    return found


def _valid_email(raw: str) -> str | None:
    try:
        return normalize_email(raw)
    except ValidationFailed:
        return None
