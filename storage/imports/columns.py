"""Which field a spreadsheet column holds, and which row is the header.

Teams arrive with sheets from Excel, WPS and other CRMs whose headers say the same thing
in many ways (姓名 / 客户名称 / 联系人 / Name). A header is folded (case, width, spaces,
punctuation, "(必填)"-style remarks) and looked up among each field's synonyms: an exact
match first, then the longest synonym the header contains ("客户手机号码" holds 手机).
The header row is the one of the first 30 with the most recognised cells, because titles
and blank rows above it are common.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Field -> the headers that mean it. The first English and first Chinese entries are what
# the export writes, so an exported file comes back in with the same mapping.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("Code", "编号", "客户编号", "客户代码", "customer id", "id", "record id"),
    "name": ("Name", "姓名", "客户名称", "客户姓名", "名字", "联系人", "联系人姓名", "客户",
             "full name", "contact", "contact name", "customer", "customer name",
             "客戶名稱", "聯絡人"),
    "company": ("Company", "公司", "公司名称", "单位", "工作单位", "企业", "企业名称",
                "客户公司", "organization", "organisation", "account", "account name"),
    "title": ("Title", "职位", "职务", "头衔", "job title", "position", "職位"),
    "region": ("Region", "地区", "城市", "省份", "区域", "所在地", "所在城市", "city",
               "province", "area", "location", "state", "地區"),
    "address": ("Address", "地址", "详细地址", "通讯地址", "street"),
    "phone": ("Phone", "电话", "手机", "手机号", "手机号码", "联系电话", "电话号码",
              "其他电话", "Other phones", "mobile", "mobile phone", "tel", "telephone",
              "cell", "phone number", "座机", "手機", "電話", "聯絡電話"),
    "email": ("Email", "邮箱", "电子邮箱", "电子邮件", "邮件", "其他邮箱", "Other emails",
              "e-mail", "mail", "email address", "郵箱", "電郵", "電子郵件"),
    "wechat": ("WeChat", "微信", "微信号"),
    "telegram": ("Telegram",),
    "tags": ("Tags", "标签", "分类", "tag", "labels", "標籤"),
    "tier": ("Tier", "等级", "客户等级", "级别", "客户级别", "level", "grade", "rating"),
    "stage": ("Stage", "阶段", "客户阶段", "状态", "客户状态", "lifecycle stage", "status"),
    "owner": ("Owner", "负责人", "销售", "销售员", "业务员", "归属", "跟进人", "客户经理",
              "sales rep", "account owner", "contact owner", "salesperson", "負責人"),
    "source": ("Source", "来源", "客户来源", "渠道", "lead source"),
    "notes": ("Notes", "备注", "说明", "描述", "note", "remarks", "comment", "comments",
              "description", "備註"),
    "last_contact": ("Last contact", "最后联系", "最后联系时间", "最近联系", "最近联系时间",
                     "上次联系", "最后跟进时间", "最近跟进", "last contacted", "last activity",
                     "last contact date"),
    "next_followup": ("Next follow-up", "下次跟进", "下次跟进时间", "下次联系",
                      "下次联系时间", "跟进日期", "next followup", "follow-up date",
                      "follow up date", "next contact", "next step date"),
    # What a customer paid and still owes, carried over from the sheet as an opening
    # balance (storage/imports/writer.py). No bare 回款: "回款日期" is a date.
    "paid": ("Paid", "已回款", "回款金额", "已收款", "amount paid"),
    "outstanding": ("Outstanding", "待回款", "未回款", "欠款", "应收账款", "balance due",
                    "amount due"),
    # An interactions sheet: when, how, what; the customer by code, name or phone.
    "date": ("Date", "日期", "时间", "联系时间", "沟通时间", "跟进时间", "time", "when"),
    "kind": ("Kind", "方式", "沟通方式", "跟进方式", "类型", "type", "channel"),
    "summary": ("Summary", "内容", "沟通内容", "跟进内容", "摘要", "记录", "跟进记录",
                "details", "content", "subject"),
    "outcome": ("Outcome", "结果", "跟进结果", "result"),
}
FIELDS = tuple(SYNONYMS)
# Fields that may come from several columns (a second phone column adds a phone).
MULTI = frozenset({"phone", "email", "tags"})
HEADER_SCAN = 30

_REMARK = re.compile(r"[(（\[【].*?[)）\]】]")
_NOISE = re.compile(r"[\s*:：_\-./#]+")


def fold_header(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOISE.sub("", _REMARK.sub("", folded))


_EXACT = {fold_header(s): f for f, names in SYNONYMS.items() for s in names}
# Containment is tried with the longest synonyms first; one-letter forms never contain.
_PARTS = sorted(((fold_header(s), f) for f, names in SYNONYMS.items() for s in names
                 if len(fold_header(s)) >= 2), key=lambda p: -len(p[0]))


def field_for(header: str) -> str | None:
    key = fold_header(header)
    if not key:
        return None
    if key in _EXACT:
        return _EXACT[key]
    return next((f for part, f in _PARTS if part in key and len(part) >= 2
                 and (len(part) >= 4 or not part.isascii())), None)


def guess_mapping(header: list[str]) -> list[str | None]:
    """A field per column; a single-valued field goes to its first column only."""
    taken: set[str] = set()
    mapping: list[str | None] = []
    for cell in header:
        found = field_for(cell)
        if found is not None and found not in MULTI and found in taken:
            found = None
        if found is not None:
            taken.add(found)
        mapping.append(found)
    return mapping


def find_header(rows: list[list[str]]) -> int:
    """The index of the header row: most recognised cells among the first rows, else the
    first row with two or more filled cells."""
    best, best_hits = -1, 1
    for index, row in enumerate(rows[:HEADER_SCAN]):
        hits = sum(1 for cell in row if cell and field_for(cell))
        if hits > best_hits:
            best, best_hits = index, hits
    if best >= 0:
        return best
    return next((i for i, row in enumerate(rows[:HEADER_SCAN])
                 if sum(1 for c in row if c) >= 2), 0)


def is_interactions_table(mapping: list[str | None]) -> bool:
    """A sheet of calls and visits rather than of customers."""
    fields = set(mapping)
    return "summary" in fields and ("date" in fields or "kind" in fields) and not (
        fields & {"company", "title", "tier", "stage", "address"})


@dataclass
class Layout:
    """Where the data is in the file: the sheet, its header, which field each column is."""

    sheets: list[str]
    sheet: str
    header_row: int  # as the spreadsheet numbers it
    header: list[str]
    mapping: list[str | None]
    rows: list[tuple[int, list[str]]] = field(repr=False)
    logs_sheet: str | None = None
    logs_mapping: list[str | None] = field(default_factory=list)
    logs_rows: list[tuple[int, list[str]]] = field(default_factory=list, repr=False)
    columns_left_out: int = 0
    encoding: str | None = None
    row_count: int = 0
    logs_count: int = 0

    @property
    def logs_only(self) -> bool:
        return self.row_count == 0 and self.logs_count > 0
