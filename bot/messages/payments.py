"""Cards of money collected (回款): a payment before and after it is saved, and what a
purchase still owes."""

from __future__ import annotations

from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import N_, Translate
from bot.messages.keyboards import button
from bot.understanding.amounts import Money, format_money
from storage.models import Customer, Installment, Purchase, Reminder
from storage.sales.payments import Allocation, PaidStatus, Plan, outstanding_of, status_of
from storage.sales.receivables import BUCKETS, Aging


def _money(minor: int, currency: str) -> str:
    return format_money(Money.from_minor(minor, currency))


def paid_status_label(t: Translate, status: PaidStatus) -> str:
    return {PaidStatus.UNPAID: t("unpaid"), PaidStatus.PARTLY: t("partly paid"),
            PaidStatus.PAID: t("paid"), PaidStatus.OVERDUE: t("overdue")}[status]


def purchase_line(t: Translate, purchase: Purchase, timezone: str) -> str:
    """#12 X1 × 20 · 2026-11-20 · ¥300,000 (the day it was bought, where the member is)"""
    what = " × ".join(filter(None, (purchase.product, str(purchase.quantity or "") or None)))
    bought = purchase.occurred_at.astimezone(ZoneInfo(timezone)).date().isoformat()
    return " · ".join(filter(None, (f"#{purchase.id}", escape(what) if what else None,
                                    bought, _money(purchase.amount_minor, purchase.currency))))


def _by_purchase(plan: Plan) -> list[list[Allocation]]:
    """A payment's parts grouped by the purchase they pay, in the order they were applied."""
    groups: dict[int, list[Allocation]] = {}
    for allocation in plan.allocations:
        if allocation.purchase is not None:
            groups.setdefault(allocation.purchase.id, []).append(allocation)
    return list(groups.values())


def payment_card(t: Translate, *, customer: Customer | None, amount: Money | None,
                 plan: Plan | None, problem: str | None, timezone: str,
                 over_ceiling: bool = False) -> str:
    """What was understood from a payment message, and where it would go."""
    who = (f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>" if customer
           else "<i>" + t("no customer yet") + "</i>")
    lines = ["💴 " + t("Payment received") + f" · {who}",
             "💵 " + t("Amount: {amount}").format(
                 amount=f"<b>{format_money(amount)}</b>" if amount
                 else "<i>" + t("not given") + "</i>")]
    if plan is not None and amount is not None:
        lines.append(t("Applied to, oldest first:"))
        for parts in _by_purchase(plan):
            purchase = parts[0].purchase
            assert purchase is not None
            lines.append("  🛒 " + t("{purchase}: owed {before} → {after}").format(
                purchase=purchase_line(t, purchase, timezone),
                before=_money(parts[0].outstanding_before, amount.currency),
                after=_money(parts[-1].outstanding_after, amount.currency)))
            lines += ["     · " + t("installment due {day}: {amount}").format(
                day=part.installment.due_on.isoformat(),
                amount=_money(part.amount_minor, amount.currency))
                for part in parts if part.installment is not None]
        if plan.credit_minor:
            lines.append("  ⚠️ " + t("{amount} more than is owed: kept as credit").format(
                amount=_money(plan.credit_minor, amount.currency)))
        left = plan.owed_minor - (amount.minor - plan.credit_minor)
        lines.append("📒 " + t("Still owed after this: {amount}").format(
            amount=_money(max(left, 0), amount.currency)))
    if problem:  # a domain error, already in words (bot/messages/errors.py)
        lines.append(problem)
    elif over_ceiling:
        lines.append("⚠️ " + t("That is more than the team's usual ceiling. Is it right?"))
    return "\n".join(lines)


def payment_keyboard(t: Translate, *, more_than_owed: bool, can_save: bool,
                     over_ceiling: bool = False, choices: int = 0) -> InlineKeyboardMarkup:
    """Save (or the question the card asks), the amount, and with more than one purchase
    owing (`choices`), which one it pays first."""
    first = []
    if can_save:
        first.append(button("✅ " + t("Yes, keep the rest as credit"), "pay:sure")
                     if more_than_owed
                     else button("✅ " + t("Yes, save this amount"), "pay:sure") if over_ceiling
                     else button("✅ " + t("Save"), "pay:save"))
    first.append(button("💵 " + t("Change amount"), "pay:amount"))
    rows = [first]
    if choices > 1:
        rows.append([button("🔀 " + t("Apply to another purchase"), "pay:to")])
    rows.append([button("👤 " + t("Change customer"), "pay:who"),
                 button("❌ " + t("Cancel"), "pay:cancel")])
    return InlineKeyboardMarkup(rows)


