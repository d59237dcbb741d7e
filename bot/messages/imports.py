"""What an import looks like in the chat: the column card, the preview, the progress bar,
and the report (its row-by-row result file is made by bot/tables/importing.py)."""

from __future__ import annotations

import json
from html import escape

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import N_, Translate
from bot.messages.keyboards import app_button, button, rows_of
from bot.messages.labels import label
from storage.imports.columns import FIELDS, Layout
from storage.imports.preview import Checked, Choice, Kind, Preview, Problem
from storage.imports.writer import RESULT_ROWS

SHOWN_COLUMNS = 24  # buttons for at most this many columns; the rest keep their guess
CUSTOMER_FIELDS = tuple(f for f in FIELDS if f not in ("date", "kind", "summary", "outcome"))
LOG_FIELDS = ("date", "code", "name", "phone", "kind", "summary", "outcome", "next_followup")
CHOICE_LABELS = {Choice.SKIP: N_("skip"), Choice.UPDATE: N_("update the record"),
                 Choice.NEW: N_("import as new")}
KIND_TITLES = {Kind.CERTAIN: N_("Same phone or email as a record"),
               Kind.POSSIBLE: N_("Possibly the same (name and company)"),
               Kind.IN_FILE: N_("Repeated in the file")}
OUTCOMES = {"created": N_("created"), "updated": N_("updated"), "skipped": N_("skipped"),
            "invalid": N_("not imported"), "logged": N_("logged")}


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _count(value: int) -> str:
    return f"{value:,}"


def layout_text(t: Translate, file_name: str, layout: Layout) -> str:
    lines = [f"📥 <b>{escape(file_name)}</b>"]
    if len(layout.sheets) > 1:
        lines.append(t("Sheet {sheet} of {count}: {names}").format(
            sheet=escape(layout.sheet), count=len(layout.sheets),
            names=escape(", ".join(layout.sheets))))
    rows = layout.row_count or layout.logs_count
    lines.append(t("Header in row {row}; {rows} rows.").format(row=layout.header_row,
                                                              rows=_count(rows)))
    if layout.encoding:
        lines.append(t("Read as {encoding}.").format(encoding=escape(layout.encoding)))
    lines += ["", "<b>" + t("Columns") + "</b>"]
    for index, name in enumerate(layout.mapping[:SHOWN_COLUMNS]):
        heading = layout.header[index] if index < len(layout.header) else ""
        target = label(t, name) if name else "— " + t("ignored")
        lines.append(f"{column_letter(index)} {escape(heading[:30])} → {escape(target)}")
    hidden = len(layout.mapping) - SHOWN_COLUMNS + layout.columns_left_out
    if hidden > 0:
        lines.append(t("{count} more columns are not shown; they keep what was guessed or "
                       "are ignored.").format(count=hidden))
    if layout.logs_sheet and layout.row_count:
        lines.append("")
        lines.append(t("Calls and visits from sheet {sheet}: {rows} rows.").format(
            sheet=escape(layout.logs_sheet), rows=_count(layout.logs_count)))
    if not layout.logs_only and "name" not in layout.mapping:
        lines += ["", "⚠️ " + t("No column holds the name: choose one before the preview.")]
    return "\n".join(lines)


def layout_keyboard(t: Translate, job_id: int, layout: Layout, *, app_url: str = ""
                    ) -> InlineKeyboardMarkup:
    """A button a column, the other sheets, Preview and Cancel; with the Mini App's
    address, one that opens this mapping on a screen."""
    columns = [button(f"{column_letter(i)}✏️", f"im:{job_id}:col:{i}")
               for i in range(min(len(layout.mapping), SHOWN_COLUMNS))]
    rows = rows_of(columns, 6)
    if len(layout.sheets) > 1:
        rows.append([button("📄 " + name[:20], f"im:{job_id}:sheet:{n}")
                     for n, name in enumerate(layout.sheets[:4]) if name != layout.sheet])
    rows.append([button("🔎 " + t("Preview"), f"im:{job_id}:pre"),
                 button("❌ " + t("Cancel"), f"im:{job_id}:cancel")])
    if app_url:
        rows.append([app_button("🗂 " + t("Review in the app"), app_url, job=job_id)])
    return InlineKeyboardMarkup(rows)


def field_keyboard(t: Translate, job_id: int, column: int, logs: bool) -> InlineKeyboardMarkup:
    fields = LOG_FIELDS if logs else CUSTOMER_FIELDS
    buttons = [button(label(t, f), f"im:{job_id}:set:{column}:{f}") for f in fields]
    rows = rows_of(buttons, 3)
    rows.append([button("🚫 " + t("Ignore this column"), f"im:{job_id}:set:{column}:-"),
                 button("↩️ " + t("Back"), f"im:{job_id}:map")])
    return InlineKeyboardMarkup(rows)


