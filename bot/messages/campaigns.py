"""Campaigns in chat: the audience counted, the preview, the send's end, and the effect."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import N_, Translate
from bot.messages.keyboards import button
from bot.understanding.amounts import Money, format_money
from storage.campaigns import Arm, Audience, Report
from storage.models import Campaign, CampaignStatus

SKIP_REASONS = {"no_email": N_("no email address"), "opted_out": N_("opted out"),
                "bounced": N_("address bounced"),
                "same_address": N_("address already chosen for another customer")}
STATUS_LABELS = {CampaignStatus.DRAFT: N_("draft"), CampaignStatus.SENDING: N_("sending"),
                 CampaignStatus.PAUSED: N_("paused"), CampaignStatus.DONE: N_("sent"),
                 CampaignStatus.CANCELLED: N_("stopped")}
FIELDS_HINT = "{{ name }} {{ company }} {{ owner }} {{ title }} {{ region }} {{ code }}"


def audience_text(t: Translate, audience: Audience, holdout_percent: int) -> str:
    lines = ["👥 " + t("{send} customers would get it; {holdout} held out at random "
                       "({percent}%) to measure the effect.").format(
        send=audience.send, holdout=audience.holdout, percent=holdout_percent)]
    for reason, count in sorted(audience.skipped.items()):
        lines.append("   " + t("left out, {reason}: {count}").format(
            reason=t(SKIP_REASONS.get(reason, reason)), count=count))
    return "\n".join(lines)


def ask_subject(t: Translate) -> str:
    return "✉️ " + t("The subject? Merge fields: {fields} (or /cancel)").format(
        fields=FIELDS_HINT)


def ask_body(t: Translate) -> str:
    return "✉️ " + t("The message? The same merge fields; {% if company %}…{% endif %} "
                     "for a line only some get (or /cancel).")


def preview_text(t: Translate, audience: Audience, holdout_percent: int,
                 samples: list[tuple[str, str, str]]) -> str:
    """As it will arrive for the first three: To, Subject, the body."""
    lines = [audience_text(t, audience, holdout_percent), "",
             "👀 " + t("As it will arrive:")]
    for to, subject, body in samples:
        lines += ["", f"<b>To:</b> {escape(to)}", f"<b>{escape(subject)}</b>",
                  escape(body[:600]) + ("…" if len(body) > 600 else "")]
    lines += ["", "🔗 " + t("Each message ends with an unsubscribe link, and mail clients "
                           "show their own one-click unsubscribe (List-Unsubscribe).")]
    return "\n".join(lines)


def preview_keyboard(t: Translate, campaign_id: int, *, can_send: bool
                     ) -> InlineKeyboardMarkup:
    first = [button("🚀 " + t("Send"), f"cmp:{campaign_id}:send")] if can_send else []
    return InlineKeyboardMarkup([
        [*first, button("✏️ " + t("Subject"), f"cmp:{campaign_id}:subject"),
         button("✏️ " + t("Message"), f"cmp:{campaign_id}:body")],
        [button("❌ " + t("Cancel"), f"cmp:{campaign_id}:cancel")]])


def _money(revenue: dict[str, int]) -> str:
    return " + ".join(format_money(Money.from_minor(minor, currency))
                      for currency, minor in sorted(revenue.items())) or "0"


def _arm(t: Translate, title: str, arm: Arm) -> str:
    return t("{title}: {customers} customers, {buyers} bought ({rate}), revenue {revenue}, "
             "{contacts} contacts logged").format(
        title=title, customers=arm.customers, buyers=arm.buyers, rate=f"{arm.rate:.1%}",
        revenue=_money(arm.revenue), contacts=arm.contacts)


def report_text(t: Translate, found: Report, timezone_day: str | None) -> str:
    """One campaign: what was sent, and the effect against the holdout."""
    campaign, counts = found.campaign, found.counts
    lines = [f"📧 <b>#{campaign.id} {escape(campaign.subject)}</b> · "
             + t(STATUS_LABELS[CampaignStatus(campaign.status)]),
             t("sent {sent}, refused {refused}, not sure {unknown}, waiting {pending}, held "
               "out {holdout}, left out {skipped}").format(
                 sent=counts.get("sent", 0), refused=counts.get("refused", 0),
                 unknown=counts.get("unknown", 0), pending=counts.get("pending", 0),
                 holdout=counts.get("holdout", 0), skipped=counts.get("skipped", 0))]
    if campaign.problem:
        lines.append("⚠️ " + escape(campaign.problem))
    if found.sent.customers == 0:
        return "\n".join(lines)
    if timezone_day:
        lines.append("⏳ " + t("The effect is measured over {days} days, until {day}; "
                              "so far:").format(days=campaign.window_days, day=timezone_day))
    lines += ["📬 " + _arm(t, t("Sent"), found.sent), "🧪 " + _arm(t, t("Held out"), found.held)]
    lift = found.lift
    if found.too_small:
        lines.append("🤷 " + t("The holdout is too small to tell anything ({count} customers; "
                              "at least 30 are needed).").format(count=found.held.customers))
    elif lift.estimate is None or lift.low is None or lift.high is None:
        lines.append("🤷 " + t("Too few purchases on one side to compute the lift."))
    else:
        lines.append("📈 " + t("Lift in the share who bought: {lift} (95% interval {low} to "
                              "{high})").format(lift=f"{lift.estimate:+.0%}",
                                                low=f"{lift.low:+.0%}", high=f"{lift.high:+.0%}"))
        lines.append("   " + (t("A real effect: the interval does not hold zero.")
                              if lift.distinguishable else
                              t("Not distinguishable from no effect: the interval holds zero.")))
    return "\n".join(lines)


def report_keyboard(t: Translate, campaign: Campaign) -> InlineKeyboardMarkup | None:
    if campaign.status == CampaignStatus.PAUSED:
        return InlineKeyboardMarkup([[button("▶️ " + t("Resume"), f"cmp:{campaign.id}:resume"),
                                      button("⏹ " + t("Stop"), f"cmp:{campaign.id}:stop")]])
    if campaign.status == CampaignStatus.SENDING:
        return InlineKeyboardMarkup([[button("⏹ " + t("Stop"), f"cmp:{campaign.id}:stop")]])
    return None


def opted_out_line(t: Translate, since: datetime | None, timezone: str) -> str | None:
    """✉️ No campaign emails: unsubscribed 2026-11-20 (none: no line)."""
    if since is None:
        return None
    return "✉️ " + t("No campaign emails: unsubscribed {day}").format(
        day=since.astimezone(ZoneInfo(timezone)).date().isoformat())


UNSUBSCRIBE_FOOTER = N_("To get no more of these emails: {link}")


def with_footer(t: Translate, body: str, link: str) -> str:
    """The body as sent: the unsubscribe link at its end, in the team's language."""
    return f"{body}\n\n-- \n{t(UNSUBSCRIBE_FOOTER).format(link=link)}\n"


def campaign_done(t: Translate, campaign: Campaign, counts: dict[str, int]) -> str:
    return "✅ " + t("Campaign #{id} “{subject}” is sent: {sent} sent, {refused} refused, "
                    "{holdout} held out, {skipped} left out. /campaigns shows its effect.").format(
        id=campaign.id, subject=campaign.subject, sent=counts.get("sent", 0),
        refused=counts.get("refused", 0), holdout=counts.get("holdout", 0),
        skipped=counts.get("skipped", 0))


def campaign_paused(t: Translate, campaign: Campaign, counts: dict[str, int]) -> str:
    return "⏸ " + t("Campaign #{id} paused after {sent} messages: the mail server could not "
                    "be used ({problem}). Nothing is lost; /campaigns resumes it.").format(
        id=campaign.id, sent=counts.get("sent", 0), problem=campaign.problem or "")
