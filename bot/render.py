"""Cards, lists and keyboards. Every user-supplied string is HTML-escaped here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.i18n import N_, Translate
from bot.understanding.amounts import Money, format_money
from storage.customers import CustomerDraft, DuplicateMatch
from storage.dedupe import DuplicateGroup
from storage.errors import CrmError, ValidationFailed
from storage.models import (
    Customer,
    Deal,
    DealStage,
    Interaction,
    InteractionKind,
    Reminder,
    ReminderKind,
    Stage,
    Tier,
    User,
)
from storage.names import has_han
from storage.privacy import Change
from storage.quality import OwnerQuality
from storage.reminders import Digest
from storage.search import SearchHit
from storage.team import MemberLine, WeeklySummary
from storage.validation import format_phone
from storage.value import Suggestion

FIELD_LABELS: dict[str, str] = {
    "name": N_("name"),
    "company": N_("company"),
    "title": N_("title"),
    "region": N_("region"),
    "address": N_("address"),
    "source": N_("source"),
    "preferences": N_("preferences"),
    "notes": N_("notes"),
    "tier": N_("tier"),
    "stage": N_("stage"),
    "phone": N_("phone"),
    "email": N_("email"),
    "wechat": N_("WeChat"),
    "telegram": N_("Telegram"),
    "tag": N_("tag"),
    "product": N_("product"),
    "deal": N_("deal title"),
    "amount": N_("amount"),
    "quantity": N_("quantity"),
    "score": N_("score"),
    "summary": N_("note"),
    "outcome": N_("outcome"),
    "reminder": N_("reminder"),
    "due": N_("follow-up time"),
    "timezone": N_("time zone"),
    "occurred": N_("time of the contact"),
    "tags": N_("tags"),
    "owner": N_("owner"),
    "last_contact": N_("last contact"),
    "next_followup": N_("next follow-up"),
    "code": N_("code"),
    "date": N_("date"),
    "kind": N_("kind of contact"),
    "filter": N_("filter"),
    "quiet": N_("quiet days"),
    "created": N_("created"),
}
TIER_LABELS = {Tier.CORE: N_("core"), Tier.IMPORTANT: N_("important"), Tier.NORMAL: N_("normal")}
STAGE_LABELS = {
    Stage.LEAD: N_("lead"),
    Stage.PROSPECT: N_("prospect"),
    Stage.CUSTOMER: N_("customer"),
    Stage.LOYAL: N_("loyal"),
    Stage.CHURNED: N_("churned"),
}
DEAL_STAGE_LABELS = {
    DealStage.LEAD: N_("lead"),
    DealStage.QUALIFIED: N_("qualified"),
    DealStage.PROPOSAL: N_("proposal"),
    DealStage.NEGOTIATION: N_("negotiation"),
    DealStage.WON: N_("won"),
    DealStage.LOST: N_("lost"),
}
EDIT_FIELDS = ("name", "phone", "email", "company", "title", "region", "address", "source",
               "wechat", "notes")


def label(t: Translate, field: str) -> str:
    return t(FIELD_LABELS.get(field, field))


def tier_label(t: Translate, tier: str) -> str:
    return t(TIER_LABELS.get(Tier(tier), tier)) if tier in Tier._value2member_map_ else tier


def stage_label(t: Translate, stage: str) -> str:
    return t(STAGE_LABELS.get(Stage(stage), stage)) if stage in Stage._value2member_map_ else stage


def deal_stage_label(t: Translate, stage: str) -> str:
    return t(DEAL_STAGE_LABELS[DealStage(stage)]) if stage in DealStage._value2member_map_ \
        else stage


def deal_line(t: Translate, deal: Deal) -> str:
    """#3 X1 项目 · 王小明 · ¥300,000 · 2026-12-31 · proposal"""
    value = format_money(Money.from_minor(deal.value_minor, deal.currency)) \
        if deal.value_minor else "—"
    close = deal.close_on.isoformat() if deal.close_on else "—"
    return (f"#{deal.id} {escape(deal.title)} · {escape(deal.customer.name)} · {value} · "
            f"{close} · {deal_stage_label(t, deal.stage)}")


