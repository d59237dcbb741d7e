"""The lines read off a business card, sorted into a draft customer: who, what title,
which company, phones, emails, address, website.

The rules are written for families of cards, not for one template, and measured on
cards they were not written against (tests/cards.py, bench/cards.py):

- **What OCR does to a line first.** Full-width punctuation is folded (NFKC); spaces it
  dropped between Latin words are put back where the case says so ("AcmeHoldingsGroup",
  "4941MainStreet"), and an l read as 1 at the start of an email is mended.
- **Labels are never part of a value.** A label is taken off with a colon, with a
  space, or glued to its value ("邮箱name@…", "Mobile415-555-0123"), in either language and
  as OCR misreads it (Mobi1e, Emai1); without a colon only where the label's kind of
  value follows, so "Mobile World Ltd" keeps its first word. A fax is never a phone.
- **Emails** are mended where OCR is known to slip: a lone E label read into the
  address, an @ lost ("dleeglobex-group.com" on a card of globex-group.com), and words
  that differ from the card's name only in look-alike letters (chioe for Chloe).
- **Phones** are read in the team's region, except a number printed in the North
  American shape ((415) 555-0123, 415.555.0123), which is read as one: read in China it is
  a valid landline in the wrong country. Extensions (转808, ext. 808, x808) are dropped.
- **What is left** is a title (it holds a role word: 经理, 专员, Manager, Officer…), a
  company (a legal form, 有限公司 or Ltd, or a trade word: 物流, Logistics…), or a name
  (2-4 Han characters, or two to four Latin words), a name and its title on one line
  being split. The name is the largest such line, where "large" is a line's printed
  size: its height, or its width on a vertical card. A card with no company found
  gives that place to the most prominent line left over: a brand printed without 公司.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import phonenumbers

from storage.customers import CustomerDraft
from storage.errors import ValidationFailed
from storage.search.names import pinyin_forms, syllables
from storage.validation import normalize_email


class CardLine(Protocol):
    """A line of text found on a card (bot/media/ocr.py's OcrLine is one)."""

    @property
    def text(self) -> str: ...
    @property
    def size(self) -> float: ...


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


# ---- words ------------------------------------------------------------------------------------

def _misread(*words: str) -> str:
    """Label words as OCR also reads them: l and i confused with 1, I and |."""
    return "|".join(re.sub(r"[li]", "[li1I|]", word) for word in words)


_PHONE_LABEL = (r"手机号码|手机号|手机|移动电话|电话|座机|办公电话|联系电话|直线|总机|"
                rf"(?:{_misread('mobile phone', 'mobile', 'mob', 'cellphone', 'cell')}|tel|"
                r"telephone|phone|direct|office|main|[mtpcdo])(?![a-z])")
_EMAIL_LABEL = rf"电子邮箱|电子邮件|邮箱|邮件|(?:{_misread('e-mail', 'email', 'mail')})"
_WEB_WORDS = r"网址|网站|官网|主页|website|homepage|web|url"  # glued to a value too
_WEB_LABEL = r"网址|网站|官网|主页|(?:website|homepage|web|url|w)(?![a-z])"
_HAN_ADDRESS_LABEL = r"公司地址|办公地址|联系地址|地址"
_LATIN_ADDRESS_LABEL = r"(?:address|addr|add|location)"
_FAX_LABEL = r"传真|fax|facsimile|f(?=\s*[:：])"
_LABELS = [
    re.compile(rf"^\s*(?:{_PHONE_LABEL})\s*[:.]?\s*(?=[+\d(])", re.I),
    re.compile(rf"^\s*(?:{_EMAIL_LABEL}|e(?=\s*:)|e\s)\s*:?\s*(?=[A-Za-z0-9._%+-]+@)", re.I),
    re.compile(rf"^\s*(?:{_WEB_LABEL}|{_WEB_WORDS})\s*:?\s*(?=https?://|www\.)", re.I),
    re.compile(rf"^\s*(?:{_WEB_LABEL})\s*:?\s*(?=[a-z0-9-]+\.(?:com|cn|net|org|io)\b)", re.I),
    re.compile(rf"^\s*(?:{_HAN_ADDRESS_LABEL})\s*:?\s*"),
    re.compile(rf"^\s*{_LATIN_ADDRESS_LABEL}(?:\s*[:.]\s*|\s+(?=\S*\d)|(?=\d)|"
               r"\s*(?=[\u4e00-\u9fff]))", re.I),
    re.compile(rf"^\s*(?:{_PHONE_LABEL}|{_EMAIL_LABEL}|e|{_WEB_LABEL})\s*:\s*", re.I),
]
_ADDRESS_LABEL = re.compile(rf"^\s*(?:{_HAN_ADDRESS_LABEL}|{_LATIN_ADDRESS_LABEL}(?![a-z]))",
                            re.I)
_FAX = re.compile(rf"^\s*(?:{_FAX_LABEL})|传真", re.I)
# Addresses on cards are ASCII before the @: a Han character there is a label's.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# (an underscore is no host's: such a line is an email whose @ OCR lost, see _sites)
_WEBSITE = re.compile(r"(?:https?://)?(?:www\.)?[a-z0-9_-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|"
                      r"io|co|biz|info|hk|tw|jp|de|uk|us|sg|au)(?:/\S*)?", re.I)
_ADDRESS = re.compile(r"[省市区县镇路街道号楼层室]|(?<![a-z])(?:road|rd|street|st|avenue|ave|"
                      r"boulevard|blvd|suite|floor|fl|building|bldg|district|lane|ln|parkway|"
                      r"pkwy|drive|dr|way|plaza|square|place|alley|court|ct|highway|hwy|"
                      r"terrace|unit|room|rm|level|tower|po box)(?![a-z])", re.I)
# A legal form says company at once; a trade word says it where no role word does
# ("Chief Technology Officer" is a title).
_LEGAL_FORM = re.compile(r"公司|集团|有限|股份|实业|工厂|厂$|研究院|研究所|事务所|银行|中心$|"
                         r"工作室|商行|(?<![a-z])(?:co|ltd|inc|llc|llp|corp|corporation|company|"
                         r"group|gmbh|limited|plc|pte|pty|ag|s\.?a|b\.?v|k\.?k)(?![a-z])\.?",
                         re.I)
_TRADE = re.compile(r"科技|贸易|物流|电子|网络|食品|机械|医药|服饰|建设|家具|化工|重工|能源|"
                    r"材料|设备|汽车|传媒|文化|咨询|软件|制造|工业|商贸|进出口|"
                    r"(?<![a-z])(?:technologies|technology|logistics|trading|industries|"
                    r"holdings|systems|solutions|consulting|software|manufacturing|supplies|"
                    r"energy|pharmaceuticals|enterprises|foods|partners|ventures|studios|"
                    r"labs|media|capital|international|global)(?![a-z])", re.I)
_ROLE = re.compile(r"经理|总监|主管|专员|主任|工程师|顾问|助理|代表|总裁|董事|执行官|会计|秘书|"
                   r"合伙人|创始人|负责人|设计师|店长|厂长|院长|所长|律师|业务员|销售员|采购员|"
                   r"文员|主席|组长|部长|处长|科长|行长|校长|教授|架构师|分析师|专家|总工|"
                   r"监事|理事|会长|客服|销售|采购|"
                   r"(?<![a-z])(?:manager|director|engineer|president|vp|head|officer|"
                   r"consultant|representative|founder|co-founder|partner|ceo|cto|cfo|coo|cmo|"
                   r"executive|specialist|assistant|buyer|chief|coordinator|supervisor|"
                   r"associate|analyst|lead|leader|administrator|advisor|adviser|agent|"
                   r"chairman|chairwoman|owner|principal|secretary|counsel|attorney|lawyer|"
                   r"developer|designer|architect|accountant|controller|treasurer|planner|"
                   r"strategist|scientist|technician|clerk|broker|trader|merchandiser|"
                   r"recruiter|sales|purchasing|procurement)(?![a-z])", re.I)
# How an English title begins: a line that begins so is a title, never a name and its
# title ("Business Development Executive", "Key Account Manager").
_TITLE_OPENING = re.compile(
    r"^(?:senior|junior|sr|jr|regional|global|international|national|area|district|key|"
    r"account|business|development|marketing|sales|product|project|program|operations|"
    r"customer|client|technical|general|deputy|executive|vice|assistant|associate|human|"
    r"supply|research|quality|strategic|digital|brand|channel|corporate|financial|finance|"
    r"legal|managing|head|chief|lead|principal|director|manager|founder|co-founder|"
    r"purchasing|procurement|logistics|export|import|field|inside|outside|office)\b", re.I)
_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
# How a Chinese title begins, to find where a name printed on the same line ends
# ("周杰区域销售经理": 周杰 and 区域销售经理).
_TITLE_START = re.compile(
    r"^(?:华东|华南|华北|华中|西南|西北|东北|亚太|中国区|全国|大客户|区域|高级|资深|首席|副|总|"
    r"常务|执行|销售|市场|技术|财务|人事|人力|客户|项目|运营|采购|董事|行政|业务|研发|生产|质量|"
    r"品质|品牌|渠道|物流|售后|服务|商务|产品|设计|法务|公关|外贸|国际|电商|部门|经理|主管|主任|"
    r"工程师|顾问|代表|助理|专员)")
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z'-]*\.?(?: [A-Z][A-Za-z'.-]*){1,3}$")


