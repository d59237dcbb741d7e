"""What a customer's purchases owe, each with its plan and invoices; the plan's questions."""

from __future__ import annotations

from datetime import date
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages.i18n import Translate
from bot.messages.keyboards import button, rows_of
from bot.messages.payments import paid_status_label, purchase_line
from bot.understanding.amounts import Money, format_money
from storage.models import Customer, Installment, Purchase
from storage.sales.payments import outstanding_of
from storage.sales.plans import PurchaseMoney

MONTHLY_CHOICES = (1, 2, 3, 4, 6, 12)


def _money(minor: int, currency: str) -> str:
    return format_money(Money.from_minor(minor, currency))


def plan_lines(t: Translate, plan: list[tuple[date, Money]], amount: Money | None
               ) -> list[str]:
    """📅 Payment plan: 2026-12-15 ¥100,000 · …, and a warning when it does not add up."""
    if not plan:
        return []
    lines = ["📅 " + t("Payment plan: {plan}").format(plan=" · ".join(
        f"{day.isoformat()} {format_money(money)}" for day, money in plan))]
    planned = sum(money.minor for _, money in plan)
    if amount is None or planned != amount.minor:
        lines.append("⚠️ " + t("The plan adds up to {planned}, not the amount: save "
                               "without it, or change the amount.").format(
            planned=_money(planned, plan[0][1].currency)))
    return lines


def installment_line(t: Translate, number: int, count: int, installment: Installment) -> str:
    """2/3 · 2027-01-15 · ¥100,000 · paid ¥20,000 · 🧾 FP2026-001 (2026-12-10)"""
    parts = [f"{number}/{count}", installment.due_on.isoformat(),
             _money(installment.amount_minor, installment.currency)]
    if installment.paid_minor >= installment.amount_minor:
        parts.append("✅ " + t("paid"))
    elif installment.paid_minor:
        parts.append(t("paid {amount}").format(
            amount=_money(installment.paid_minor, installment.currency)))
    if installment.invoice_no:
        issued = f" ({installment.invoice_on.isoformat()})" if installment.invoice_on else ""
        parts.append(f"🧾 {escape(installment.invoice_no)}{issued}")
    return " · ".join(parts)


def _standing(t: Translate, money: PurchaseMoney) -> str:
    """partly paid · paid ¥120,000 · owed ¥180,000, or ⏰ overdue ¥100,000 · paid …"""
    purchase = money.purchase
    first = ("⏰ " + t("overdue {amount}").format(
        amount=_money(money.overdue_minor, purchase.currency)) if money.overdue_minor
        else paid_status_label(t, money.status))
    parts = [first,
             t("paid {amount}").format(amount=_money(purchase.paid_minor, purchase.currency))]
    if outstanding_of(purchase):
        parts.append(t("owed {amount}").format(
            amount=_money(outstanding_of(purchase), purchase.currency)))
    return " · ".join(parts)


def purchases_money_text(t: Translate, customer: Customer, found: list[PurchaseMoney],
                         timezone: str) -> str:
    head = "💴 " + t("Purchases and money of {name}").format(name=escape(customer.name))
    if not found:
        return head + "\n" + t("No purchases yet.")
    return "\n".join([head] + [f"🛒 {purchase_line(t, m.purchase, timezone)}\n    "
                               f"{_standing(t, m)}" for m in found])


def purchases_money_keyboard(found: list[PurchaseMoney], timezone: str, t: Translate
                             ) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(
        f"🛒 {purchase_line(t, m.purchase, timezone)}"[:60], f"pm:{m.purchase.id}")]
        for m in found])


def purchase_money_text(t: Translate, money: PurchaseMoney, timezone: str) -> str:
    """One purchase: what it owes and each installment, paid or not, with its invoice."""
    lines = ["🛒 " + purchase_line(t, money.purchase, timezone), _standing(t, money)]
    if money.installments:
        lines.append("📅 " + t("Payment plan:"))
        count = len(money.installments)
        lines += ["  " + installment_line(t, n, count, i)
                  for n, i in enumerate(money.installments, start=1)]
    elif outstanding_of(money.purchase):
        lines.append("📅 " + t("No payment plan: what it owes was due on the day it was "
                               "bought."))
    return "\n".join(lines)


def purchase_money_keyboard(t: Translate, money: PurchaseMoney) -> InlineKeyboardMarkup:
    """🗓 a plan for what it owes; 🧾 an invoice per installment; back to the list."""
    purchase = money.purchase
    rows = []
    if outstanding_of(purchase):
        rows.append([button("🗓 " + t("Change the plan"), f"plan:{purchase.id}")
                     if money.installments else plan_button(t, purchase.id)])
    count = len(money.installments)
    rows += rows_of([button(f"🧾 {n}/{count}", f"inv:{i.id}")
                     for n, i in enumerate(money.installments, start=1)], 4)
    rows.append([button("↩️ " + t("All purchases"), f"money:{purchase.customer_id}")])
    return InlineKeyboardMarkup(rows)


def plan_button(t: Translate, purchase_id: int) -> InlineKeyboardButton:
    return button("🗓 " + t("Payment plan"), f"plan:{purchase_id}")


def plan_question(t: Translate, purchase: Purchase, timezone: str) -> str:
    return "\n".join([
        "🗓 " + purchase_line(t, purchase, timezone),
        t("How will {amount} be paid? Equal monthly installments from today, or type the "
          "plan.").format(amount=_money(purchase.amount_minor, purchase.currency))])


def plan_choices_keyboard(t: Translate, purchase_id: int) -> InlineKeyboardMarkup:
    choices = [button(t("{count} × monthly").format(count=count),
                      f"plan:{purchase_id}:{count}") for count in MONTHLY_CHOICES]
    return InlineKeyboardMarkup([*rows_of(choices, 3),
                                 [button("✍️ " + t("Type the plan"), f"plan:{purchase_id}:type"),
                                  button("❌ " + t("Cancel"), "plan:cancel")]])


def plan_card(t: Translate, purchase: Purchase, plan: list[tuple[date, Money]],
              timezone: str) -> str:
    amount = Money.from_minor(purchase.amount_minor, purchase.currency)
    lines = ["🗓 " + purchase_line(t, purchase, timezone), *plan_lines(t, plan, amount)]
    if purchase.paid_minor:
        lines.append("💵 " + t("Already paid {amount}: it pays the first installments.").format(
            amount=_money(purchase.paid_minor, purchase.currency)))
    return "\n".join(lines)


def plan_card_keyboard(t: Translate, purchase_id: int, *, adds_up: bool
                       ) -> InlineKeyboardMarkup:
    first = [button("✅ " + t("Save"), "plan:save")] if adds_up else []
    return InlineKeyboardMarkup([
        [*first, button("🔁 " + t("Another plan"), f"plan:{purchase_id}")],
        [button("❌ " + t("Cancel"), "plan:cancel")]])


def plan_typing_hint(t: Translate) -> str:
    return t("Type the plan, e.g. “12月15日 10万，1月15日 10万，2月15日 10万” or “30% now, rest "
             "in 60 days” (or /cancel).")


def invoice_question(t: Translate, installment: Installment) -> str:
    return "🧾 " + t("The invoice for the installment due {day} ({amount}): send its number, "
                    "and its date if not today, e.g. FP2026-001 12月10日 (or /cancel).").format(
        day=installment.due_on.isoformat(),
        amount=_money(installment.amount_minor, installment.currency))