def local_time(moment: datetime | None, timezone: str, t: Translate) -> str:
    if moment is None:
        return t("never")
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


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


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def rows_of(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def card_keyboard(customer: Customer, t: Translate, *, manager: bool = False,
                  app_url: str = "") -> InlineKeyboardMarkup:
    """The card's buttons; with the Mini App's address, one opens it at this customer."""
    prefix = f"c:{customer.id}"
    archive = (button("♻️ " + t("Restore"), f"{prefix}:restore") if customer.archived
               else button("🗄 " + t("Archive"), f"{prefix}:archive"))
    people = [button("🤝 " + t("Share"), f"{prefix}:share"),
              button("📇 " + t("vCard"), f"{prefix}:vcard"),
              button("💼 " + t("New deal"), f"{prefix}:deal")]
    if manager:
        people.insert(0, button("👤 " + t("Owner"), f"{prefix}:owner"))
    rows = [
        [button("✏️ " + t("Edit"), f"{prefix}:edit"),
         button("⭐ " + t("Tier"), f"{prefix}:tier"),
         button("📈 " + t("Stage"), f"{prefix}:stage")],
        [button("🏷 " + t("Tag"), f"{prefix}:f:tag"), archive,
         button("📜 " + t("Timeline"), f"tl:{customer.id}:0")],
        people,
    ]
    if app_url:
        rows.append([app_button("🗂 " + t("Open in the app"), app_url, customer=customer.id)])
    return InlineKeyboardMarkup(rows)


def app_button(text: str, app_url: str, **opened_at: int) -> InlineKeyboardButton:
    """A button that opens the Mini App (private chats only) at one of its screens."""
    joined = "&" if "?" in app_url else "?"
    return InlineKeyboardButton(text, web_app=WebAppInfo(
        app_url + joined + "&".join(f"{key}={value}" for key, value in opened_at.items())))


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


def choice_keyboard(prefix: str, choices: dict[str, str], t: Translate,
                    extra: list[InlineKeyboardButton] | None = None) -> InlineKeyboardMarkup:
    buttons = [button(t(text), f"{prefix}:{value}") for value, text in choices.items()]
    rows = rows_of(buttons, 3)
    if extra:
        rows.append(extra)
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


def error_text(error: CrmError, t: Translate) -> str:
    """A domain error in the user's language, its values escaped."""
    return "⚠️ " + error_message(error, t, quote=escape)


def error_message(error: CrmError, t: Translate, *,
                  quote: Callable[[str], str] = str) -> str:
    """A domain error in the user's language, as plain text (`quote` each value for
    markup)."""
    params = {key: quote(str(value)) for key, value in error.params.items()}
    if isinstance(error, ValidationFailed):
        params.setdefault("label", label(t, error.field))
    return t(error.message).format(**params)


KIND_LABELS = {
    InteractionKind.CALL: ("📞", N_("Call")),
    InteractionKind.MEETING: ("🤝", N_("Meeting")),
    InteractionKind.MESSAGE: ("💬", N_("Message")),
    InteractionKind.EMAIL: ("✉️", N_("Email")),
    InteractionKind.NOTE: ("📝", N_("Note")),
    InteractionKind.FEEDBACK: ("📣", N_("Feedback")),
    InteractionKind.PURCHASE: ("🛒", N_("Purchase")),
}


def kind_label(t: Translate, kind: str) -> str:
    icon, text = KIND_LABELS.get(InteractionKind(kind), ("📝", N_("Note")))
    return f"{icon} {t(text)}"


def log_card(t: Translate, *, customer: Customer | None, kind: str | None, text: str,
             occurred: datetime | None, due: datetime | None, timezone: str) -> str:
    """What was understood from a log or /remind message, shown before it is saved."""
    who = (f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>" if customer
           else "<i>" + t("no customer yet") + "</i>")
    head = f"{kind_label(t, kind)} · {who}" if kind else "⏰ " + t("Follow-up") + f" · {who}"
    lines = [head]
    if text:
        lines.append(f"“{escape(text[:1000])}”")
    if kind:
        lines.append("🕒 " + t("When: {when}").format(
            when=local_time(occurred, timezone, t) if occurred else t("just now")))
    lines.append("⏰ " + t("Follow-up: {when}").format(
        when=local_time(due, timezone, t) if due else t("none")))
    return "\n".join(lines)


def log_keyboard(t: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [button("✅ " + t("Save"), "log:save"), button("📅 " + t("Change date"), "log:date")],
        [button("👤 " + t("Change customer"), "log:who"),
         button("❌ " + t("Cancel"), "log:cancel")],
    ])


def candidates_keyboard(hits: list[SearchHit], prefix: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(hit_line(hit)[:60], f"{prefix}:{hit.customer_id}")] for hit in hits]
    )