# ---- one line ----------------------------------------------------------------------------------

def respaced(text: str) -> str:
    """A line as printed: full-width punctuation folded, and the spaces OCR dropped between
    Latin words put back where the case shows them ("AcmeHoldingsGroup", "2441ParkAvenue").
    A word break needs two lower-case letters before it, so McDonald stays whole."""
    text = unicodedata.normalize("NFKC", text)
    if "@" in text or re.search(r"www\.|https?:", text, re.I):
        return text
    text = re.sub(r"(?<=[a-z]{3})(of|and|for)(?=[A-Z])", r" \1 ", text)  # DirectorofSales
    text = re.sub(r"(?<=[a-z]{2})(?=[A-Z][a-z]|[A-Z]\.|[A-Z]{2,}\.?$)", " ", text)
    text = re.sub(r"(?<=\d)(?=[A-Z][a-z]{2})", " ", text)  # 4941MainStreet
    text = re.sub(r"(?<=[a-z]{3})(?=\d+\b)", " ", text)  # Floor19, not Mobi1e
    # and the space OCR put inside a short word ("Emi ly"), not before van or de
    return re.sub(r"\b([A-Z][a-z]{1,6}) (?!(?:van|von|der|den|de|da|di|le|la|du)\b)"
                  r"([a-z]{1,3})\b", r"\1\2", text)


