"""Settings from config.toml plus environment overrides, validated at start."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url

from storage.encryption import key_problem, with_key
from storage.nudges import StaleRule
from storage.users import Visibility


class ConfigError(Exception):
    """One line naming the key that is wrong."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramSettings(_Section):
    token: str = ""
    api_base_url: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: str = ""
    poll_timeout: int = Field(default=10, ge=0, le=50)
    # How long a Bot API call is retried through timeouts, resets, 5xx and 429.
    retry_seconds: float = Field(default=30, ge=0, le=600)
    # Updates of different chats handled at once (one chat's are always one at a time).
    concurrent_updates: int = Field(default=64, ge=1, le=1024)
    # On SIGTERM, how long updates already begun may finish; the rest waits in the
    # database for the next start.
    drain_seconds: float = Field(default=8, ge=0, le=60)

    @model_validator(mode="after")
    def _webhook_complete(self) -> TelegramSettings:
        if self.mode == "webhook" and not self.webhook_url:
            raise ValueError("mode = \"webhook\" needs webhook_url")
        if self.mode == "webhook" and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}",
                                                       self.webhook_secret):
            raise ValueError("mode = \"webhook\" needs webhook_secret: 16 to 256 of "
                             "A-Z a-z 0-9 _ - (Telegram sends it with every update)")
        return self


def _usable_key(value: str, what: str, command: str) -> str:
    """Empty, or 32 bytes base64: one message for both keys, naming the command."""
    problem = key_problem(value) if value else None
    if problem:
        raise ValueError(f"not a {what} key ({problem}); `{command}`")
    return value


LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
TLS_MODES = {"require", "verify-ca", "verify-full"}


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///data/salesbot.db"
    # SQLite encrypted at rest with SQLCipher (`salesbot db new-key` makes a key,
    # `salesbot db encrypt` encrypts an existing database); empty: a plain file.
    key: str = ""
    # A PostgreSQL server on another host is refused without TLS (`?ssl=require` or
    # stricter) unless this is true, for a network you trust end to end.
    allow_plain_network: bool = False

    @field_validator("key")
    @classmethod
    def _usable_database_key(cls, value: str) -> str:
        return _usable_key(value, "database", "salesbot db new-key")

    @model_validator(mode="after")
    def _keyed_and_private(self) -> DatabaseSettings:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            if self.key and not url.database:
                raise ValueError("key: an in-memory database cannot be encrypted")
            # The key rides in the URL, as SQLAlchemy's pysqlcipher URLs carry it, to
            # every part that opens the database (storage/encryption.py).
            self.url = with_key(self.url, self.key) if self.key else self.url
            return self
        if self.key:
            raise ValueError("key: encryption at rest is for SQLite; encrypt PostgreSQL's "
                             "disk instead (docs/operations.md)")
        remote = (url.host or "") not in LOCAL_HOSTS and not (url.host or "").startswith("/")
        tls = str(url.query.get("ssl", "")) in TLS_MODES
        if remote and not tls and not self.allow_plain_network:
            raise ValueError(f"url: {url.host} is another host and the URL does not require "
                             "TLS: add ?ssl=verify-full (or ?ssl=require), or set "
                             "database.allow_plain_network = true")
        return self

    @property
    def shown_url(self) -> str:
        """The URL with any password or key as ***."""
        return str(make_url(self.url))


class TeamSettings(_Section):
    admins: list[int] = Field(default_factory=list)
    visibility: Visibility = Visibility.TEAM
    default_region: str = "CN"
    timezone: str = "Asia/Shanghai"
    # Messages and button presses one member may send a minute before the bot asks them
    # to slow down.
    requests_per_minute: int = Field(default=30, ge=1, le=10000)

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r} (use a two-letter code such as CN)")
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class ReminderSettings(_Section):
    sweep_seconds: float = Field(default=30, gt=0, le=3600)
    lease_seconds: float = Field(default=300, gt=0, le=86400)
    batch: int = Field(default=100, ge=1, le=10000)
    default_hour: int = Field(default=9, ge=0, le=23)
    # Local hour of each member's daily digest; -1 turns digests off.
    digest_hour: int = Field(default=8, ge=-1, le=23)
    quiet_core_days: int = Field(default=14, ge=1, le=3650)
    quiet_important_days: int = Field(default=30, ge=1, le=3650)
    quiet_normal_days: int = Field(default=90, ge=1, le=3650)
    unverified_days: int = Field(default=180, ge=1, le=3650)
    nudges_per_day: int = Field(default=5, ge=0, le=100)
    # How often the stale-record scan runs (it is cheap: it reads only run-out clocks).
    scan_minutes: float = Field(default=15, gt=0, le=1440)

    def stale_rule(self) -> StaleRule:
        return StaleRule(
            core_days=self.quiet_core_days, important_days=self.quiet_important_days,
            normal_days=self.quiet_normal_days, unverified_days=self.unverified_days,
            per_day=self.nudges_per_day, day_starts=self.default_hour,
            batched=self.digest_hour >= 0)


class BackupSettings(_Section):
    # Where backups go, how many to keep, and the UTC hour of the daily one (-1: none).
    folder: str = "data/backups"
    keep: int = Field(default=7, ge=1, le=1000)
    hour: int = Field(default=3, ge=-1, le=23)
    # An encryption key (`salesbot backup --new-key` prints one); empty: not encrypted.
    key: str = ""

    @field_validator("key")
    @classmethod
    def _usable_backup_key(cls, value: str) -> str:
        return _usable_key(value, "backup", "salesbot backup --new-key")