def purchases_keyboard(purchases: list[Purchase], timezone: str, t: Translate
                       ) -> InlineKeyboardMarkup:
    """A button a purchase that owes: the payment pays it first."""
    return InlineKeyboardMarkup([[button(
        f"🛒 {purchase_line(t, p, timezone)} · {_money(outstanding_of(p), p.currency)}"[:60],
        f"pay:to:{p.id}")] for p in purchases[:10]])


def payment_saved(t: Translate, *, customer: Customer, amount: Money, plan: Plan,
                  timezone: str) -> str:
    lines = ["✅ " + t("Payment of {amount} from {name} saved.").format(
        amount=format_money(amount), name=escape(customer.name))]
    for parts in _by_purchase(plan):
        purchase = parts[0].purchase
        assert purchase is not None
        lines.append("🛒 " + t("{purchase}: {status}, {left} still owed").format(
            purchase=purchase_line(t, purchase, timezone),
            status=paid_status_label(t, status_of(purchase)),
            left=_money(parts[-1].outstanding_after, amount.currency)))
    if plan.credit_minor:
        lines.append("💳 " + t("{amount} kept as credit.").format(
            amount=_money(plan.credit_minor, amount.currency)))
    return "\n".join(lines)


def owed_line(t: Translate, owed: dict[str, int]) -> str | None:
    """📒 Owed: ¥200,000 (nothing: no line)."""
    if not owed:
        return None
    return "📒 " + t("Owed: {amount}").format(amount=" + ".join(
        _money(minor, currency) for currency, minor in sorted(owed.items())))


BUCKET_LABELS = dict(zip(BUCKETS, (N_("not yet due"), N_("0–30 days late"), N_("31–60 days"),
                                   N_("61–90 days"), N_("over 90 days")), strict=True))


def _bucket_label(t: Translate, bucket: str) -> str:
    return t(BUCKET_LABELS[bucket])


def _aging_rows(t: Translate, by_currency: dict[str, dict[str, int]]) -> list[str]:
    lines = []
    for currency, buckets in sorted(by_currency.items()):
        owed = sum(buckets.values())
        lines.append(f"<b>{_money(owed, currency)}</b>")
        lines += [f"  {_bucket_label(t, bucket)}: {_money(minor, currency)}"
                  for bucket, minor in buckets.items() if minor]
    return lines


def receivables_text(t: Translate, aging: Aging, *, per_owner: bool) -> str:
    """/receivables: what is owed, by how late, and per owner for a manager."""
    if aging.empty:
        return "📒 " + t("Nothing is owed: every purchase is paid.")
    lines = ["📒 " + t("<b>Receivables</b>: what customers still owe, by how late it is")]
    lines += _aging_rows(t, aging.totals) or ["  " + t("Nothing is owed now.")]
    for currency, due in sorted(aging.month_due.items()):
        if due:
            paid = aging.month_paid.get(currency, 0)
            lines.append("📈 " + t("This month: {paid} of {due} due collected ({rate:.0%})")
                         .format(paid=_money(paid, currency), due=_money(due, currency),
                                 rate=paid / due))
    if per_owner and len(aging.by_owner) > 1:
        for owner, by_currency in sorted(aging.by_owner.items()):
            lines += ["", f"👤 {escape(owner)}", *_aging_rows(t, by_currency)]
    return "\n".join(lines)


def installment_reminder_text(t: Translate, reminder: Reminder, installment: Installment,
                              purchase: Purchase, timezone: str) -> str:
    """💴 Money to collect · 王小明 C-000001 / installment 1/3 of #12 … / ¥100,000 due …"""
    lines = ["💴 " + t("Money to collect")]
    if reminder.customer is not None:
        customer = reminder.customer
        lines[0] += f" · <b>{escape(customer.name)}</b> <code>{customer.code}</code>"
    lines.append(t("Installment {number} of {purchase}").format(
        number=escape(reminder.text), purchase=purchase_line(t, purchase, timezone)))
    left = installment.amount_minor - installment.paid_minor
    lines.append(t("{amount} due {day}").format(
        amount=f"<b>{_money(left, installment.currency)}</b>",
        day=installment.due_on.isoformat()))
    if installment.invoice_no:
        lines.append("🧾 " + t("Invoice {number} of {day}").format(
            number=escape(installment.invoice_no),
            day=installment.invoice_on.isoformat() if installment.invoice_on else "—"))
    return "\n".join(lines)