def reminder_text(t: Translate, reminder: Reminder, timezone: str, *, late: bool) -> str:
    lines = ["⏰ " + t("Follow-up")]
    if reminder.customer is not None:
        customer = reminder.customer
        lines[0] += f" · <b>{escape(customer.name)}</b> <code>{customer.code}</code>"
    if reminder.text:
        lines.append(f"“{escape(reminder.text)}”")
    lines.append(t("Due {when}").format(when=local_time(reminder.due_at, timezone, t)))
    if late:
        lines.append("⌛ " + t("Late: the bot could not send this on time."))
    return "\n".join(lines)


def reminder_keyboard(t: Translate, reminder_id: int) -> InlineKeyboardMarkup:
    prefix = f"r:{reminder_id}"
    return InlineKeyboardMarkup([
        [button("✅ " + t("Done"), f"{prefix}:done"),
         button("💤 " + t("Snooze 1 h"), f"{prefix}:1h")],
        [button("🌅 " + t("Tomorrow 9:00"), f"{prefix}:tomorrow"),
         button("📅 " + t("Next week"), f"{prefix}:nextweek")],
        [button("🕒 " + t("Pick time"), f"{prefix}:pick"),
         button("🗑 " + t("Cancel it"), f"{prefix}:cancel")],
    ])


def _followup_line(t: Translate, reminder: Reminder, timezone: str, *, with_year: bool,
                   text_limit: int) -> str:
    when = local_time(reminder.due_at, timezone, t)
    who = escape(reminder.customer.name) if reminder.customer else "—"
    return f"• {when if with_year else when[5:]} {who}: {escape(reminder.text[:text_limit])}"


def followups_text(t: Translate, groups: dict[str, list[Reminder]], timezone: str) -> str:
    titles = {"overdue": t("Overdue"), "today": t("Today"), "week": t("This week")}
    lines: list[str] = []
    for key, items in groups.items():
        if not items:
            continue
        lines.append(f"<b>{titles[key]}</b>")
        lines += [_followup_line(t, r, timezone, with_year=True, text_limit=80)
                  for r in items[:20]]
    return "\n".join(lines) if lines else t("No follow-ups due this week. 🎉")


def followups_keyboard(reminders: list[Reminder], timezone: str, t: Translate
                       ) -> InlineKeyboardMarkup:
    rows = []
    for reminder in reminders[:20]:
        who = reminder.customer.name if reminder.customer else "—"
        rows.append([button(f"{local_time(reminder.due_at, timezone, t)[5:]} {who}"[:60],
                            f"r:{reminder.id}:open")])
    return InlineKeyboardMarkup(rows)


def timeline_text(t: Translate, customer: Customer, entries: list[Interaction], total: int,
                  offset: int, timezone: str) -> str:
    lines = [t("Timeline of {name} ({shown} of {total})").format(
        name=f"<b>{escape(customer.name)}</b>", shown=f"{offset + 1}-{offset + len(entries)}"
        if entries else "0", total=total)]
    for entry in entries:
        line = f"{local_time(entry.occurred_at, timezone, t)} {kind_label(t, entry.kind)}"
        if entry.summary:
            line += f": {escape(entry.summary[:300])}"
        if entry.outcome:
            line += f" → {escape(entry.outcome)}"
        if entry.attachment_kind:
            line += f" 📎/file_{entry.id}"
        lines.append(line)
    return "\n".join(lines)


def timeline_keyboard(t: Translate, customer_id: int, offset: int, total: int, page: int
                      ) -> InlineKeyboardMarkup | None:
    row = []
    if offset > 0:
        row.append(button("◀️ " + t("Newer"), f"tl:{customer_id}:{max(offset - page, 0)}"))
    if offset + page < total:
        row.append(button(t("Older") + " ▶️", f"tl:{customer_id}:{offset + page}"))
    return InlineKeyboardMarkup([row]) if row else None


def digest_text(t: Translate, digest: Digest, timezone: str, currency: str = "CNY") -> str:
    lines = ["☀️ " + t("Your day")]
    sections = ((t("Overdue"), digest.overdue), (t("Today"), digest.today))
    for title, items in sections:
        if items:
            lines.append(f"\n<b>{title}</b>")
            lines += [_followup_line(t, r, timezone, with_year=False, text_limit=60)
                      for r in items[:10]]
    if digest.nudges:
        lines.append("\n<b>" + t("Needs a look") + "</b>")
        lines += ["• " + _nudge_reason(t, n, timezone) for n in digest.nudges]
    if digest.deals:
        lines.append("\n<b>" + t("Deals past their close date") + "</b>")
        lines += ["• " + deal_line(t, d) for d in digest.deals]
    if digest.churn:
        lines.append("\n<b>" + t("Slipping away") + "</b>")
        lines += [f"• <b>{escape(s.customer.name)}</b>: {churn_words(t, s.value.churn)}"
                  for s in digest.churn if s.value.churn]
    if digest.tiers:
        lines.append("\n<b>" + t("Tier suggestions") + "</b>")
        lines += ["• " + tier_suggestion_line(t, s, currency) for s in digest.tiers]
    return "\n".join(lines)


