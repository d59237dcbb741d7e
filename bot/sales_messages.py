"""Cards and keyboards of the manager's view: purchases, deals, the pipeline, value."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardMarkup

from bot.amounts import Money, format_money
from bot.i18n import Translate
from bot.render import button, local_time, stage_label
from storage.models import Customer
from storage.purchases import Value


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
                  value: Value | None, timezone: str, over_ceiling: bool) -> str:
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
    if amount is not None and amount.amount <= 0:
        lines.append("⚠️ " + t("An amount must be more than zero: change it."))
    elif over_ceiling:
        lines.append("⚠️ " + t("That is more than the team's usual ceiling. Is it right?"))
    if value is not None:
        lines.append(value_line(t, value, timezone))
    return "\n".join(lines)


def purchase_keyboard(t: Translate, *, over_ceiling: bool) -> InlineKeyboardMarkup:
    save = (button("✅ " + t("Yes, save this amount"), "buy:sure") if over_ceiling
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
