"""Likely duplicates: the ones found while adding a customer, the groups /dupes walks
through, a merge and its undo."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import N_, Translate
from bot.messages.keyboards import button
from storage.customers import DuplicateMatch
from storage.dedupe import DuplicateGroup
from storage.models import (
    Customer,
)
from storage.validation import format_phone


def duplicates_text(matches: list[DuplicateMatch], t: Translate) -> str:
    lines = [t("This may already be in the CRM:")]
    for match in matches:
        reason = {
            "phone": t("same phone"), "email": t("same email"), "name": t("similar name")
        }[match.reason]
        who = (f"{escape(match.name)}" + (f" · {escape(match.company)}" if match.company else "")
               if match.visible else t("a colleague's customer"))
        lines.append(f"• <code>{match.code}</code> {who} — {reason}")
    return "\n".join(lines)


def duplicates_keyboard(matches: list[DuplicateMatch], t: Translate) -> InlineKeyboardMarkup:
    rows = []
    for match in matches[:3]:
        if match.visible:
            rows.append([
                button("📂 " + t("Open {code}").format(code=match.code),
                       f"add:open:{match.customer_id}"),
                button("🔗 " + t("Merge into {code}").format(code=match.code),
                       f"add:merge:{match.customer_id}"),
            ])
    rows.append([button("➕ " + t("Add anyway"), "add:anyway"),
                 button("❌ " + t("Cancel"), "add:cancel")])
    return InlineKeyboardMarkup(rows)


DUPLICATE_REASONS = {"phone": N_("same phone"), "email": N_("same email"),
                     "name": N_("similar name")}


def duplicate_group_text(t: Translate, group: DuplicateGroup, number: int, total: int,
                         *, region: str) -> str:
    why = ", ".join(t(text) for reason, text in DUPLICATE_REASONS.items()
                    if reason in group.reasons)
    lines = [t("Possible duplicates {number} of {total}: {why}").format(
        number=number, total=total, why=why)]
    for customer in group.customers:
        details = [escape(v) for v in (customer.company, customer.region) if v]
        details += [escape(format_phone(p, region)) for p in customer.contact_values("phone")]
        details += [escape(e) for e in customer.contact_values("email")]
        lines.append(" · ".join([f"• <code>{customer.code}</code> <b>{escape(customer.name)}</b>",
                                 *details]))
    lines.append(t("Tap the record to keep; the others are merged into it."))
    return "\n".join(lines)


def duplicate_group_keyboard(t: Translate, group: DuplicateGroup) -> InlineKeyboardMarkup:
    rows = []
    for keep in group.customers:
        others = ",".join(str(c.id) for c in group.customers if c.id != keep.id)
        rows.append([button("✅ " + t("Keep {code}").format(code=keep.code),
                            f"dm:{keep.id}:{others}")])
    everyone = ",".join(str(c.id) for c in group.customers)
    rows.append([button("🙅 " + t("Not duplicates"), f"dn:{everyone}")])
    return InlineKeyboardMarkup(rows)


def merged_text(t: Translate, survivor: Customer, merged: list[Customer]) -> str:
    return "🔗 " + t("Merged {codes} into {code}. You can undo this for 24 hours.").format(
        codes=", ".join(c.code for c in merged), code=survivor.code)


def undo_keyboard(t: Translate, merge_ids: list[int]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("↩️ " + t("Undo merge"),
                                         "mu:" + ",".join(str(i) for i in merge_ids))]])
