"""The words for fields, tiers, stages and kinds of contact in the reader's language,
and a moment in the reader's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages.i18n import N_, Translate
from storage.models import (
    DealStage,
    InteractionKind,
    RequestKind,
    RequestPriority,
    RequestStatus,
    Stage,
    Tier,
)

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
    "problem": N_("problem"),
    "paid": N_("paid"),
    "outstanding": N_("outstanding"),
    "resolution": N_("what was done"),
    "assignee": N_("assignee"),
    "request": N_("request"),
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


def label(t: Translate, field: str) -> str:
    return t(FIELD_LABELS.get(field, field))


def tier_label(t: Translate, tier: str) -> str:
    return t(TIER_LABELS.get(Tier(tier), tier)) if tier in Tier._value2member_map_ else tier


def stage_label(t: Translate, stage: str) -> str:
    return t(STAGE_LABELS.get(Stage(stage), stage)) if stage in Stage._value2member_map_ else stage


def deal_stage_label(t: Translate, stage: str) -> str:
    return t(DEAL_STAGE_LABELS[DealStage(stage)]) if stage in DealStage._value2member_map_ \
        else stage


def local_time(moment: datetime | None, timezone: str, t: Translate) -> str:
    if moment is None:
        return t("never")
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


KIND_LABELS = {
    InteractionKind.CALL: ("📞", N_("Call")),
    InteractionKind.MEETING: ("🤝", N_("Meeting")),
    InteractionKind.MESSAGE: ("💬", N_("Message")),
    InteractionKind.EMAIL: ("✉️", N_("Email")),
    InteractionKind.NOTE: ("📝", N_("Note")),
    InteractionKind.FEEDBACK: ("📣", N_("Feedback")),
    InteractionKind.PURCHASE: ("🛒", N_("Purchase")),
    InteractionKind.PAYMENT: ("💴", N_("Payment")),
    InteractionKind.REQUEST: ("🛠", N_("Service request")),
    InteractionKind.SURVEY: ("⭐", N_("Customer survey")),
    InteractionKind.RETURN: ("↩️", N_("Return")),
}
REQUEST_KIND_LABELS = {
    RequestKind.QUESTION: N_("question"),
    RequestKind.FAULT: N_("fault"),
    RequestKind.COMPLAINT: N_("complaint"),
    RequestKind.RETURN: N_("return"),
}
PRIORITY_LABELS = {
    RequestPriority.LOW: N_("low"),
    RequestPriority.NORMAL: N_("normal"),
    RequestPriority.HIGH: N_("high"),
    RequestPriority.URGENT: N_("urgent"),
}
REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN: N_("open"),
    RequestStatus.IN_PROGRESS: N_("in progress"),
    RequestStatus.RESOLVED: N_("resolved"),
    RequestStatus.REOPENED: N_("reopened"),
}


def kind_label(t: Translate, kind: str) -> str:
    icon, text = KIND_LABELS.get(InteractionKind(kind), ("📝", N_("Note")))
    return f"{icon} {t(text)}"
