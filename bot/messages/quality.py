"""Data quality per owner: which records lack a phone, an email, a company or a region."""

from __future__ import annotations

from html import escape

from bot.messages.i18n import Translate
from bot.messages.labels import label
from storage.quality import OwnerQuality


def quality_text(t: Translate, owners: list[OwnerQuality]) -> str:
    lines = ["🧹 " + t("Data quality: records lacking a field, per owner")]
    for owner in owners:
        gaps = " · ".join(t("no {field}: {count}").format(field=label(t, f), count=n)
                          for f, n in owner.gaps.items())
        lines.append(f"• <b>{escape(owner.owner)}</b>: " + t(
            "{records} records, {complete}% complete").format(
                records=owner.records, complete=owner.complete) + f"\n   {gaps}")
    if not owners:
        lines.append(t("No records yet."))
    return "\n".join(lines)
