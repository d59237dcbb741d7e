"""Spreadsheet fixtures the tests make themselves: CSV in several encodings and a messy
Chinese workbook (title row, merged cells, float phones, serial dates)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import xlsxwriter

HEADER = ["客户名称", "手机", "邮箱", "公司", "城市", "标签", "客户等级", "最后联系时间",
          "下次跟进", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


@dataclass
class Sheet:
    """A generated customer sheet and what a correct import must make of it."""

    rows: list[list[str]]
    bad_rows: set[int]  # data indexes (0-based) that must be refused
    duplicate_rows: set[int]  # data indexes that repeat an earlier row's phone

    def csv_bytes(self, encoding: str, *, title: str | None = "2026年客户名单（华东区）",
                  delimiter: str = ",") -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        if title:
            writer.writerow([title])
            writer.writerow([])
        writer.writerow(HEADER)
        writer.writerows(self.rows)
        return out.getvalue().encode(encoding)


def name_of(i: int) -> str:
    return SURNAMES[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i // 400) % 20]


def phone_of(i: int) -> str:
    return f"139{i:08d}"


def followup_day() -> str:
    """A day ahead of now (frozen or not), the date the sheets' follow-ups fall on."""
    return (date.today() + timedelta(days=25)).isoformat()


def customer_sheet(count: int, *, bad_every: int = 0, duplicate_every: int = 0,
                   followup_every: int = 4) -> Sheet:
    """`count` rows; every `bad_every`-th has a bad phone, every `duplicate_every`-th
    repeats the phone of the row before it."""
    rows, bad, dupes = [], set(), set()
    for i in range(count):
        phone = phone_of(i)
        if bad_every and i % bad_every == bad_every - 1:
            phone = "12345"
            bad.add(i)
        elif duplicate_every and i % duplicate_every == duplicate_every - 1 and i > 0 and (
                i - 1) not in bad:
            phone = rows[-1][1]
            dupes.add(i)
        rows.append([
            name_of(i), phone, f"c{i}@example.cn" if i % 3 == 0 else "",
            f"公司{i % 97}有限公司", "上海" if i % 2 else "杭州", "展会" if i % 5 == 0 else "",
            ("核心", "重要", "普通")[i % 3], f"2026-{(i % 9) + 1:02d}-{(i % 27) + 1:02d}",
            followup_day() if i % followup_every == 0 else "",
            f"第{i}行的备注" if i % 7 == 0 else ""])
    return Sheet(rows, bad, dupes)


def messy_workbook() -> bytes:
    """A sheet as people keep it: a merged title row, a blank row, a header in row 3,
    phones typed as numbers (floats), last contact as Excel serial dates, and a second
    sheet of calls."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("客户")
    sheet.merge_range(0, 0, 0, 5, "销售部客户台账 2026")
    for col, text in enumerate(["姓名", "联系电话", "单位", "地区", "最后联系", "负责人"]):
        sheet.write_string(2, col, text)
    data = [("王小明", 13812345678.0, "星辰科技", "上海", 46000, ""),
            ("李雷", 13912345678.0, "明日物流", "北京", 46100.5, "Alice"),
            ("韩梅梅", 1.5e3, "星辰科技", "上海", 46200, ""),  # not a phone
            ("Bob Smith", 8613712345678.0, "Acme", "Beijing", 46300, "Nobody")]
    for row, values in enumerate(data, start=3):
        for col, value in enumerate(values):
            if isinstance(value, float | int):
                sheet.write_number(row, col, value)
            elif value:
                sheet.write_string(row, col, value)
    calls = book.add_worksheet("通话记录")
    for col, text in enumerate(["日期", "客户", "方式", "内容"]):
        calls.write_string(0, col, text)
    calls.write_string(1, 0, "2026-11-02")
    calls.write_string(1, 1, "王小明")
    calls.write_string(1, 2, "电话")
    calls.write_string(1, 3, "谈了新报价")
    calls.write_string(2, 0, "2026-11-03")
    calls.write_string(2, 1, "查无此人")
    calls.write_string(2, 2, "拜访")
    calls.write_string(2, 3, "没人")
    book.close()
    return buffer.getvalue()
