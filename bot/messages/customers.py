"""The customer card, its keyboards, a lookup's results and a draft before saving.

Every user-supplied string is HTML-escaped where it is put into a message."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import Translate
from bot.messages.keyboards import app_button, button, rows_of
from bot.messages.labels import kind_label, label, local_time, stage_label, tier_label
from storage.customers import CustomerDraft
from storage.models import (
    Customer,
    Interaction,
)
from storage.search.lookup import SearchHit
from storage.search.names import has_han
from storage.validation import format_phone

EDIT_FIELDS = ("name", "phone", "email", "company", "title", "region", "address", "source",
               "wechat", "notes")


def customer_card(customer: Customer, t: Translate, *, region: str, timezone: str,
                  recent: list[Interaction] | None = None, sales: list[str] | None = None
                  ) -> str:
    lines = [f"<b>{escape(customer.name)}</b>  <code>{customer.code}</code>"]
    if customer.archived:
        lines.append("🗄 " + t("Archived"))
    where = " · ".join(escape(v) for v in (customer.company, customer.title, customer.region) if v)
    if where:
        lines.append(f"🏢 {where}")
    for phone in customer.contact_values("phone"):
        lines.append(f"📞 {escape(format_phone(phone, region))}")
    for email in customer.contact_values("email"):
        lines.append(f"✉️ {escape(email)}")
    for kind, icon in (("wechat", "💬 WeChat"), ("telegram", "✈️ Telegram")):
        for value in customer.contact_values(kind):
            lines.append(f"{icon}: {escape(value)}")
    if customer.address:
        lines.append(f"📍 {escape(customer.address)}")
    lines.append(
        "⭐ " + t("Tier: {tier} · Stage: {stage}").format(
            tier=tier_label(t, customer.tier), stage=stage_label(t, customer.stage)
        )
    )
    if customer.tags:
        lines.append("🏷 " + " ".join(f"#{escape(tag.name)}" for tag in customer.tags))
    if customer.source:
        lines.append(t("Source: {source}").format(source=escape(customer.source)))
    if customer.notes:
        lines.append("📝 " + escape(customer.notes[:500]))
    lines.append("🕒 " + t("Last contact: {when}").format(
        when=local_time(customer.last_contact_at, timezone, t)))
    if customer.owner is not None:
        lines.append("👤 " + t("Owner: {name}").format(name=escape(customer.owner.display_name)))
    lines += sales or []
    for entry in recent or []:
        line = f"  {local_time(entry.occurred_at, timezone, t)[5:]} {kind_label(t, entry.kind)}"
        if entry.summary:
            line += f": {escape(entry.summary[:80])}"
        lines.append(line)
    return "\n".join(lines)


def compact_card(customer: Customer, t: Translate, *, region: str) -> str:
    """The card posted into another chat: who, where, how to reach them, whose."""
    lines = [f"<b>{escape(customer.name)}</b>  <code>{customer.code}</code>"]
    if customer.company:
        lines.append(f"🏢 {escape(customer.company)}")
    lines += [f"📞 {escape(format_phone(phone, region))}"
              for phone in customer.contact_values("phone")[:2]]
    if customer.owner is not None:
        lines.append("👤 " + t("Owner: {name}").format(name=escape(customer.owner.display_name)))
    return "\n".join(lines)


def card_keyboard(customer: Customer, t: Translate, *, manager: bool = False,
                  app_url: str = "") -> InlineKeyboardMarkup:
    """The card's buttons; with the Mini App's address, one opens it at this customer."""
    prefix = f"c:{customer.id}"
    archive = (button("♻️ " + t("Restore"), f"{prefix}:restore") if customer.archived
               else button("🗄 " + t("Archive"), f"{prefix}:archive"))
    people = [button("🤝 " + t("Share"), f"{prefix}:share"),
              button("📇 " + t("vCard"), f"{prefix}:vcard")]
    if manager:
        people.insert(0, button("👤 " + t("Owner"), f"{prefix}:owner"))
    rows = [
        [button("✏️ " + t("Edit"), f"{prefix}:edit"),
         button("⭐ " + t("Tier"), f"{prefix}:tier"),
         button("📈 " + t("Stage"), f"{prefix}:stage")],
        [button("🏷 " + t("Tag"), f"{prefix}:f:tag"), archive,
         button("📜 " + t("Timeline"), f"tl:{customer.id}:0")],
        people,
        [button("💼 " + t("New deal"), f"{prefix}:deal"),
         button("💴 " + t("Purchases and money"), f"money:{customer.id}")],
    ]
    if app_url:
        rows.append([app_button("🗂 " + t("Open in the app"), app_url, customer=customer.id)])
    return InlineKeyboardMarkup(rows)


def customer_vcard(customer: Customer) -> str:
    """The customer as a vCard 3.0, the form phones import into their address books."""
    import vobject

    card = vobject.vCard()
    card.add("fn").value = customer.name
    family, given = (customer.name[:1], customer.name[1:]) if has_han(customer.name) else (
        customer.name.rpartition(" ")[2], customer.name.rpartition(" ")[0])
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    for phone in customer.contact_values("phone"):
        tel = card.add("tel")
        tel.value, tel.type_param = phone, "CELL"
    for email in customer.contact_values("email"):
        mail = card.add("email")
        mail.value, mail.type_param = email, "INTERNET"
    if customer.company:
        card.add("org").value = [customer.company]
    if customer.title:
        card.add("title").value = customer.title
    if customer.address or customer.region:
        card.add("adr").value = vobject.vcard.Address(
            street=customer.address or "", city=customer.region or "")
    card.add("note").value = customer.code
    text: str = card.serialize()
    return text


def field_keyboard(customer_id: int, t: Translate) -> InlineKeyboardMarkup:
    buttons = [button(label(t, f), f"c:{customer_id}:f:{f}") for f in EDIT_FIELDS]
    rows = rows_of(buttons, 3)
    rows.append([button("↩️ " + t("Back"), f"c:{customer_id}:open")])
    return InlineKeyboardMarkup(rows)


def hit_line(hit: SearchHit) -> str:
    details = " · ".join(v for v in (hit.company, hit.region) if v)
    return f"{hit.name} · {details} ({hit.code})" if details else f"{hit.name} ({hit.code})"


def results_keyboard(hits: list[SearchHit]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(hit_line(hit)[:60], f"c:{hit.customer_id}:open")] for hit in hits]
    )


def draft_card(draft: CustomerDraft, t: Translate, *, region: str) -> str:
    rows = [(t("Name"), draft.name or "—")]
    rows += [(label(t, "phone").capitalize(), format_phone(p, region)) for p in draft.phones]
    rows += [(label(t, "email").capitalize(), e) for e in draft.emails]
    for field in ("company", "title", "region", "address", "source", "wechat"):
        value = getattr(draft, field)
        if value:
            rows.append((label(t, field).capitalize(), value))
    rows.append((label(t, "tier").capitalize(), tier_label(t, draft.tier)))
    rows.append((label(t, "stage").capitalize(), stage_label(t, draft.stage)))
    if draft.tags:
        rows.append((label(t, "tag").capitalize(), " ".join(f"#{x}" for x in draft.tags)))
    body = "\n".join(f"{escape(key)}: <b>{escape(value)}</b>" for key, value in rows)
    return t("New customer — is this right?") + "\n\n" + body



def candidates_keyboard(hits: list[SearchHit], prefix: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(hit_line(hit)[:60], f"{prefix}:{hit.customer_id}")] for hit in hits]
    )
