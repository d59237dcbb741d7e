"""SQLAlchemy models. Every timestamp is stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from storage.clock import utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, on every dialect alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"


class Tier(StrEnum):
    CORE = "core"
    IMPORTANT = "important"
    NORMAL = "normal"


class Stage(StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    LOYAL = "loyal"
    CHURNED = "churned"


class InteractionKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    MESSAGE = "message"
    EMAIL = "email"
    NOTE = "note"
    FEEDBACK = "feedback"
    PURCHASE = "purchase"
    PAYMENT = "payment"
    REQUEST = "request"  # a service request opened or resolved (storage/requests.py)
    SURVEY = "survey"  # the customer's own answer to a satisfaction survey (storage/surveys.py)
    RETURN = "return"  # goods sent back: the purchase is worth less (storage/sales/payments.py)
    CAMPAIGN = "campaign"  # a campaign's email sent to the customer (storage/campaigns.py)


class DealStage(StrEnum):
    LEAD = "lead"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


OPEN_DEAL_STAGES = (DealStage.LEAD, DealStage.QUALIFIED, DealStage.PROPOSAL,
                    DealStage.NEGOTIATION)


class ReminderKind(StrEnum):
    FOLLOWUP = "followup"
    DIGEST = "digest"
    WEEKLY = "weekly"  # a manager's team summary
    QUIET = "quiet"  # nobody has been in touch for the tier's number of days
    UNVERIFIED = "unverified"  # contact details not confirmed for months
    INSTALLMENT = "installment"  # a payment plan's installment due: money to collect
    REQUEST = "request"  # a service request due: its assignee's to resolve


NUDGE_KINDS = (ReminderKind.QUIET, ReminderKind.UNVERIFIED)


class ReminderStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Delivery(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # the recipient blocked the bot or left the team
    FAILED = "failed"  # Telegram refused it for good (e.g. chat not found)


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WECHAT = "wechat"
    TELEGRAM = "telegram"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default=Role.REP)
    language: Mapped[str] = mapped_column(String(8), default="en")
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when Telegram answers 403 (the user blocked the bot); reminders skip them.
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime | None]


customer_tags = Table(
    "customer_tags",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # A tag's customers (a filter, a segment): without it PostgreSQL read all the pairs.
    Index("ix_customer_tags_tag", "tag_id", "customer_id"),
)


customer_shares = Table(
    "customer_shares",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_customer_shares_user", "user_id"),
)


class Customer(Base):
    __tablename__ = "customers"
    # AUTOINCREMENT so that a code (derived from the id) is never handed out twice.
    __table_args__ = (
        Index("ix_customers_owner_archived", "owner_id", "archived"),
        Index("ix_customers_owner_tier_quiet", "owner_id", "tier", "quiet_since"),
        Index("ix_customers_owner_unverified", "owner_id", "unverified_since"),
        Index("ix_customers_updated", "updated_at", "id"),
        # The Mini App's table: its "last contact" order (DESC NULLS LAST on PostgreSQL:
        # migration 0019) and its region list.
        Index("ix_customers_last_contact", "last_contact_at", "id"),
        Index("ix_customers_region", "region"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    name_pinyin: Mapped[str] = mapped_column(String(400), default="", index=True)
    # Searched by prefix for queries too short for the search terms ("pf" for 彭飞).
    name_initials: Mapped[str] = mapped_column(String(100), default="", index=True)
    company: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16), default=Tier.NORMAL)
    stage: Mapped[str] = mapped_column(String(16), default=Stage.LEAD)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    preferences: Mapped[str | None] = mapped_column(String(1000))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_contact_at: Mapped[datetime | None]
    last_verified_at: Mapped[datetime | None]
    # The clocks of the stale scan: since when the customer is quiet / unconfirmed. NULL
    # once a nudge is out (or the record is archived), so a scan never looks at it twice.
    quiet_since: Mapped[datetime | None]
    unverified_since: Mapped[datetime | None]
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # Set when the personal fields were anonymised on request (counts and dates remain).
    erased_at: Mapped[datetime | None]
    # Name, pinyin, company, phone digits, emails, tags and code in one lower-cased
    # string; its terms are indexed in `search_terms` (see storage/search/lookup.py).
    search_text: Mapped[str] = mapped_column(Text, default="")

    contacts: Mapped[list[ContactPoint]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        order_by="ContactPoint.id",
        lazy="selectin",
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary=customer_tags, order_by="Tag.name", lazy="selectin"
    )
    owner: Mapped[User | None] = relationship(lazy="selectin")
    shared_with: Mapped[list[User]] = relationship(
        secondary="customer_shares", order_by="User.id", lazy="selectin")

    @property
    def code(self) -> str:
        return format_code(self.id)

    def contact_values(self, kind: str) -> list[str]:
        return [c.value for c in self.contacts if c.kind == kind]


# /dupes groups customers by company, case-blind, from this index alone.
Index("ix_customers_company_lower", func.lower(Customer.company))


# Where a customer's search text may begin to be typed: each row one term (a suffix of a
# segment that starts a word, a Han character or a syllable) and the customer. Kept in
# step by storage/search/lookup.py; a lookup is a range scan of the primary key. On
# PostgreSQL the foreign key is gone (migration 0030: its check was half the cost of an
# import's terms) and a trigger on customers does its cascade, and the second index is of
# customer_id alone (migration 0032: a sixth of the size, 8% off an import's terms).
search_terms = Table(
    "search_terms",
    Base.metadata,
    Column("term", Text().with_variant(Text(collation="C"), "postgresql"), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"),
           nullable=False),
    PrimaryKeyConstraint("term", "customer_id"),
    Index("ix_search_terms_customer", "customer_id", "term"),
    sqlite_with_rowid=False,
)


def format_code(customer_id: int) -> str:
    return f"C-{customer_id:06d}"


class ContactPoint(Base):
    __tablename__ = "contact_points"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "value", name="uq_contact_customer_kind_value"),
        Index("ix_contact_points_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # Normalised form: E.164 for phones, the validator's form for emails.
    value: Mapped[str] = mapped_column(String(254))
    label: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MergeRecord(Base):
    """One merge of two customers, with what is needed to take it back within a day."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
    # Fields filled from the merged record, contacts and tags it brought, entries moved.
    undo: Mapped[dict[str, Any]] = mapped_column(JSON)