def problem_text(t: Translate, problem: Problem) -> str:
    params = {"label": label(t, problem.field), **problem.params}
    try:
        return t(problem.message).format(**params)
    except (KeyError, IndexError):
        return t(problem.message)


def reason_text(t: Translate, reason: str) -> str:
    if not reason:
        return ""
    data = json.loads(reason)
    return problem_text(t, Problem(data["field"], data["message"], data.get("params", {})))


def preview_text(t: Translate, file_name: str, checked: Checked,
                 choices: dict[Kind, Choice]) -> str:
    p: Preview = checked.preview
    lines = ["🔎 <b>" + t("Preview of {file}").format(file=escape(file_name)) + "</b>"]
    if p.rows:
        lines.append(t("{rows} rows: {valid} valid, {invalid} with problems.").format(
            rows=_count(p.rows), valid=_count(p.valid), invalid=_count(p.invalid)))
        lines.append(t("New: {new}").format(new=_count(p.new)))
        for kind in (Kind.CERTAIN, Kind.POSSIBLE, Kind.IN_FILE):
            count = getattr(p, kind.value)
            if count:
                lines.append(f"{t(KIND_TITLES[kind])}: {_count(count)} → "
                             f"{t(CHOICE_LABELS[choices[kind]])}")
        lines.append(t("History: {contacts} last contacts, {followups} follow-ups, {notes} "
                       "notes.").format(contacts=_count(p.last_contact),
                                        followups=_count(p.followups), notes=_count(p.notes)))
    if p.logs:
        lines.append(t("Calls and visits: {rows} rows, {invalid} with problems.").format(
            rows=_count(p.logs), invalid=_count(p.logs_invalid)))
    if p.problems:
        lines += ["", "<b>" + t("First problems") + "</b>"]
        lines += [t("Row {row}: {problem}").format(row=row, problem=escape(
            problem_text(t, problem))) for row, problem in p.problems]
        lines.append(t("The result file will list every row."))
    lines += ["", t("Nothing is written until you press Import.")]
    return "\n".join(lines)


def to_write(checked: Checked, choices: dict[Kind, Choice]) -> int:
    p = checked.preview
    return p.new + sum(int(getattr(p, k.value)) for k in KIND_TITLES
                       if choices[k] is not Choice.SKIP) + p.logs - p.logs_invalid


def preview_keyboard(t: Translate, job_id: int, checked: Checked,
                     choices: dict[Kind, Choice]) -> InlineKeyboardMarkup:
    rows = [[button(f"{t(KIND_TITLES[kind])}: {t(CHOICE_LABELS[choices[kind]])} ▸",
                    f"im:{job_id}:ch:{kind.value}")]
            for kind in (Kind.CERTAIN, Kind.POSSIBLE, Kind.IN_FILE)
            if getattr(checked.preview, kind.value)]
    count = to_write(checked, choices)
    if count:
        rows.append([button("✅ " + t("Import {count}").format(count=_count(count)),
                            f"im:{job_id}:go")])
    rows.append([button("↩️ " + t("Columns"), f"im:{job_id}:map"),
                 button("❌ " + t("Cancel"), f"im:{job_id}:cancel")])
    return InlineKeyboardMarkup(rows)


def progress_text(t: Translate, file_name: str, done: int, total: int,
                  seconds_left: float | None) -> str:
    share = done / total if total else 1.0
    bar = "▓" * round(share * 12) + "░" * (12 - round(share * 12))
    text = t("Importing {file}…").format(file=escape(file_name))
    line = f"{bar} {share:.0%} ({_count(done)}/{_count(total)})"
    if seconds_left is not None and done < total:
        line += " · " + t("about {seconds} s left").format(seconds=max(1, round(seconds_left)))
    return f"⏳ {text}\n{line}"


def report_text(t: Translate, job_id: int, file_name: str, counts: dict[str, int], *,
                every: bool = True) -> str:
    parts = [f"{t(OUTCOMES[o])}: {_count(counts[o])}" for o in OUTCOMES if counts.get(o)]
    listed = t("Every row's outcome is in the file below.") if every else t(
        "The file below lists the rows that were not simply created (at most {limit}).")
    return "✅ " + t("Import #{number} of {file} is done.").format(
        number=job_id, file=escape(file_name)) + "\n" + "; ".join(parts) + "\n" + (
        listed.format(limit=_count(RESULT_ROWS)) + " " + t(
            "An admin can undo the whole import within 24 hours."))


def report_keyboard(t: Translate, job_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("↩️ " + t("Undo import"), f"im:{job_id}:undo")]])