def installment_keyboard(t: Translate, reminder_id: int, installment_id: int,
                         customer_id: int | None) -> InlineKeyboardMarkup:
    rows = [[button("✅ " + t("Received"), f"inst:{installment_id}:paid"),
             button("💵 " + t("Part received"), f"inst:{installment_id}:part")],
            [button("🌅 " + t("Tomorrow 9:00"), f"r:{reminder_id}:tomorrow"),
             button("📅 " + t("Next week"), f"r:{reminder_id}:nextweek")]]
    last = [button("🧾 " + t("Invoice"), f"inv:{installment_id}")]
    if customer_id is not None:
        last.append(button("📇 " + t("Open card"), f"c:{customer_id}:open"))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def installment_received(t: Translate, installment: Installment, amount_minor: int) -> str:
    if amount_minor == 0:
        return "✅ " + t("That installment was already paid.")
    return "✅ " + t("Received {amount}: installment of {day} paid.").format(
        amount=_money(amount_minor, installment.currency), day=installment.due_on.isoformat())


def overdue_collection_line(t: Translate, installment: Installment, customer: Customer,
                            today: date) -> str:
    """王小明 ¥100,000 · 12 days late"""
    left = installment.amount_minor - installment.paid_minor
    return t("<b>{name}</b> {amount} · {days} days late").format(
        name=escape(customer.name), amount=_money(left, installment.currency),
        days=(today - installment.due_on).days)


def return_card(t: Translate, *, customer: Customer | None, purchase: Purchase | None,
                quantity: int | None, amount: Money | None, pro_rata: bool,
                plan: Plan | None, problem: str | None, timezone: str) -> str:
    """What was understood from a return message, and what it does to the purchase."""
    who = (f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>" if customer
           else "<i>" + t("no customer yet") + "</i>")
    lines = ["↩️ " + t("Return") + f" · {who}"]
    if purchase is not None:
        lines.append("🛒 " + purchase_line(t, purchase, timezone))
    elif customer is not None:
        lines.append("<i>" + t("No purchase of theirs to return.") + "</i>")
    if quantity:
        lines.append(t("Quantity: {count}").format(count=quantity))
    lines.append("💵 " + t("Amount: {amount}").format(
        amount=(f"<b>{format_money(amount)}</b>" + (" " + t("(pro rata)") if pro_rata else ""))
        if amount else "<i>" + t("not given") + "</i>"))
    if plan is not None and amount is not None:
        settled = [a for a in plan.allocations if a.purchase is not None and not a.refund]
        if settled:
            lines.append("📒 " + t("Owed: {before} → {after}").format(
                before=_money(settled[0].outstanding_before, amount.currency),
                after=_money(settled[-1].outstanding_after, amount.currency)))
        if plan.credit_minor:
            lines.append("💸 " + t("Refund due to the customer: {amount}").format(
                amount=_money(plan.credit_minor, amount.currency)))
    if problem:
        lines.append(problem)
    return "\n".join(lines)


def return_keyboard(t: Translate, *, can_save: bool) -> InlineKeyboardMarkup:
    rows = [[button("✅ " + t("Save"), "ret:save")]] if can_save else []
    rows += [[button("💵 " + t("Change amount"), "ret:amount"),
              button("👥 " + t("Customer"), "ret:who")],
             [button("✖️ " + t("Cancel"), "ret:cancel")]]
    return InlineKeyboardMarkup(rows)


def write_off_choices(t: Translate, customer: Customer, purchases: list[Purchase],
                      timezone: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """A manager's /writeoff: the customer's purchases that still owe, one button each."""
    if not purchases:
        return t("{name} owes nothing: there is nothing to write off.").format(
            name=escape(customer.name)), None
    return (t("Which purchase of {name} should be written off? What it still owes is no "
              "longer collected; this is recorded in the history.").format(
                name=escape(customer.name)),
            InlineKeyboardMarkup([[button(
                f"🗑 #{p.id} · {_money(outstanding_of(p), p.currency)}",
                f"wo:{p.id}")] for p in purchases[:10]]))


def written_off(t: Translate, purchase: Purchase, amount_minor: int, timezone: str) -> str:
    return "🗑 " + t("Written off {amount} of {purchase}.").format(
        amount=_money(amount_minor, purchase.currency),
        purchase=purchase_line(t, purchase, timezone))