def churn_words(t: Translate, churn: dict[str, Any]) -> str:
    """A churn warning's reason in words (the rule and numbers storage/value.py keeps)."""
    rule = churn.get("rule")
    if rule == "overdue":
        return t("no purchase for {days} days; usually every {usual} days").format(
            days=churn["days"], usual=churn["usual"])
    if rule == "falling":
        return t("{now} purchases in the last 90 days, {before} a quarter before").format(
            now=churn["now"], before=churn["before"])
    if rule == "complaint":
        return t("complained on {date}").format(date=churn["on"])
    if rule == "low_score":
        return t("satisfaction {score}/5 on {date}").format(score=churn["score"],
                                                           date=churn["on"])
    return t("slipping away")


def tier_suggestion_line(t: Translate, suggestion: Suggestion, currency: str) -> str:
    """王小明: normal → core (3 purchases in the last year, ¥86,000, the last 5 days ago)"""
    value, customer = suggestion.value, suggestion.customer
    assert value.suggested_tier is not None
    return t("<b>{name}</b>: {before} → {after} ({count} purchases in the last year, "
             "{amount}, the last {days} days ago)").format(
        name=escape(customer.name), before=tier_label(t, customer.tier),
        after=tier_label(t, value.suggested_tier), count=value.frequency,
        amount=format_money(Money.from_minor(value.monetary_minor, currency)),
        days=value.recency_days)


def digest_keyboard(digest: Digest, timezone: str, t: Translate) -> InlineKeyboardMarkup:
    rows = followups_keyboard(digest.overdue + digest.today, timezone, t).inline_keyboard
    deals = [button(f"💼 #{d.id} {d.title}"[:40], f"deal:{d.id}:open") for d in digest.deals[:4]]
    churn = [[button(f"📞 {s.customer.name}"[:30], f"c:{s.customer.id}:open"),
              button("⏰ " + t("Follow-up"), f"churn:{s.customer.id}:remind"),
              button("🙈 " + t("30 days"), f"churn:{s.customer.id}:quiet")]
             for s in digest.churn[:4]]
    tiers = [[button(f"⭐ {s.customer.name} → {tier_label(t, s.value.suggested_tier or '')}"[:40],
                     f"tiers:{s.customer.id}:{s.value.suggested_tier}"),
              button(t("Keep {tier}").format(tier=tier_label(t, s.customer.tier)),
                     f"tiers:{s.customer.id}:keep")] for s in digest.tiers[:4]]
    return InlineKeyboardMarkup([*rows[:8], *nudges_keyboard(digest.nudges).inline_keyboard,
                                 *rows_of(deals, 2), *churn, *tiers])


def nudges_keyboard(nudges: list[Reminder]) -> InlineKeyboardMarkup:
    """Two buttons a row, each opening one nudge with its own buttons."""
    buttons = [button(("🔕 " if n.kind == ReminderKind.QUIET else "🔎 ")
                      + (n.customer.name[:20] if n.customer else "—"), f"n:{n.id}:open")
               for n in nudges]
    return InlineKeyboardMarkup(rows_of(buttons, 2))


def _nudge_reason(t: Translate, nudge: Reminder, timezone: str) -> str:
    customer = nudge.customer
    if customer is None:
        return "—"
    name = f"<b>{escape(customer.name)}</b>"
    if nudge.kind == ReminderKind.QUIET:
        since = customer.last_contact_at
        return t("{name}: no contact since {when}").format(
            name=name, when=local_time(since, timezone, t)[:10] if since else t("never"))
    return t("{name}: details last confirmed {when}").format(
        name=name, when=local_time(customer.last_verified_at or customer.created_at,
                                   timezone, t)[:10])