def without_label(text: str) -> str:
    """The value of a labelled line: "电话：010-1234 5678", "Mobile 138-1234-5678",
    "邮箱name@acme.cn" and "Emailname@acme.cn" lose their label; an unlabelled line is
    unchanged."""
    for label in _LABELS:
        if (match := label.match(text)) is not None:
            return text[match.end():]
    return text


def _mended_email(raw: str, line: str) -> str:
    """A lone capital E printed as a label before a lower-case address ("E ebrown@…" read
    as "Eebrown@…"), and an l read as 1 at the start or between letters, put right."""
    local, _, domain = raw.partition("@")
    if line.lstrip().startswith(raw) and re.fullmatch(r"E[a-z0-9._%+-]+", local):
        local = local[1:]
    local = re.sub(r"^1(?=[a-z.])|(?<=[a-z])1(?=[a-z])", "l", local)
    return f"{local}@{domain}"


_LOOK_ALIKE = set("ilj1I|")


def _spelled_as_named(email: str, name: str) -> str:
    """An address's words read back by the card's name, which is printed larger: where
    they differ only in letters OCR confuses (chioe for chloe, sgig for sgjg), the
    name's spelling is the printed one."""
    local, _, domain = email.partition("@")
    spellings = set(syllables(name)) | set(pinyin_forms(name)) if name else set()

    def mended(word: str) -> str:
        for spelling in spellings:
            if len(spelling) == len(word) and spelling != word and all(
                    a == b or {a, b} <= _LOOK_ALIKE
                    for a, b in zip(word, spelling, strict=True)):
                return spelling
        return word

    return "".join(mended(part) for part in re.split(r"([._-])", local)) + "@" + domain


