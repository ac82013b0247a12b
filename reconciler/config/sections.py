"""config.yaml's sections as typed values: what each key means, its default and its bounds.

A misspelt key is an error (extra="forbid"); relative paths are resolved by load.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.cron import parse_cron
from reconciler.errors import ConfigError

DEFAULT_CONFIG_NAME = "config.yaml"


class _Section(BaseModel):
    # A misspelt key is a mistake the user wants to hear about, not silently ignored.
    model_config = ConfigDict(extra="forbid")


InventorySourceKind = Literal["file", "sqlite", "snipeit", "netbox", "glpi", "agent-files"]
FILE_SOURCES = ("file", "sqlite", "agent-files")  # read from `path`; the others from `url`


class InventoryConfig(_Section):
    # file: an xlsx/xls/ods/csv export (or a SQLite database, told by its first bytes);
    # sqlite: a SQLite database; agent-files: a folder of GLPI agent JSON / OCS XML files;
    # snipeit, netbox, glpi: the tool's REST API at `url`.
    source: InventorySourceKind = "file"
    path: Path | None = None  # the export, database file or agent folder
    table: str | None = None  # the table to read when path is a SQLite database
    sheet: str | None = None  # the sheet to read from a workbook (default: the first with a header)
    url: str | None = None  # the API's base URL, e.g. https://snipe.example.com
    token_env: str | None = None  # the NAME of the environment variable holding the API token
    app_token_env: str | None = None  # GLPI: the NAME of the variable holding the App-Token
    timeout_seconds: float = Field(default=30.0, gt=0)  # per request
    page_size: int = Field(default=500, gt=0, le=10000)  # Snipe-IT caps it at MAX_RESULTS
    retries: int = Field(default=4, ge=0, le=20)  # for 429/503/timeouts, with backoff
    mapping: Path | None = None  # a YAML mapping table replacing the source's shipped one

    def require_path(self) -> Path:
        """The configured path; ConfigError when a file source has none."""
        if self.path is None:
            raise ConfigError(
                f"key 'inventory.path': inventory.source '{self.source}' reads a file; "
                "set inventory.path to it"
            )
        return self.path


class WatchConfig(_Section):
    polling: bool = False  # PollingObserver, for SMB/NFS shares where inotify sees nothing
    settle_seconds: float = Field(default=5.0, ge=0)
    interval_seconds: float = Field(default=30.0, gt=0)
    stale_lock_minutes: float = Field(
        default=240.0, gt=0
    )  # an Excel ~$ lock older than this is ignored
    on_duplicate: Literal["reprocess", "point"] = "reprocess"


class LimitsConfig(_Section):
    max_file_mb: float = Field(default=100.0, gt=0)
    max_seconds: float = Field(default=600.0, gt=0)
    max_memory_mb: int = Field(default=4096, gt=0)
    # A reviewer's reply: more decisions than this is refused whole (a pasted column, not a
    # review), without reading the rest.
    max_reply_lines: int = Field(default=1000, gt=0)


class ReportConfig(_Section):
    language: Literal["ru", "en"] = "ru"
    date: dt.date | None = None  # overrides the date found in the register's title
    currency: str = "RUB"


class SmtpConfig(_Section):
    host: str = "localhost"
    port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    password_env: str | None = None  # the NAME of the environment variable with the password
    timeout_seconds: float = Field(default=30.0, gt=0)


class RecipientsConfig(_Section):
    default: list[str] = Field(default_factory=list)
    by_folder: dict[str, list[str]] = Field(default_factory=dict)


class RetryConfig(_Section):
    first_delay_seconds: float = Field(default=60.0, gt=0)
    max_delay_seconds: float = Field(default=3600.0, gt=0)
    deadline_hours: float = Field(default=72.0, gt=0)


class MailConfig(_Section):
    transport: Literal["file", "smtp"] = "file"  # file: .eml files in the run folder
    from_: str = Field(default="reconciler@localhost", alias="from")
    reply_to: str | None = None
    recipients: RecipientsConfig = Field(default_factory=RecipientsConfig)
    reviewers: list[str] = Field(default_factory=list)
    auditors: list[str] = Field(default_factory=list)
    # Who is told of the service's own trouble (disk full, ledger busy, a bug): never the sender.
    operators: list[str] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("allowed_domains")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [d.lower().lstrip("@") for d in v]

    def all_addresses(self) -> dict[str, str]:
        """Every configured address with the key it came from, for the domain check."""
        found = {"mail.from": self.from_}
        if self.reply_to:
            found["mail.reply_to"] = self.reply_to
        found |= {f"mail.recipients.default[{i}]": a for i, a in enumerate(self.recipients.default)}
        for folder, addrs in self.recipients.by_folder.items():
            found |= {f"mail.recipients.by_folder.{folder}[{i}]": a for i, a in enumerate(addrs)}
        found |= {f"mail.reviewers[{i}]": a for i, a in enumerate(self.reviewers)}
        found |= {f"mail.auditors[{i}]": a for i, a in enumerate(self.auditors)}
        found |= {f"mail.operators[{i}]": a for i, a in enumerate(self.operators)}
        return found


class AuditConfig(_Section):
    schedule: str | None = None  # cron syntax, e.g. "0 8 1 * *"

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        # A bad expression is reported by `reconciler check`, not first noticed at fire time.
        if v is not None:
            parse_cron(v)  # ValueError names the field and the fix
        return v


class FolderScope(_Section):
    """Which IT inventory records one inbox folder's registers cover.

    Each value is a name (equal after the normalisation matching uses: case, spacing,
    punctuation, look-alikes, rules' place aliases), a prefix ending in '*' ("Казань*"), or a
    regular expression after 're:' ("re:^(Москва|Подольск)"). Values of one kind are
    alternatives; kinds given together must all hold (a place AND a custodian).
    """

    locations: list[str] = Field(default_factory=list)
    custodians: list[str] = Field(default_factory=list)  # people, as matching compares them
    # An inventory column (its header text, or a field: category, status, vendor ...) -> the
    # values it may hold: organisation, company, cost centre, department, or any filter.
    fields: dict[str, list[str]] = Field(default_factory=dict)
    whole_inventory: bool = False  # this folder's registers cover the whole company

    @property
    def empty(self) -> bool:
        return not (self.locations or self.custodians or self.fields or self.whole_inventory)


class ScopeConfig(_Section):
    # Inbox subfolder -> its scope; 'moscow/it' inherits 'moscow' unless listed itself.
    by_folder: dict[str, FolderScope] = Field(default_factory=dict)
    # A register checked against the wrong inventory matches almost nothing: below this share
    # of its rows with a key (inventory number, serial, barcode) matched, the run says so
    # first and lists no surplus.
    min_matched_share: float = Field(default=0.10, ge=0, le=1)

    def for_folder(self, folder: str | None) -> tuple[str, FolderScope] | None:
        """The folder's own entry, else its nearest listed parent's, with the key it came from."""
        entries = {_folder_key(k): (k, v) for k, v in self.by_folder.items()}
        path = PurePosixPath(_folder_key(folder or ""))
        for candidate in [path, *path.parents]:
            key = str(candidate)
            if key not in ("", ".") and key in entries:
                return entries[key]
        return None


def _folder_key(folder: str) -> str:
    return folder.replace("\\", "/").strip("/")


class LedgerConfig(_Section):
    # Empty: the embedded SQLite ledger in state/. postgresql://user@host/db: one ledger that
    # several instances (machines) on one share use together; the password never goes here.
    url: str = ""
    password_env: str | None = None  # the environment variable holding the database password


class Config(_Section):
    inbox: Path = Path("inbox")
    outbox: Path = Path("outbox")
    archive: Path = Path("archive")
    quarantine: Path = Path("quarantine")
    state: Path = Path("state")  # ledger, work folder, log
    rules: Path = Path("rules")
    inventory: InventoryConfig
    watch: WatchConfig = Field(default_factory=WatchConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    mail: MailConfig = Field(default_factory=MailConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    scope: ScopeConfig = Field(default_factory=ScopeConfig)
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)

    # Not from the file: where it was read from, for messages and relative paths.
    source: Path = Field(default=Path(DEFAULT_CONFIG_NAME), exclude=True)

    @property
    def ledger_path(self) -> Path:
        return self.state / "ledger.sqlite"

    @property
    def work_dir(self) -> Path:
        return self.state / "work"

    @property
    def log_path(self) -> Path:
        return self.state / "reconciler.log"