class DistinctPair(Base):
    """Two records a member marked "not duplicates": /dupes no longer pairs them."""

    __tablename__ = "distinct_pairs"

    first_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    second_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class BotState(Base):
    """Conversation states and per-user chat data, so a restart loses no flow."""

    __tablename__ = "bot_state"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_bot_state_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class Interaction(Base):
    """A call, meeting, message, email, note or feedback logged against a customer."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_customer_time", "customer_id", "occurred_at"),
                      # A member's contacts in a period (targets, the weekly summary).
                      Index("ix_interactions_user_time", "user_id", "occurred_at", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16), default=InteractionKind.NOTE)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(500))
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_file_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship(lazy="selectin")


class Purchase(Base):
    """What a customer bought: amounts in whole minor units (fen, cents) of `currency`."""

    __tablename__ = "purchases"
    # Covering what the value job and the charts read: purchases are written in no order
    # of customer, and reading each customer's rows from the table was 1,000,000 random
    # reads (the month chart took 5.4 s at 1,000,000 purchases, 0.75 s with it). No index
    # on the time alone: SQLite, without statistics, took it for "the last two years"
    # (every row) and read the table in time order at random again (5.9 s).
    __table_args__ = (Index("ix_purchases_customer_time", "customer_id", "occurred_at",
                            "currency", "amount_minor"),
                      # The month's collection: purchases without a plan bought in a month.
                      # Partial, so that the charts' "last two years" is not read by it.
                      Index("ix_purchases_unplanned_time", "occurred_at",
                            sqlite_where=sql_text("planned = 0"),
                            postgresql_where=sql_text("planned = false")),
                      # What each member booked in a period (targets): covering, and led by
                      # the member so that no time-only read picks it.
                      Index("ix_purchases_user_time", "user_id", "occurred_at", "currency",
                            "amount_minor", "returned_minor"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    product: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int | None] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What has been paid of it so far, kept with each payment (storage/sales/payments.py):
    # what is owed is then read from the row, not summed over payments.
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # What was sent back of it (returns, storage/sales/payments.py): its value is the
    # amount less this.
    returned_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # It has a payment plan: what it owes is owed by its installments (set_plan).
    planned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ReceivableDay(Base):
    """What is owed, per owner (0: none), currency and due day: kept by database triggers
    on installments, purchases and customers (migration 0024), so the team's aging reads
    a few thousand rows however many millions it sums (storage/sales/receivables.py)."""

    __tablename__ = "receivable_days"

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    owed_minor: Mapped[int] = mapped_column(BigInteger)


class Installment(Base):
    """One part of a purchase's payment plan: how much is due on which day, and how much
    of it has been paid (kept with each payment, as the purchase's own `paid_minor`)."""

    __tablename__ = "installments"
    __table_args__ = (Index("ix_installments_purchase", "purchase_id", "due_on"),
                      Index("ix_installments_customer", "customer_id"),
                      # The month's collection reads the ones due in a month from it alone.
                      Index("ix_installments_due", "due_on", "currency", "amount_minor",
                            "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3))
    # Its invoice (开票), once issued: the number and the day on it.
    invoice_no: Mapped[str | None] = mapped_column(String(64))
    invoice_on: Mapped[date | None] = mapped_column(Date)
    # The reminder that brings it to its owner on its day (kind "installment").
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="SET NULL"))


class PaymentKind(StrEnum):
    PAYMENT = "payment"  # money received
    RETURN = "return"  # goods sent back: what the purchase is worth, and owes, is less
    WRITE_OFF = "write_off"  # a manager gave up collecting what was left


class Payment(Base):
    """What settles part of a purchase (`purchase_id`), or stands as the customer's credit
    (None): money received, goods returned, or a manager's write-off (`kind`). One message
    may make several rows under one timeline entry; a purchase's and an installment's
    `paid_minor` is the sum of all three kinds, and only money received counts as
    collected."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_customer_time", "customer_id", "received_at"),
                      Index("ix_payments_user_time", "user_id", "received_at", "kind",
                            "currency", "amount_minor"),
                      Index("ix_payments_purchase", "purchase_id"),
                      Index("ix_payments_installment", "installment_id", "kind", "currency",
                            "amount_minor"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchases.id", ondelete="CASCADE"))
    installment_id: Mapped[int | None] = mapped_column(
        ForeignKey("installments.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16), default=PaymentKind.PAYMENT,
                                      server_default=PaymentKind.PAYMENT.value)
    quantity: Mapped[int | None] = mapped_column(Integer)  # units sent back (a return)


class RequestKind(StrEnum):
    QUESTION = "question"
    FAULT = "fault"
    COMPLAINT = "complaint"
    RETURN = "return"


class RequestPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class RequestStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REOPENED = "reopened"


OPEN_REQUEST_STATUSES = (RequestStatus.OPEN, RequestStatus.IN_PROGRESS, RequestStatus.REOPENED)


class ServiceRequest(Base):
    """A customer's question, fault, complaint or return (工单): who handles it, by when,
    and what was done; its times give the first-response and resolution figures."""

    __tablename__ = "service_requests"
    __table_args__ = (Index("ix_service_requests_assignee_status", "assignee_id", "status"),
                      Index("ix_service_requests_customer_status", "customer_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default=RequestKind.FAULT)
    priority: Mapped[str] = mapped_column(String(16), default=RequestPriority.NORMAL)
    problem: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.OPEN)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column()
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(lazy="joined")
    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class Deal(Base):
    """A sale in the making: what, worth how much, expected when, at which stage."""

    __tablename__ = "deals"
    __table_args__ = (Index("ix_deals_owner_stage", "owner_id", "stage"),
                      Index("ix_deals_customer", "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(100))
    value_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stage: Mapped[str] = mapped_column(String(16), default=DealStage.LEAD)
    close_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchases.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_DEAL_STAGES


class Satisfaction(Base):
    """A 1-5 score the owner recorded after a purchase or a closed follow-up."""

    __tablename__ = "satisfaction"
    __table_args__ = (Index("ix_satisfaction_customer_time", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchases.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Survey(Base):
    """A satisfaction survey sent to a customer as a link: the token is kept only as its
    SHA-256, so the table alone opens no survey; the answer is the customer's own."""

    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_customer_time", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="SET NULL"))
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchases.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    stars: Mapped[int | None] = mapped_column(Integer)  # 1-5
    recommend: Mapped[int | None] = mapped_column(Integer)  # 0-10, "would you recommend us"
    comment: Mapped[str | None] = mapped_column(Text)


class TargetMetric(StrEnum):
    REVENUE = "revenue"  # purchases booked, less what came back
    COLLECTED = "collected"  # money received (回款)
    NEW_CUSTOMERS = "new_customers"
    CONTACTS = "contacts"  # calls, meetings, messages, emails logged
    DEALS_WON = "deals_won"


MONEY_METRICS = (TargetMetric.REVENUE, TargetMetric.COLLECTED)


class Target(Base):
    """What a member is to achieve in a period (storage/targets.py): a month ("2026-12")
    or a quarter ("2026-Q4"); an amount in minor units of `currency` for money, a count
    otherwise. Team totals are sums, never stored."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("user_id", "period", "metric",
                                       name="uq_targets_member_period_metric"),
                      Index("ix_targets_period", "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(16))
    goal: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    PAUSED = "paused"  # the SMTP server failed or refused the login: resumed by a tap
    DONE = "done"
    CANCELLED = "cancelled"


class Campaign(Base):
    """An email campaign (storage/campaigns.py): its audience (filter words, as /export
    takes them), its template, and its state; each customer's part is a row of
    `campaign_recipients`."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    audience: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    holdout_percent: Mapped[int] = mapped_column(Integer, default=10)
    window_days: Mapped[int] = mapped_column(Integer, default=30)
    problem: Mapped[str | None] = mapped_column(String(300))  # why it paused
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class RecipientGroup(StrEnum):
    SEND = "send"
    HOLDOUT = "holdout"  # chosen at random to get nothing: the measure of the effect
    SKIPPED = "skipped"  # no address, opted out, bounced, or an address already chosen


class SendStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # handed to the server: never handed again (at most once)
    SENT = "sent"
    REFUSED = "refused"  # the server refused this recipient: the address is bouncing
    UNKNOWN = "unknown"  # the process stopped while it was being handed over


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipients"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id",
                                       name="uq_campaign_recipients_customer"),
                      Index("ix_campaign_recipients_status", "campaign_id", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))  # why skipped
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str | None] = mapped_column(String(16))  # of a send
    # The one-click unsubscribe link's token, kept as its SHA-256.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(300))