def _phones(text: str, region: str) -> list[str]:
    """The numbers in a phone line: a North American shape is read as one, whatever the
    team's region; an extension is dropped."""
    text = re.sub(r"(?<=\d)\s*[:：]\s*(?=\d)", " ", text)  # OCR's colon inside a number
    text = re.sub(r"\s*(?:转|分机|ext\.?|x)\s*(?=\d{2,5}\s*$)", " ext. ", text, flags=re.I)
    north_american = re.search(
        r"(?<![\d+])(?:\+?1[-. ]?)?(?:\(\s*[2-9]\d{2}\s*\)|[2-9]\d{2})[-. ]?[2-9]\d{2}[-. ]\d{4}"
        r"(?!\d)|\+1\s*[-(]?\s*[2-9]\d{2}", text)
    for place in (["US"] if north_american else []) + [region]:
        found = [phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
                 for match in phonenumbers.PhoneNumberMatcher(
                     text, place, leniency=phonenumbers.Leniency.VALID)]
        if found:
            return found
    return []


def _is_title(text: str) -> bool:
    return bool(_ROLE.search(text) or _TITLE_OPENING.match(text))


def _is_company(text: str) -> bool:
    return bool(_LEGAL_FORM.search(text) or (_TRADE.search(text) and not _is_title(text)))


def _reads_as_name(text: str) -> bool:
    return bool(_HAN_NAME.match(text) or (_LATIN_NAME.match(text) and not _is_title(text)
                                          and not _is_company(text)))


def _name_and_title(text: str) -> tuple[str, str] | None:
    """A name and a title read as one line, with or without the space between."""
    if _TITLE_OPENING.match(text):
        return None
    words = text.split()
    for count in (2, 3, 4, 1):  # a space between says where the name ends
        name, rest = " ".join(words[:count]), " ".join(words[count:])
        if rest and _is_title(rest) and not _is_title(name) and not _is_company(name) and (
                _LATIN_NAME.match(name) or _HAN_NAME.match(name.replace(" ", ""))) and not (
                re.search(r"\b[A-Z]\.?$", name)):  # a name ends after its middle initial
            return name.replace(" ", "") if _HAN_NAME.match(name.replace(" ", "")) else name, rest
    compact = re.sub(r"\s+", "", text)
    if not re.fullmatch(r"[\u4e00-\u9fff]{4,}", compact) or _TITLE_START.match(compact):
        return None  # a line that begins as titles begin is a title: 大客户经理
    splits = [(compact[:length], compact[length:]) for length in (2, 3, 4)
              if len(compact) - length >= 2]
    splits = [(name, rest) for name, rest in splits
              if _is_title(rest) and not _is_title(name) and not _TITLE_START.match(name)]
    # Where the title begins with a word titles begin with; else a name of three, the
    # commonest length.
    started = [split for split in splits if _TITLE_START.match(split[1])]
    chosen = started or sorted(splits, key=lambda split: len(split[0]) != 3)
    return chosen[0] if chosen else None


# ---- the card ----------------------------------------------------------------------------------

@dataclass
class _Left:
    text: str
    size: float


