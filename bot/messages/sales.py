"""Cards and keyboards of the manager's view: purchases, deals, the pipeline, value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages.i18n import Translate
from bot.messages.keyboards import button, rows_of
from bot.messages.labels import deal_stage_label, local_time, stage_label
from bot.messages.plans import plan_button, plan_lines
from bot.understanding.amounts import Money, format_money
from storage.models import Customer, Deal, DealStage
from storage.sales.deals import StageSum, is_late, stage_after
from storage.sales.purchases import Value


def deal_line(t: Translate, deal: Deal) -> str:
    """#3 X1 项目 · 王小明 · ¥300,000 · 2026-12-31 · proposal"""
    value = format_money(Money.from_minor(deal.value_minor, deal.currency)) \
        if deal.value_minor else "—"
    close = deal.close_on.isoformat() if deal.close_on else "—"
    return (f"#{deal.id} {escape(deal.title)} · {escape(deal.customer.name)} · {value} · "
            f"{close} · {deal_stage_label(t, deal.stage)}")


def value_line(t: Translate, value: Value, timezone: str) -> str:
    """💰 ¥168,000 in 4 purchases · last 2026-11-23"""
    if not value.count:
        return "💰 " + t("No purchases yet.")
    totals = " + ".join(format_money(Money.from_minor(minor, currency))
                        for currency, minor in value.totals.items())
    return "💰 " + t("{total} in {count} purchases · last {when}").format(
        total=totals, count=value.count, when=local_time(value.last_at, timezone, t)[:10])


def purchase_card(t: Translate, *, customer: Customer | None, amount: Money | None,
                  product: str | None, quantity: int | None, occurred: datetime | None,
                  value: Value | None, timezone: str, over_ceiling: bool,
                  plan: list[tuple[date, Money]] | None = None) -> str:
    """What was understood from a purchase message, shown before it is saved."""
    who = (f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>" if customer
           else "<i>" + t("no customer yet") + "</i>")
    lines = [f"🛒 {t('Purchase')} · {who}"]
    if product or quantity:
        lines.append("📦 " + escape(" × ".join(
            part for part in (product or t("(product not named)"),
                              str(quantity) if quantity else "") if part)))
    lines.append("💵 " + t("Amount: {amount}").format(
        amount=f"<b>{format_money(amount)}</b>" if amount else "<i>" + t("not given") + "</i>"))
    lines.append("🕒 " + t("When: {when}").format(
        when=local_time(occurred, timezone, t) if occurred else t("just now")))
    lines += plan_lines(t, plan or [], amount)
    if amount is not None and amount.amount <= 0:
        lines.append("⚠️ " + t("An amount must be more than zero: change it."))
    elif over_ceiling:
        lines.append("⚠️ " + t("That is more than the team's usual ceiling. Is it right?"))
    if value is not None:
        lines.append(value_line(t, value, timezone))
    return "\n".join(lines)


def purchase_keyboard(t: Translate, *, over_ceiling: bool, plan_off: bool = False
                      ) -> InlineKeyboardMarkup:
    save = (button("✅ " + t("Yes, save this amount"), "buy:sure") if over_ceiling
            else button("✅ " + t("Save without the plan"), "buy:save") if plan_off
            else button("✅ " + t("Save"), "buy:save"))
    return InlineKeyboardMarkup([
        [save, button("💵 " + t("Change amount"), "buy:amount")],
        [button("👤 " + t("Change customer"), "buy:who"),
         button("❌ " + t("Cancel"), "buy:cancel")],
    ])


def purchase_saved(t: Translate, *, customer: Customer, amount: Money, stage_before: str,
                   value: Value, timezone: str) -> str:
    lines = ["✅ " + t("Purchase of {amount} saved on {name}'s timeline.").format(
        amount=format_money(amount), name=escape(customer.name))]
    if customer.stage != stage_before:
        lines.append("📈 " + t("Stage: {before} → {after}").format(
            before=stage_label(t, stage_before), after=stage_label(t, customer.stage)))
    lines.append(value_line(t, value, timezone))
    return "\n".join(lines)


# ---- deals and the pipeline -------------------------------------------------------------

def _money(minor: int | None, currency: str) -> str:
    return format_money(Money.from_minor(minor, currency)) if minor else "—"


def deal_draft_card(t: Translate, *, customer: Customer | None, title: str,
                    value: Money | None, close_on: date | None, over_ceiling: bool) -> str:
    who = (f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>" if customer
           else "<i>" + t("no customer yet") + "</i>")
    lines = [f"💼 {t('New deal')} · {who}", f"📌 {escape(title) or '—'}",
             "💵 " + t("Value: {value}").format(
                 value=f"<b>{format_money(value)}</b>" if value else t("not given")),
             "📅 " + t("Expected close: {date}").format(
                 date=close_on.isoformat() if close_on else t("not given")),
             "📈 " + t("Stage: {stage}").format(stage=deal_stage_label(t, DealStage.LEAD))]
    if over_ceiling:
        lines.append("⚠️ " + t("That is more than the team's usual ceiling. Is it right?"))
    return "\n".join(lines)