class EmailSuppression(Base):
    """An address no campaign writes to again: its owner unsubscribed, or the server
    refused it. Kept by address (lower case), so a corrected address is written to."""

    __tablename__ = "email_suppressions"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # unsubscribed | bounced
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A member's secret calendar address (storage/calendars.py): kept only as the
    SHA-256 of its token; revoking deletes the row, renewing replaces it."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerValue(Base):
    """Last night's recency-frequency-monetary assessment of a customer who has bought:
    the scores, the tier they suggest, and a churn warning with its reason (as a rule
    name and numbers, put into words in the reader's language)."""

    __tablename__ = "customer_values"
    __table_args__ = (Index("ix_customer_values_owner", "owner_id"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)  # purchases in the last 365 days
    monetary_minor: Mapped[int] = mapped_column(BigInteger)  # in the team's currency
    r: Mapped[int] = mapped_column(Integer)
    f: Mapped[int] = mapped_column(Integer)
    m: Mapped[int] = mapped_column(Integer)
    suggested_tier: Mapped[str | None] = mapped_column(String(16))
    churn: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    computed_at: Mapped[datetime] = mapped_column()


class ValueDecision(Base):
    """What an owner answered: a tier suggestion kept as it was, a churn warning put off."""

    __tablename__ = "value_decisions"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    kept_tier_against: Mapped[str | None] = mapped_column(String(16))
    churn_quiet_until: Mapped[datetime | None] = mapped_column()


class Segment(Base):
    """A saved filter ("core customers in 上海 gone quiet"), by name, for the whole team."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    query: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """Something to tell a user at a time: a follow-up now, stale nudges and digests later.

    `send_after` drives delivery: NULL means nothing to send; a claimed row has it pushed
    a lease ahead, so a crashed sender's rows fall due again by themselves.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_send_after", "send_after"),
        Index("ix_reminders_user_status_due", "user_id", "status", "due_at"),
        Index("ix_reminders_user_kind_created", "user_id", "kind", "created_at"),
        Index("ix_reminders_customer_kind_status", "customer_id", "kind", "status"),
        Index("uq_reminders_one_digest", "user_id", "due_at", unique=True,
              sqlite_where=sql_text("kind = 'digest'"),
              postgresql_where=sql_text("kind = 'digest'")),
        Index("uq_reminders_one_weekly", "user_id", "due_at", unique=True,
              sqlite_where=sql_text("kind = 'weekly'"),
              postgresql_where=sql_text("kind = 'weekly'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="followup")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.OPEN)
    delivery: Mapped[str] = mapped_column(String(16), default=Delivery.PENDING)
    send_after: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]
    outcome_interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer | None] = relationship(lazy="selectin")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="selectin")