def fields_from(lines: Sequence[CardLine], region: str) -> CardFields:
    """The fields of one card, from its lines in any order."""
    card = CardFields()
    left: list[_Left] = []
    sites: list[str] = []
    for line in lines:
        text = respaced(line.text)
        body = without_label(text).strip()
        emails = _EMAIL.findall(body)
        if emails:
            mended = (_valid_email(_mended_email(e, body)) for e in emails)
            card.emails += [e for e in mended if e and e not in card.emails]
            continue
        if _FAX.search(text):
            continue
        phones = _phones(body, region)
        if phones and len(re.sub(r"\D", "", body)) >= 0.5 * len(re.sub(r"\s", "", body)):
            card.phones += [p for p in phones if p not in card.phones]
            continue
        if _WEBSITE.fullmatch(body):
            sites.append(body)
            continue
        if _ADDRESS_LABEL.match(text) or (
                card.address is None and _ADDRESS.search(body) and re.search(r"\d", body)):
            card.address = card.address or body
            continue
        if len(body) > 1:  # a logo's letter is not a field
            left.append(_Left(body, line.size))
    _sites(card, sites)
    _who(card, left)
    card.emails = [_spelled_as_named(email, card.name) for email in card.emails]
    return card


def _who(card: CardFields, left: list[_Left]) -> None:
    """Name, title and company from the lines that are no contact."""
    names: list[_Left] = []
    titled: list[_Left] = []  # names printed with their title: surely a person's
    rest: list[_Left] = []
    for line in left:
        text = line.text
        split = _name_and_title(text)
        if _is_company(text) and not (split and _LATIN_NAME.match(split[0])):
            if card.company is None:
                card.company = text
        elif split is not None:  # "王小明 销售总监" on one line
            titled.append(_Left(split[0], line.size))
            card.title = card.title or split[1]
        elif _is_title(text):  # before the name: 销售总监 has a name's shape
            card.title = card.title or text
        elif _reads_as_name(text):
            names.append(line)
        else:
            rest.append(line)
    chosen = max(titled or names, key=lambda line: line.size, default=None)
    if chosen is not None:
        card.name = chosen.text
    if card.company is None:
        # A brand printed without 公司 or Ltd: the most prominent line left, larger
        # than the name when it has a name's shape (星辰物流 over "王小明 销售总监").
        others = [line for line in names if chosen and line is not chosen
                  and line.size > chosen.size] + rest
        if others:
            card.company = max(others, key=lambda line: line.size).text


def _domain(site: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", site, flags=re.I).lower()


def _sites(card: CardFields, sites: list[str]) -> None:
    """The website, and an email whose @ OCR lost: "dleeglobex-group.com" on a card of
    globex-group.com is dlee@globex-group.com. "Webacme.com" is the website acme.com when
    the card's email is at acme.com."""
    domains = {_domain(site) for site in sites if re.match(r"https?://|www\.", site, re.I)}
    domains |= {email.partition("@")[2] for email in card.emails}
    for site in sites:
        plain = _domain(site)
        glued = next((domain for domain in domains if plain.endswith(domain)
                      and len(plain) > len(domain) + 1), None)
        if glued is None or re.match(r"https?://|www\.", site, re.I):
            # a capitalised label glued to a lower-case address: "Webacme.net"
            card.website = card.website or re.sub(r"^(?:Website|Web|URL)(?=[a-z0-9])", "",
                                                  site)
            continue
        prefix = site[: len(site) - len(glued)]
        if re.fullmatch(rf"(?:{_WEB_WORDS}|w)\s*:?\s*", prefix, re.I):
            card.website = card.website or glued
        else:
            email = _valid_email(_mended_email(f"{prefix}@{glued}", f"{prefix}@{glued}"))
            card.emails += [email] if email and email not in card.emails else []


def _valid_email(raw: str) -> str | None:
    try:
        return normalize_email(raw)
    except ValidationFailed:
        return None
