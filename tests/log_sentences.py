"""One-message logs generated from what they mean, to measure the whole sentence: who,
what kind of contact, when it happened, when to follow up, for a purchase what was
bought, how many, for how much and on which plan, for a payment (回款) how much came in,
and for a service request (工单) its kind, priority and due time.

As tests/date_phrases.py does for dates: each sentence is made from a meaning and one way
of writing it, at a random "now"; what is expected comes from the meaning. DEV may be
used by tests and for tuning; HELD_OUT (other mentions of the customer, other verbs,
other frames, another seed) is read by bench/logs.py only. Both write hurried messages:
missing punctuation, a customer named by surname and title, mixed languages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.understanding.logs import contact_and_follow_up_times, interaction_kind
from bot.understanding.payments import payment_amount, reads_like_payment
from bot.understanding.plans import purchase_with_plan
from bot.understanding.requests import reads_like_request, understand_request
from bot.understanding.sales import reads_like_purchase
from storage.customers import CustomerDraft, create_customer
from storage.search.lookup import customers_mentioned
from storage.users import Actor
from tests.date_phrases import DEFAULT_HOUR, add_months, at


@dataclass(frozen=True)
class Person:
    name: str
    company: str
    # How a message names them: (Chinese, English) spellings for each set.
    dev_names: tuple[str, ...]
    held_out_names: tuple[str, ...]


ROSTER = (
    Person("王小明", "ACME", ("王小明",), ("王总", "wang xiaoming")),
    Person("张丽", "星辰科技", ("张丽",), ("张经理", "Zhang Li")),
    Person("刘强", "华东贸易", ("刘强",), ("刘总", "Liu Qiang")),
    Person("John Smith", "Acme Corp", ("John Smith",), ("Mr Smith", "john smith")),
    Person("Mary Chen", "Globex", ("Mary Chen",), ("Ms Chen", "mary chen")),
)


@dataclass(frozen=True)
class Sentence:
    text: str
    now: datetime
    customer: str
    kind: str | None  # a log's kind; None for a purchase
    occurred: datetime | None
    due: datetime | None
    amount: Decimal | None = None
    currency: str | None = None
    quantity: int | None = None
    product: str | None = None
    family: str = "log"  # log, purchase, plan (a purchase with its plan), payment, request
    plan: tuple[tuple[date, Decimal], ...] = ()
    request: tuple[str, str] | None = None  # a request's kind and priority


@dataclass(frozen=True)
class Style:
    verbs: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # kind: (Chinese, English)
    frames_zh: tuple[str, ...]  # {who} {verb} {what} {when} {follow}
    frames_en: tuple[str, ...]
    names: str  # which Person spellings: "dev_names" or "held_out_names"
    buy_zh: tuple[str, ...]
    buy_en: tuple[str, ...]
    pay_zh: tuple[str, ...]  # {who} {a}: 万 in Chinese, dollars in English
    pay_en: tuple[str, ...]
    plan_zh: tuple[str, ...]  # a purchase ({who} {q} {p} {a}) and then {plan}
    plan_en: tuple[str, ...]
    plan_kinds: tuple[str, ...]  # "dated" (a day and an amount each) or "share" (30%, rest)
    # Service requests: {who} {problem} {due} {urgency}; problems by kind, (Chinese, English)
    request_zh: tuple[str, ...]
    request_en: tuple[str, ...]
    problems: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    urgency: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # priority: words
    due_words: tuple[str, ...]  # which due phrases: "tomorrow", "weekday", "day after", "clock"
    seed: int


DEV = Style(
    verbs={"call": (("打电话给", "给"), ("called",)), "meeting": (("拜访了",), ("visited", "met")),
           "message": (("微信联系了",), ("texted",)), "email": (("发邮件给",), ("emailed",))},
    frames_zh=("{when}{verb}{who}，{what}，{follow}跟进", "{when}{verb}{who}{what}"),
    frames_en=("{when} {verb} {who}, {what}, follow up {follow}", "{verb} {who} {when} {what}"),
    names="dev_names",
    buy_zh=("{who}买了{q}台{p}，共{a}万",),
    buy_en=("{who} bought {q} {p} for ${a}",),
    pay_zh=("{who}回款{a}万", "收到{who}货款{a}万元"),
    pay_en=("{who} paid ${a}", "received ${a} from {who}"),
    plan_zh=("{who}买了{q}台{p}，共{a}万，{plan}",),
    plan_en=("{who} bought {q} {p} for ${a}, {plan}",),
    plan_kinds=("dated",),
    request_zh=("{who}反馈{problem}，{due}{urgency}", "{who} {problem} {urgency} {due}"),
    request_en=("{who} says {problem}, {due} {urgency}", "{who} {problem} - {urgency} {due}"),
    problems={"fault": (("X1 漏油", "设备坏了", "系统报错"),
                        ("the X1 is leaking", "the device is broken", "the system shows an error")),
              "complaint": (("投诉发货太慢", "对售后不满"),
                            ("complained about late delivery", "is unhappy with the support")),
              "return": (("要退货", "想换货"), ("wants to return the X1", "asked to exchange it"))},
    urgency={"urgent": (("紧急",), ("urgent",)), "high": (("尽快",), ("asap",)),
             "low": (("不急",), ("no rush",)), "normal": (("",), ("",))},
    due_words=("tomorrow", "weekday"),
    seed=11,
)

HELD_OUT = Style(
    verbs={"call": (("和", "跟"), ("spoke with", "rang")),
           "meeting": (("见了", "去见了"), ("had lunch with", "met with")),
           "message": (("给发了消息", "留言给"), ("messaged", "whatsapped")),
           "email": (("电邮了",), ("mailed",))},
    frames_zh=("{when}{verb}{who}{what} {follow}再联系", "{verb}{who}，{what}，{follow}回电",
               "{when}{verb}{who}{what}"),
    frames_en=("{verb} {who} {when} - {what} - ping again {follow}",
               "{when} {verb} {who}, {what}. remind me {follow}", "{verb} {who} re {what}"),
    names="held_out_names",
    buy_zh=("{who}下单{q}套{p} 总价{a}万元", "{who}订了{q}台{p}一共{a}万"),
    buy_en=("{who} ordered {q} units of {p}, total ${a}", "{who} purchased {q} {p} for ${a}"),
    pay_zh=("{who}那边打款{a}万到账了", "{who}的尾款{a}万收到了", "{who}结清了{a}万"),
    pay_en=("payment of ${a} came in from {who}", "{who} wired ${a} today",
            "{who} settled ${a}"),
    plan_zh=("{who}订了{q}套{p}一共{a}万 {plan}", "{who}下单{q}套{p} 总价{a}万元，{plan}"),
    plan_en=("{who} ordered {q} units of {p}, total ${a}; {plan}",
             "{who} purchased {q} {p} for ${a} - {plan}"),
    plan_kinds=("share", "dated"),
    request_zh=("{who}那边说{problem}，{urgency}{due}", "{who}来电：{problem}。{due} {urgency}",
                "{who}{problem}，需要上门，{due}"),
    request_en=("{who} called: {problem}. {urgency} {due}",
                "ticket for {who} - {problem}, {due} {urgency}", "{who} reports {problem} {due}"),
    problems={"fault": (("T300 不能用了", "打印机卡纸故障", "服务器死机了", "屏幕有异响",
                         "空调不制冷了", "系统一直闪退"),
                        ("the T300 keeps crashing", "the license key fails",
                         "the printer is not working", "the unit is faulty",
                         "the app won't open", "their login stopped working")),
              "complaint": (("投诉安装师傅态度差", "抱怨交货延迟", "对上次的维修不满意"),
                            ("is angry about the invoice errors",
                             "complains that nobody called back",
                             "filed a complaint about the billing")),
              "return": (("申请退货", "要求退回两台", "想把货退了"),
                         ("would like to return two units", "requested to exchange the RX2",
                          "wants to send the RX2 back"))},
    urgency={"urgent": (("十分紧急", "马上处理", "非常紧急"), ("URGENT", "critical",
                                                           "emergency")),
             "high": (("尽早处理",), ("high priority",)),
             "low": (("不着急",), ("not urgent", "whenever")), "normal": (("",), ("",))},
    due_words=("tomorrow", "weekday", "day after", "clock"),
    # spent: 5150 (Ms Chen, "units of", T300一共), 8086 (电邮了Ms Chen), 31337 (with
    # payments and plans: "的尾款3万收到了", "首付50% 余款30天内" without a comma) and
    # 60611 (with service requests: "尽早处理" read as tomorrow 09:00), 24917 (闪退,
    # 不制冷, "send the RX2 back", 想把货退了)
    seed=70423,
)

WHAT_ZH = ("要报价", "聊了新项目", "对价格有疑问", "想看样品", "确认了交期")
WHAT_EN = ("wants a quote", "talked about the new project", "asked about pricing",
           "wants samples", "confirmed delivery")


class Maker:
    def __init__(self, style: Style) -> None:
        self.style, self.rng = style, random.Random(style.seed)

    def now(self) -> datetime:
        day = date(2026, 1, 5) + timedelta(days=self.rng.randrange(680))
        return at(day, (self.rng.randrange(11, 19), self.rng.choice((0, 15, 30, 45))))

    def who(self, person: Person, language: str) -> str:
        spellings = getattr(person, self.style.names)
        latin = [s for s in spellings if s.isascii()]
        han = [s for s in spellings if not s.isascii()]
        if language == "en" and latin:
            return self.rng.choice(latin)
        return self.rng.choice(han or latin)

    def occurred(self, now: datetime, language: str) -> tuple[str, datetime | None]:
        """When the contact happened: not said (now, shown as "just now"), or a past day."""
        choice = self.rng.randrange(3)
        if choice == 0:
            return "", None
        if choice == 1:
            text = "昨天下午" if language == "zh" else "yesterday afternoon"
            return text, at(now.date() - timedelta(days=1), (15, 0))
        text = "前天上午10点" if language == "zh" else "2 days ago"
        return text, at(now.date() - timedelta(days=2),
                         (10, 0) if language == "zh" else None)

    def follow(self, now: datetime, language: str) -> tuple[str, datetime]:
        """When to follow up, from the date families (always in the future)."""
        choice = self.rng.randrange(4)
        if choice == 0:
            text = "明天下午3点" if language == "zh" else "tomorrow 3pm"
            return text, at(now.date() + timedelta(days=1), (15, 0))
        if choice == 1:
            n = self.rng.randrange(2, 10)
            text = f"{n}天后" if language == "zh" else f"in {n} days"
            return text, at(now.date() + timedelta(days=n), None)
        if choice == 2:
            monday = now.date() + timedelta(days=7 - now.weekday())
            target = self.rng.randrange(5)
            if language == "zh":
                return "下周" + "一二三四五"[target], at(monday + timedelta(days=target), None)
            # "next <day>" only where both readings agree: the coming one is next week's
            day = monday + timedelta(days=target)
            names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
            if target <= now.weekday():
                return f"next {names[target]} 10am", at(day, (10, 0))
            return f"on {names[target]} 10am", at(now.date() + timedelta(
                days=(target - now.weekday()) % 7), (10, 0))
        text = "下个月" if language == "zh" else "next month"
        return text, at(add_months(now.date().replace(day=1), 1), None)

    def log(self, language: str) -> Sentence:
        now = self.now()
        person = self.rng.choice(ROSTER)
        kind = self.rng.choice(sorted(self.style.verbs))
        zh_verbs, en_verbs = self.style.verbs[kind]
        when, occurred = self.occurred(now, language)
        follow_text, due = self.follow(now, language)
        frames = self.style.frames_zh if language == "zh" else self.style.frames_en
        frame = self.rng.choice(frames)
        has_follow = "{follow}" in frame
        if "{when}" not in frame:
            when, occurred = "", None
        verb = self.rng.choice(zh_verbs if language == "zh" else en_verbs)
        # Chinese verbs that wrap the name: 和王总通话, 给王总发了消息
        verb, tail = {"和": ("和", "通话"), "跟": ("跟", "打了电话"), "给": ("给", "打了电话"),
                      "给发了消息": ("给", "发了消息")}.get(verb, (verb, ""))
        text = frame.format(who=self.who(person, language) + tail, verb=verb,
                            what=self.rng.choice(WHAT_ZH if language == "zh" else WHAT_EN),
                            when=when, follow=follow_text if has_follow else "")
        return Sentence(" ".join(text.split()), now, person.name, kind, occurred,
                        due if has_follow else None)

    def purchase(self, language: str) -> Sentence:
        now = self.now()
        person = self.rng.choice(ROSTER)
        quantity = self.rng.randrange(2, 50)
        product = self.rng.choice(("X1", "RX2", "T300", "CRM-Pro"))
        if language == "zh":
            wan = self.rng.choice(("1.2", "3", "4.8", "12", "0.5"))
            text = self.rng.choice(self.style.buy_zh).format(
                who=self.who(person, language), q=quantity, p=product, a=wan)
            amount, currency = Decimal(wan) * 10000, "CNY"
        else:
            dollars = self.rng.choice((1200, 4800, 15000, 950))
            text = self.rng.choice(self.style.buy_en).format(
                who=self.who(person, language), q=quantity, p=product, a=f"{dollars:,}")
            amount, currency = Decimal(dollars), "USD"
        return Sentence(text, now, person.name, None, None, None, amount, currency, quantity,
                        product)

    def payment(self, language: str) -> Sentence:
        now = self.now()
        person = self.rng.choice(ROSTER)
        if language == "zh":
            wan = self.rng.choice(("1.2", "3", "10", "22", "0.8"))
            text = self.rng.choice(self.style.pay_zh).format(who=self.who(person, language),
                                                             a=wan)
            amount, currency = Decimal(wan) * 10000, "CNY"
        else:
            dollars = self.rng.choice((1200, 4800, 15000, 950))
            text = self.rng.choice(self.style.pay_en).format(who=self.who(person, language),
                                                             a=f"{dollars:,}")
            amount, currency = Decimal(dollars), "USD"
        return Sentence(text, now, person.name, None, None, None, amount, currency,
                        family="payment")

    def plan(self, language: str) -> Sentence:
        """A purchase and its plan: in N equal parts on the 15th (20th) of the months ahead,
        or a share upfront and the rest within N days."""
        now = self.now()
        person = self.rng.choice(ROSTER)
        quantity = self.rng.randrange(2, 50)
        product = self.rng.choice(("X1", "RX2", "T300", "CRM-Pro"))
        parts = self.rng.choice((2, 3))
        total = Decimal(self.rng.choice((3, 6, 12, 30))) * (10000 if language == "zh" else 1000)
        kind = self.rng.choice(self.style.plan_kinds)
        if kind == "dated":
            day = 15 if language == "zh" else 20
            dues = [add_months(now.date().replace(day=1), n + 1).replace(day=day)
                    for n in range(parts)]
            each = total / parts
            plan = tuple((due, each) for due in dues)
            if language == "zh":
                said = "，".join(f"{d.month}月{d.day}日 {each / 10000:g}万" for d in dues)
                words = f"分{'两三'[parts - 2]}期：{said}"
            else:
                months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                          "Oct", "Nov", "Dec")
                said = ", ".join(f"${each:,.0f} on {months[d.month - 1]} {d.day}" for d in dues)
                words = f"installments: {said}"
        else:
            share, days = self.rng.choice((30, 50)), self.rng.choice((30, 60, 90))
            first = total * share / 100
            plan = ((now.date(), first), (now.date() + timedelta(days=days), total - first))
            words = (f"首付{share}% 余款{days}天内付清" if language == "zh"
                     else f"{share}% upfront, rest within {days} days")
        frames = self.style.plan_zh if language == "zh" else self.style.plan_en
        shown = f"{total / 10000:g}" if language == "zh" else f"{total:,.0f}"
        text = self.rng.choice(frames).format(who=self.who(person, language), q=quantity,
                                              p=product, a=shown, plan=words)
        return Sentence(text, now, person.name, None, None, None, total,
                        "CNY" if language == "zh" else "USD", quantity, product,
                        family="plan", plan=plan)

    def due(self, now: datetime, language: str) -> tuple[str, datetime | None]:
        """By when a request is to be handled: tomorrow, a weekday, the day after
        tomorrow, tomorrow at a clock time, or nothing said (due by its priority)."""
        which = self.rng.choice((*self.style.due_words, "none"))
        names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
        if which == "tomorrow":
            return ("明天前处理" if language == "zh" else "fix by tomorrow",
                    at(now.date() + timedelta(days=1), None))
        if which == "weekday":
            target = self.rng.randrange(5)
            ahead = (target - now.weekday()) % 7 or 7  # its 09:00 has passed today
            if language == "zh":
                return f"周{'一二三四五'[target]}前搞定", at(now.date() + timedelta(days=ahead),
                                                          None)
            return f"by {names[target]}", at(now.date() + timedelta(days=ahead), None)
        if which == "day after":
            return ("后天之前" if language == "zh" else "by the day after tomorrow",
                    at(now.date() + timedelta(days=2), None))
        if which == "clock":
            hour = self.rng.choice((10, 15, 17))
            said = (f"明天下午{hour - 12}点前" if hour > 12 else f"明天上午{hour}点前") \
                if language == "zh" else (f"before tomorrow {hour - 12}pm" if hour > 12
                                          else f"before tomorrow {hour}am")
            return said, at(now.date() + timedelta(days=1), (hour, 0))
        return "", None

    def request(self, language: str) -> Sentence:
        now = self.now()
        person = self.rng.choice(ROSTER)
        kind = self.rng.choice(sorted(self.style.problems))
        priority = self.rng.choice(sorted(self.style.urgency))
        zh, en = self.style.problems[kind]
        problem = self.rng.choice(zh if language == "zh" else en)
        urgent_zh, urgent_en = self.style.urgency[priority]
        due_text, due = self.due(now, language)
        frames = self.style.request_zh if language == "zh" else self.style.request_en
        frame = self.rng.choice(frames)
        if "{urgency}" not in frame:
            priority = "normal"
            urgent_zh = urgent_en = ("",)
        who = self.who(person, language)
        if who.isascii() and problem[:1].isascii():
            who += " "  # "Ms Chen T300 不能用了": nobody glues two Latin words
        text = frame.format(
            who=who, problem=problem, due=due_text,
            urgency=self.rng.choice(urgent_zh if language == "zh" else urgent_en))
        text = " ".join(text.split()).strip(" ,，。-")
        return Sentence(text, now, person.name, None, None, due, family="request",
                        request=(kind, priority))

    def sentences(self, count: int) -> list[Sentence]:
        """Five logs in eight, a service request, and a purchase, a payment and a purchase
        with its plan in turn; half Chinese, half English."""
        made = []
        others = (self.purchase, self.payment, self.plan)
        for i in range(count):
            language = "zh" if i % 2 else "en"
            made.append(others[(i // 8) % 3](language) if i % 8 in (3, 7)
                        else self.request(language) if i % 8 in (2, 5) else self.log(language))
        return made


def dev_set(count: int = 320) -> list[Sentence]:
    return Maker(DEV).sentences(count)


def held_out_set(count: int = 320) -> list[Sentence]:
    return Maker(HELD_OUT).sentences(count)


async def score(session: AsyncSession, actor: Actor, sentence: Sentence) -> dict[str, bool]:
    """Each field of one sentence, right or not, as the chat would read it: the customer
    the message names (one, and the right one), the kind of contact, when it happened,
    when to follow up, and for a purchase its amount, quantity and product."""
    hits = await customers_mentioned(session, sentence.text, actor)
    right = {"customer": len(hits) == 1 and hits[0].name == sentence.customer}
    if sentence.kind is not None:
        kind = interaction_kind(sentence.text)
        # The chat asks the request flow before the log flow: a log must not read as one.
        right["kind"] = (kind is not None and kind.value == sentence.kind
                         and not reads_like_request(sentence.text))
        times = contact_and_follow_up_times(sentence.text, sentence.now, DEFAULT_HOUR,
                                            logging=True)
        right["when"] = times.occurred == sentence.occurred
        right["follow-up"] = times.due == sentence.due
    elif sentence.family == "request":
        assert sentence.request is not None
        words = understand_request(sentence.text)
        right["kind"] = reads_like_request(sentence.text) and words.kind == sentence.request[0]
        right["priority"] = words.priority == sentence.request[1]
        right["follow-up"] = contact_and_follow_up_times(
            sentence.text, sentence.now, DEFAULT_HOUR, logging=True).due == sentence.due
    elif sentence.family == "payment":
        # The chat asks the payment flow first: a payment is what reads as one.
        right["kind"] = reads_like_payment(sentence.text)
        money = payment_amount(sentence.text, "CNY")
        right["amount"] = (money is not None and money.amount == sentence.amount
                           and money.currency == sentence.currency)
    else:
        words, plan = purchase_with_plan(sentence.text, "CNY", sentence.now,
                                         default_hour=DEFAULT_HOUR)
        right["kind"] = reads_like_purchase(sentence.text) and not reads_like_payment(
            sentence.text)
        right["amount"] = (words.amount is not None and words.amount.amount == sentence.amount
                           and words.amount.currency == sentence.currency)
        right["quantity"] = words.quantity == sentence.quantity
        right["product"] = words.product == sentence.product
        if sentence.family == "plan":
            right["plan"] = [(p.due_on, p.amount.amount) for p in plan] == list(sentence.plan)
    return right


async def seed_roster(session: AsyncSession, actor: Actor) -> None:
    for person in ROSTER:
        await create_customer(session, CustomerDraft(name=person.name, company=person.company),
                              actor, default_region="CN")