def nudge_text(t: Translate, nudge: Reminder, timezone: str) -> str:
    """A stale-record nudge on its own: gone quiet, or "are these still right?"."""
    customer = nudge.customer
    if customer is None:
        return t("That reminder no longer exists.")
    head = f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>"
    if nudge.kind == ReminderKind.QUIET:
        return "\n".join([
            "🔕 " + t("Gone quiet") + " · " + head,
            _nudge_reason(t, nudge, timezone),
            "⭐ " + t("Tier: {tier} · Stage: {stage}").format(
                tier=tier_label(t, customer.tier), stage=stage_label(t, customer.stage)),
        ])
    lines = ["🔎 " + t("Are these still right?") + " · " + head]
    lines += [f"📞 {escape(format_phone(p, ''))}" for p in customer.contact_values("phone")]
    lines += [f"✉️ {escape(e)}" for e in customer.contact_values("email")]
    for field in ("company", "title"):
        value = getattr(customer, field)
        lines.append(f"{label(t, field).capitalize()}: {escape(value) if value else '—'}")
    lines.append(_nudge_reason(t, nudge, timezone))
    return "\n".join(lines)


VERIFY_FIELDS = ("phone", "email", "company", "title")


def nudge_keyboard(t: Translate, nudge: Reminder) -> InlineKeyboardMarkup:
    prefix = f"n:{nudge.id}"
    if nudge.kind == ReminderKind.QUIET:
        return InlineKeyboardMarkup([
            [button("📝 " + t("Log contact"), f"{prefix}:log"),
             button("⏰ " + t("Set follow-up"), f"{prefix}:followup")],
            [button("💤 " + t("Snooze a week"), f"{prefix}:snooze"),
             button("👌 " + t("Mark reviewed"), f"{prefix}:reviewed")],
        ])
    fixes = [button("✏️ " + label(t, f), f"c:{nudge.customer_id}:f:{f}") for f in VERIFY_FIELDS]
    return InlineKeyboardMarkup([
        [button("✅ " + t("All correct"), f"{prefix}:ok")], fixes[:2], fixes[2:],
        [button("💤 " + t("Snooze a week"), f"{prefix}:snooze")],
    ])


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


HISTORY_ACTIONS = {
    "create": N_("created the record"), "update": N_("changed"), "tag": N_("tagged"),
    "archive": N_("archived"), "restore": N_("restored"), "merge": N_("merged a record in"),
    "merged_into": N_("merged it into another record"), "unmerge": N_("undid a merge"),
    "log": N_("logged a contact"), "verify": N_("confirmed the details"),
    "export": N_("exported everything about it"), "erase": N_("erased it"),
    "reassign": N_("handed it to another owner"), "share": N_("shared it"),
    "not_duplicate": N_("marked it as not a duplicate"),
    "import": N_("imported it from a file"),
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


def weekly_text(t: Translate, summary: WeeklySummary, timezone: str) -> str:
    lines = ["📊 " + t("Team week since {when}").format(
        when=local_time(summary.since, timezone, t)[:10]),
        t("New customers: {new} · Contacts logged: {logged} · Follow-ups overdue: {overdue}")
        .format(new=summary.new_customers, logged=summary.interactions,
                overdue=summary.overdue), ""]
    for rep in summary.reps:
        lines.append("• " + t("{name}: {new} new, {logged} contacts, {overdue} overdue").format(
            name=escape(rep.name), new=rep.new_customers, logged=rep.interactions,
            overdue=rep.overdue))
    if summary.churn_total:
        lines.append("\n<b>" + t("Slipping away: {count} customers").format(
            count=summary.churn_total) + "</b>")
        lines += [f"• <b>{escape(s.customer.name)}</b>"
                  + (f" ({escape(s.customer.owner.display_name)})" if s.customer.owner else "")
                  + f": {churn_words(t, s.value.churn)}" for s in summary.churn if s.value.churn]
    return "\n".join(lines)


def team_text(t: Translate, members: list[MemberLine]) -> str:
    lines = ["👥 " + t("The team ({count})").format(count=len(members))]
    for line in members:
        lines.append("• " + t("{name} ({role}): {customers} customers, {open} open follow-ups, "
                              "{overdue} overdue").format(
            name=escape(line.user.display_name), role=t(ROLE_LABELS.get(line.user.role, "rep")),
            customers=line.customers, open=line.open_followups, overdue=line.overdue))
    return "\n".join(lines)


ROLE_LABELS = {"admin": N_("admin"), "manager": N_("manager"), "rep": N_("rep")}


def members_keyboard(members: list[User], prefix: str, *, marked: set[int] | None = None
                     ) -> InlineKeyboardMarkup:
    """One button per member, `prefix:<user id>`; marked ones carry a tick."""
    buttons = [button(("✓ " if marked and m.id in marked else "") + m.display_name[:30],
                      f"{prefix}:{m.id}") for m in members]
    return InlineKeyboardMarkup(rows_of(buttons, 2))


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