class ImportSettings(_Section):
    # Largest file accepted for an import, in MB (Telegram lets bots download up to 20).
    max_mb: float = Field(default=20, gt=0, le=20)
    # Rows written per transaction at most; a killed import resumes after its last whole
    # batch. A batch never spans two of the parts the workers check (bot/tables/
    # importing.py, CHUNK: 2,000 rows), so a larger number writes 2,000 at a time; on
    # SQLite it holds the write lock about 0.2 s (storage/imports/writer.py, TURN).
    batch: int = Field(default=2000, ge=10, le=20000)
    # Imports of at least this many rows get a progress message.
    progress_from: int = Field(default=2000, ge=1)


class WorkerSettings(_Section):
    # Worker processes (sheets, charts, business-card OCR) end after this many minutes
    # without work and start again on the next; kept, they hold what their last job grew to.
    idle_minutes: float = Field(default=3, gt=0, le=1440)


class SalesSettings(_Section):
    # Amounts without a currency written are in this one (ISO 4217).
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    # A purchase within this many days of the customer's previous one makes them loyal.
    loyal_within_days: int = Field(default=180, ge=1, le=3650)
    # Amounts above this (in the team's currency units) are asked about before saving.
    amount_ceiling: int = Field(default=10_000_000, ge=1)
    # A customer is slipping away when the time since their last purchase is more than
    # this many times their own usual interval between purchases.
    churn_factor: float = Field(default=2.0, ge=1.0, le=20.0)
    # Customer value (RFM) and churn warnings are recomputed when this many hours old;
    # the bot looks every `value_check_minutes`.
    value_every_hours: float = Field(default=24, gt=0, le=168)
    value_check_minutes: float = Field(default=60, gt=0, le=1440)


class SpeechSettings(_Section):
    # An OpenAI-compatible speech-to-text service (its base URL, ending before
    # /audio/transcriptions); empty: voice notes are kept as they are, not transcribed.
    url: str = ""
    key: str = ""
    model: str = "whisper-1"
    timeout_seconds: float = Field(default=30, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class EmailSettings(_Section):
    # The team's own SMTP server for campaigns (docs/operations.md, "Email campaigns");
    # host empty: campaigns are refused with what to set.
    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    # starttls (port 587) or tls (465); "none" only with allow_plaintext = true, for a
    # relay on this machine: credentials and customers' addresses never cross a network
    # in the clear by accident.
    security: Literal["starttls", "tls", "none"] = "starttls"
    allow_plaintext: bool = False
    username: str = ""
    password: str = ""  # or SALESBOT_SMTP_PASSWORD
    from_address: str = ""
    from_name: str = ""
    # Messages a minute: most providers throttle or flag a burst from a new sender.
    per_minute: int = Field(default=30, ge=1, le=6000)
    timeout_seconds: float = Field(default=30, gt=0, le=300)
    # Whether reps may start campaigns too (managers and admins always may).
    reps_may_send: bool = False

    @model_validator(mode="after")
    def _encrypted_unless_allowed(self) -> EmailSettings:
        if self.host and self.security == "none" and not self.allow_plaintext:
            raise ValueError("security = \"none\" sends the password and customers' "
                             "addresses in the clear: use starttls or tls, or set "
                             "email.allow_plaintext = true for a relay on this machine")
        if self.host and not self.from_address:
            raise ValueError("from_address: the address campaigns are sent from")
        return self

    @property
    def configured(self) -> bool:
        return bool(self.host)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "json": one JSON object a line (time, level, logger, message, traceback).
    format: Literal["text", "json"] = "text"


class MonitoringSettings(_Section):
    # /healthz and /metrics (Prometheus) over HTTP; port 0: not served.
    listen: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)


class WebAppSettings(_Section):
    # The Mini App (the customer table) over HTTP; port 0: not served. Telegram opens it
    # at an https address that a reverse proxy forwards to listen:port (docs/operations.md).
    listen: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    # How old Telegram's signature of the member opening it (initData's auth_date) may be.
    signed_within_hours: float = Field(default=24, gt=0, le=720)
    # The address Telegram opens (https, the proxy's), for the menu button and the card's
    # button; empty: no buttons (the app can still be opened by its address).
    url: str = ""
    # /app/dev?as=TELEGRAM_ID signs in without Telegram, answered only to this machine
    # and never through a proxy: for working on the page.
    dev_login: bool = False

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("Telegram opens Mini Apps over https only")
        return value


class ConsoleSettings(_Section):
    user_id: int = 1
    name: str = "Console"
    language: Literal["en", "zh_CN"] = "en"


class Settings(_Section):
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    team: TeamSettings = Field(default_factory=TeamSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    workers: WorkerSettings = Field(default_factory=WorkerSettings)
    sales: SalesSettings = Field(default_factory=SalesSettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    webapp: WebAppSettings = Field(default_factory=WebAppSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)

    @property
    def admin_ids(self) -> frozenset[int]:
        return frozenset(self.team.admins)


ENV_OVERRIDES = {
    "SALESBOT_TOKEN": ("telegram", "token"),
    "SALESBOT_DATABASE_URL": ("database", "url"),
    "SALESBOT_API_BASE_URL": ("telegram", "api_base_url"),
    "SALESBOT_DATABASE_KEY": ("database", "key"),
    "SALESBOT_BACKUP_KEY": ("backup", "key"),
    "SALESBOT_SPEECH_KEY": ("speech", "key"),
    "SALESBOT_SMTP_PASSWORD": ("email", "password"),
}


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Reads the TOML file (when given), applies environment overrides, validates."""
    env = dict(os.environ) if env is None else env
    raw: dict[str, dict[str, object]] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    for variable, (section, key) in ENV_OVERRIDES.items():
        if env.get(variable):
            raw.setdefault(section, {})[key] = env[variable]
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        raise ConfigError(f"config error: {key}: {error['msg']}") from exc
