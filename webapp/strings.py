"""The page's own words, translated by the chat's catalog (bot/messages/locales) and sent with
/app/api/me, so that one .po file holds every sentence a member reads. The page's HTML
carries the English; `data-s="key"` marks what is replaced."""

from __future__ import annotations

from bot.messages.i18n import N_, Translate
from bot.messages.labels import (
    DEAL_STAGE_LABELS,
    FIELD_LABELS,
    KIND_LABELS,
    PRIORITY_LABELS,
    REQUEST_KIND_LABELS,
    STAGE_LABELS,
    TIER_LABELS,
)
from bot.messages.payments import BUCKET_LABELS

STRINGS = {
    "customers": N_("Customers"),
    "board": N_("Pipeline"),
    "dashboard": N_("Dashboard"),
    "search": N_("Name, pinyin, company, phone, tag"),
    "all_tiers": N_("All tiers"),
    "all_stages": N_("All stages"),
    "all_regions": N_("All regions"),
    "all_tags": N_("All tags"),
    "all_owners": N_("All owners"),
    "no_segment": N_("No segment"),
    "quiet": N_("Gone quiet (30 days)"),
    "sort_updated": N_("Last changed first"),
    "sort_name": N_("By name"),
    "sort_last_contact": N_("Last contact first"),
    "sort_code": N_("By code"),
    "count": N_("{count} customers"),
    "followups": N_("Follow-ups"),
    "timeline": N_("Timeline"),
    "deals": N_("Deals"),
    "edit": N_("Edit"),
    "save": N_("Save"),
    "cancel": N_("Cancel"),
    "saved": N_("Saved."),
    "team": N_("Team"),
    "mine": N_("Mine"),
    "move_to": N_("Move to"),
    "moved": N_("Moved to “{stage}”."),
    "nothing": N_("Nothing here yet."),
    "close": N_("Close"),
    "more": N_("and {count} more"),
    # The import's columns and preview: the chat's mapping card and preview, in words.
    "im_header": N_("Header in row {row}; {rows} rows."),
    "im_columns": N_("Columns"),
    "im_ignored": N_("ignored"),
    "im_no_name": N_("No column holds the name: choose one before the preview."),
    "im_preview": N_("Preview"),
    "im_closed": N_("This import was already confirmed or cancelled."),
    "im_in_chat": N_("Nothing is written until you press Import on its card in the chat."),
    "pv_rows": N_("{rows} rows: {valid} valid, {invalid} with problems."),
    "pv_new": N_("New: {new}"),
    "pv_history": N_("History: {contacts} last contacts, {followups} follow-ups, {notes} "
                     "notes."),
    "pv_logs": N_("Calls and visits: {rows} rows, {invalid} with problems."),
    "pv_problems": N_("First problems"),
    "pv_row": N_("Row {row}: {problem}"),
    # After the sale: the receivables screen, the table's filter, the card's lines.
    "money_tab": N_("Money"),
    "open_requests": N_("Open requests"),
    "owed": N_("Owed"),
    "requests": N_("Service requests"),
    "month_rate": N_("This month: {paid} of {due} due collected ({rate})"),
    "nothing_owed": N_("Nothing is owed: every purchase is paid."),
}


def page_strings(t: Translate) -> dict[str, object]:
    return {
        "text": {key: t(text) for key, text in STRINGS.items()},
        "fields": {key: t(text) for key, text in FIELD_LABELS.items()},
        "tiers": {tier.value: t(text) for tier, text in TIER_LABELS.items()},
        "stages": {stage.value: t(text) for stage, text in STAGE_LABELS.items()},
        "deal_stages": {stage.value: t(text) for stage, text in DEAL_STAGE_LABELS.items()},
        "kinds": {kind.value: f"{icon} {t(text)}" for kind, (icon, text) in KIND_LABELS.items()},
        "buckets": {key: t(text) for key, text in BUCKET_LABELS.items()},
        "request_kinds": {kind.value: t(text) for kind, text in REQUEST_KIND_LABELS.items()},
        "priorities": {p.value: t(text) for p, text in PRIORITY_LABELS.items()},
    }