class ImportStatus(StrEnum):
    MAPPING = "mapping"  # uploaded; columns and choices are being set
    RUNNING = "running"  # confirmed; batches are being written (resumed after a restart)
    DONE = "done"
    UNDONE = "undone"
    CANCELLED = "cancelled"


class ImportJob(Base):
    """One uploaded table on its way in: the file itself (so any instance can resume it),
    the mapping and choices the member made, and how far the writing got."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_sha256", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(100))
    # Column index -> field, the header row, the duplicate choices, the preview's counts.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.MAPPING)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    next_row: Mapped[int] = mapped_column(Integer, default=0)  # rows before it are written
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    undone_at: Mapped[datetime | None]


class ImportFile(Base):
    """The uploaded bytes of an import until it is written (then dropped), apart from the
    `imports` row: SQLite rewrites a whole row on UPDATE, and moving `next_row` beside a
    10 MB file cost 22 ms a batch. In parts of 1 MB (storage/imports/jobs.py): storing a
    99 MB sheet whole took the process to a peak of 669 MB on PostgreSQL, in parts 85 MB."""

    __tablename__ = "import_files"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRow(Base):
    """What became of one row of an import: the report, resuming and undo read these."""

    __tablename__ = "import_rows"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True)
    sheet: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 customers, 1 interactions
    row: Mapped[int] = mapped_column(Integer, primary_key=True)  # as the spreadsheet numbers it
    outcome: Mapped[str] = mapped_column(String(16))  # created updated skipped invalid logged
    reason: Mapped[str] = mapped_column(String(500), default="")
    customer_id: Mapped[int | None] = mapped_column(Integer)
    # For an updated record: the fields it filled, the contacts and tags it added.
    undo: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class InboxUpdate(Base):
    """An update from Telegram, kept from its arrival until it has been handled (and a
    day after, so that Telegram sending it again is recognised)."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_pending", "done_at", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_key: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The answers committed with the effects, until they have been sent.
    answers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True),
                                                                 nullable=True)