def deal_draft_keyboard(t: Translate, *, over_ceiling: bool) -> InlineKeyboardMarkup:
    save = (button("✅ " + t("Yes, save this amount"), "newdeal:sure") if over_ceiling
            else button("✅ " + t("Save"), "newdeal:save"))
    return InlineKeyboardMarkup([
        [save, button("💵 " + t("Change value"), "newdeal:value")],
        [button("👤 " + t("Change customer"), "newdeal:who"),
         button("❌ " + t("Cancel"), "newdeal:cancel")],
    ])


def deal_card(t: Translate, deal: Deal, today: date) -> str:
    lines = [f"💼 <b>{escape(deal.title)}</b>  #{deal.id}",
             f"👥 {escape(deal.customer.name)} <code>{deal.customer.code}</code>",
             "💵 " + t("Value: {value}").format(value=_money(deal.value_minor, deal.currency)),
             "📅 " + t("Expected close: {date}").format(
                 date=deal.close_on.isoformat() if deal.close_on else "—"),
             "📈 " + t("Stage: {stage}").format(stage=deal_stage_label(t, deal.stage))]
    if deal.owner is not None:
        lines.append("👤 " + t("Owner: {name}").format(name=escape(deal.owner.display_name)))
    if is_late(deal, today):
        lines.append("⚠️ " + t("Past its expected close date."))
    return "\n".join(lines)


def deal_keyboard(t: Translate, deal: Deal, *, all_stages: bool = False
                  ) -> InlineKeyboardMarkup | None:
    """The next stage, won and lost in one tap each; every stage behind "More". A won
    deal's purchase may get its payment plan."""
    if not deal.is_open:
        return (InlineKeyboardMarkup([[plan_button(t, deal.purchase_id)]])
                if deal.purchase_id else None)
    prefix = f"deal:{deal.id}:{deal.stage}"
    if all_stages:
        moves = [button(deal_stage_label(t, s), f"{prefix}:{s.value}") for s in DealStage
                 if s.value != deal.stage]
        return InlineKeyboardMarkup(rows_of(moves, 3))
    following = stage_after(deal.stage)
    row = []
    if following and following != DealStage.WON:
        row.append(button("➡️ " + deal_stage_label(t, following), f"{prefix}:{following}"))
    row += [button("🏆 " + t("Won"), f"{prefix}:won"), button("✖️ " + t("Lost"), f"{prefix}:lost")]
    return InlineKeyboardMarkup([row, [button("⋯ " + t("Other stage"),
                                              f"deal:{deal.id}:stages")]])


def pipeline_text(t: Translate, sums: list[StageSum], *, team: bool) -> str:
    head = "📊 " + (t("Pipeline of the team") if team else t("Your pipeline"))
    if not any(s.count for s in sums):
        return head + "\n\n" + t("No deals yet. Send e.g. “王总的 X1 项目 预计 30 万 下月底签”.")
    lines = [head, ""]
    for stage_sum in sums:
        total = " + ".join(_money(minor, currency) for currency, minor in
                           stage_sum.totals.items()) or "—"
        lines.append(f"{deal_stage_label(t, stage_sum.stage)}: <b>{stage_sum.count}</b> · {total}")
    return "\n".join(lines)


def pipeline_keyboard(t: Translate, sums: list[StageSum], *, team: bool
                      ) -> InlineKeyboardMarkup:
    scope = "t" if team else "m"
    buttons = [button(f"{deal_stage_label(t, s.stage)} ({s.count})", f"pipe:{s.stage}:{scope}")
               for s in sums if s.count]
    return InlineKeyboardMarkup(rows_of(buttons, 2))


def deals_keyboard(deals: list[Deal]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(f"#{d.id} {d.title} · {d.customer.name}"[:60],
                                         f"deal:{d.id}:open")] for d in deals])


# ---- satisfaction -----------------------------------------------------------------------

FACES = {1: "😠", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}


def satisfaction_question(t: Translate, name: str) -> str:
    return "\n\n" + t("How satisfied is {name}? One tap:").format(name=escape(name))


def satisfaction_keyboard(customer_id: int, purchase_id: int = 0, *,
                          then: Sequence[InlineKeyboardButton] = ()) -> InlineKeyboardMarkup:
    """A score per face; `then`, a row of what may follow (a saved purchase's plan)."""
    faces = [button(f"{score} {face}", f"sat:{customer_id}:{purchase_id}:{score}")
             for score, face in FACES.items()]
    return InlineKeyboardMarkup([faces, list(then)] if then else [faces])


def satisfaction_saved(t: Translate, score: int, followup: datetime | None, timezone: str
                       ) -> str:
    lines = ["😊 " + t("Satisfaction {score}/5 saved.").format(score=score)]
    if followup is not None:
        lines.append("⏰ " + t("A low score: a follow-up is set for {when}.").format(
            when=local_time(followup, timezone, t)))
    return "\n".join(lines)


def satisfaction_line(t: Translate, mean: float | None, count: int) -> str | None:
    if mean is None:
        return None
    return "😊 " + t("Satisfaction {mean}/5 ({count} scores)").format(
        mean=f"{mean:.1f}", count=count)
