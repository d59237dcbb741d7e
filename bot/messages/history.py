"""A record's history from the audit log: who changed what, when."""

from __future__ import annotations

from html import escape

from bot.messages.i18n import N_, Translate
from bot.messages.labels import label, local_time
from storage.models import (
    Customer,
)
from storage.privacy import Change

HISTORY_ACTIONS = {
    "create": N_("created the record"), "update": N_("changed"), "tag": N_("tagged"),
    "archive": N_("archived"), "restore": N_("restored"), "merge": N_("merged a record in"),
    "merged_into": N_("merged it into another record"), "unmerge": N_("undid a merge"),
    "log": N_("logged a contact"), "verify": N_("confirmed the details"),
    "export": N_("exported everything about it"), "erase": N_("erased it"),
    "reassign": N_("handed it to another owner"), "share": N_("shared it"),
    "not_duplicate": N_("marked it as not a duplicate"),
    "import": N_("imported it from a file"),
    "payment": N_("recorded a payment"), "return": N_("recorded a return"),
    "write_off": N_("wrote off what was owed"), "survey": N_("made a survey link"),
    "survey_answered": N_("the customer answered the survey"),
    "request_open": N_("opened a service request"),
    "request_start": N_("started on a service request"),
    "request_resolve": N_("resolved a service request"),
    "request_reopen": N_("reopened a service request"),
    "plan": N_("set a payment plan"), "invoice": N_("recorded an invoice"),
}


HISTORY_FIELDS = {"contacts": N_("contacts"), "tags": N_("tags"), "owner": N_("owner"),
                  "file": N_("file"), "row": N_("row"),
                  "shared with": N_("shared with"), "merged into": N_("merged into"),
                  "archived": N_("in the archive")}


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def history_text(t: Translate, customer: Customer, changes: list[Change], timezone: str
                 ) -> str:
    lines = [t("History of {name} <code>{code}</code>").format(
        name=f"<b>{escape(customer.name)}</b>", code=customer.code)]
    for change in changes:
        action = HISTORY_ACTIONS.get(change.action)
        what = t(action) if action else escape(change.action)
        lines.append(f"{local_time(change.at, timezone, t)} {escape(change.who)}: {what}")
        for field, (before, after) in change.fields.items():
            name = t(HISTORY_FIELDS[field]) if field in HISTORY_FIELDS else label(t, field)
            lines.append(f"   {escape(name)}: {escape(_shown(before)[:200])} → "
                         f"{escape(_shown(after)[:200])}")
    if len(lines) == 1:
        lines.append(t("Nothing recorded yet."))
    return "\n".join(lines)
