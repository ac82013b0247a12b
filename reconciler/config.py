"""config.yaml, typed. Every problem in the file is reported at once, with its key.

Relative paths resolve against the folder of the config file. Passwords are never in the file:
`mail.smtp.password_env` names the environment variable that holds one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from email.utils import parseaddr
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler.cron import parse_cron
from reconciler.errors import ConfigError, Problem

DEFAULT_CONFIG_NAME = "config.yaml"
CONFIG_ENV = "RECONCILER_CONFIG"


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


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else (base / p).resolve()

    updates = {
        k: resolve(getattr(config, k))
        for k in ("inbox", "outbox", "archive", "quarantine", "state", "rules")
    }
    inv = config.inventory
    inventory = inv.model_copy(
        update={
            "path": resolve(inv.path) if inv.path is not None else None,
            "mapping": resolve(inv.mapping) if inv.mapping is not None else None,
        }
    )
    return config.model_copy(update={**updates, "inventory": inventory})


# A key whose value may be a secret: its value is never repeated in a message. (The *_env keys
# name a variable, which is no secret.)
_SECRET_WORDS = ("password", "token", "secret", "api_key", "apikey")


def is_secret_key(key: str) -> bool:
    last = key.rsplit(".", 1)[-1].lower()
    return not last.endswith("_env") and any(w in last for w in _SECRET_WORDS)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the section at `loc` accepts (aliases as written in the file)."""
    model: Any = Config
    for part in loc:
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        if field is None:
            field = next(
                (f for f in getattr(model, "model_fields", {}).values() if f.alias == part), None
            )
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [f.alias or name for name, f in model.model_fields.items()]


def _problems(error: ValidationError) -> list[Problem]:
    """Each validation error in plain words: the key, what was expected, what was found (never
    a secret's value), and for a misspelt key the nearest real one."""
    problems = []
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        found = e.get("input")
        if e["type"] == "extra_forbidden":
            known = _known_keys(tuple(e["loc"][:-1]))
            near = difflib.get_close_matches(str(e["loc"][-1]), known, n=1, cutoff=0.5)
            env_key = f"{e['loc'][-1]}_env"
            if is_secret_key(key) and env_key in known:  # a password written into the file
                text = (
                    f"key '{key}': not a setting: a secret never goes in the file; delete it, "
                    f"put it in an environment variable and name that in '{env_key}'"
                )
                problems.append(Problem(text, "SECRET_IN_FILE", {"key": key, "env_key": env_key}))
            elif near:
                text = f"key '{key}': not a setting; did you mean '{near[0]}'?"
                problems.append(Problem(text, "UNKNOWN_KEY_NEAR", {"key": key, "near": near[0]}))
            else:
                known_text = ", ".join(sorted(known))
                text = f"key '{key}': not a setting" + (
                    f" (known here: {known_text})" if known else ""
                )
                problems.append(Problem(text, "UNKNOWN_KEY", {"key": key, "known": known_text}))
            continue
        secret = is_secret_key(key)
        if secret:
            found_text = ", found a value (not shown: it may be a secret)"
        else:
            found_text = "" if isinstance(found, dict) else f", found {found!r}"
        text = f"key '{key}': {e['msg'][:1].lower()}{e['msg'][1:]}{found_text}"
        # 0.0 said as 0: the bound as the user would write it
        ctx = {
            k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in (e.get("ctx") or {}).items()
        }
        params: dict[str, Any] = {"key": key, "type": e["type"], "msg": e["msg"], **ctx}
        if not secret and not isinstance(found, dict):
            params["found"] = repr(found)
        problems.append(Problem(text, "BAD_VALUE", params))
    return problems


# One @, something on each side, no spaces: 'reconciler@@host' and 'it-assets' are refused.
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")


def _semantic_problems(config: Config) -> list[Problem]:
    """Checks pydantic cannot express: domains of addresses, SMTP password present."""
    problems = []
    inv = config.inventory
    if inv.source in FILE_SOURCES and inv.path is None:
        problems.append(
            Problem(
                f"key 'inventory.path': inventory.source '{inv.source}' reads a file or "
                "folder; set inventory.path to it",
                "INVENTORY_PATH_NEEDED",
                {"source": inv.source},
            )
        )
    if inv.source not in FILE_SOURCES:
        for key in ("url", "token_env"):
            if not getattr(inv, key):
                problems.append(
                    Problem(
                        f"key 'inventory.{key}': inventory.source '{inv.source}' needs it "
                        "(token_env is the NAME of the environment variable holding the token)",
                        f"INVENTORY_{key.upper()}_NEEDED",
                        {"source": inv.source},
                    )
                )
    if inv.source == "glpi" and not inv.app_token_env:
        problems.append(
            Problem(
                "key 'inventory.app_token_env': GLPI needs an App-Token; name the environment "
                "variable that holds it",
                "GLPI_APP_TOKEN_NEEDED",
            )
        )
    mail = config.mail
    for key, address in mail.all_addresses().items():
        if not _ADDRESS.fullmatch(parseaddr(address)[1] or address):
            problems.append(
                Problem(
                    f"key '{key}': expected an email address such as name@example.com, "
                    f"found {address!r}",
                    "BAD_ADDRESS",
                    {"key": key, "found": address},
                )
            )
        elif mail.allowed_domains and address.rsplit("@", 1)[1].lower() not in mail.allowed_domains:
            domains = ", ".join(mail.allowed_domains)
            problems.append(
                Problem(
                    f"key '{key}': {address!r} is outside mail.allowed_domains ({domains}); "
                    "fix the address or allow its domain",
                    "ADDRESS_OUTSIDE_DOMAINS",
                    {"key": key, "found": address, "domains": domains},
                )
            )
    if mail.smtp.ssl and mail.smtp.starttls:
        problems.append(
            Problem(
                "key 'mail.smtp': ssl and starttls are exclusive; set one to false",
                "SSL_AND_STARTTLS",
            )
        )
    for folder, scope in config.scope.by_folder.items():
        if scope.empty:
            problems.append(
                Problem(
                    f"key 'scope.by_folder.{folder}': names nothing; list locations, "
                    "custodians or fields, or set whole_inventory: true",
                    "SCOPE_EMPTY",
                    {"key": f"scope.by_folder.{folder}"},
                )
            )
        for kind, values in (("locations", scope.locations), ("custodians", scope.custodians)):
            problems += _pattern_problems(f"scope.by_folder.{folder}.{kind}", values)
        for column, values in scope.fields.items():
            problems += _pattern_problems(f"scope.by_folder.{folder}.fields.{column}", values)
    if mail.transport == "smtp" and mail.smtp.username and not mail.smtp.password_env:
        problems.append(
            Problem(
                "key 'mail.smtp.password_env': a username is set but no password_env; name "
                "the environment variable that holds the password (the password never goes "
                "in the file)",
                "PASSWORD_ENV_NEEDED",
            )
        )
    return problems


def _pattern_problems(key: str, values: list[str]) -> list[Problem]:
    problems = []
    for i, value in enumerate(values):
        where = f"{key}[{i}]"
        if value.startswith("re:"):
            try:
                re.compile(value[3:])
            except re.error as e:
                problems.append(
                    Problem(
                        f"key '{where}': {value!r} is not a regular expression ({e}); fix it, "
                        "or drop 're:' to compare the name as written",
                        "BAD_PATTERN",
                        {"key": where, "found": value, "detail": str(e)},
                    )
                )
        elif not value.strip(" *"):
            problems.append(
                Problem(
                    f"key '{where}': expected a name, a prefix* or re:pattern",
                    "EMPTY_PATTERN",
                    {"key": where},
                )
            )
    return problems


def config_path(explicit: str | Path | None = None) -> Path:
    """--config, else $RECONCILER_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def read_raw(source: Path) -> dict[str, Any]:
    """The file's YAML as a mapping; ConfigError when there is no such file or no mapping."""
    if not source.is_file():
        raise ConfigError(
            Problem(
                f"no config file at {source}; pass --config PATH, set {CONFIG_ENV}, "
                "or create one with 'reconciler demo DIR'",
                "NO_CONFIG_FILE",
                {"file": str(source), "env": CONFIG_ENV},
            )  # no source: the message names the file already
        )
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(yaml_problem(e), source=str(source)) from None
    if not isinstance(raw, dict):
        raise ConfigError(
            Problem("expected a mapping of keys at the top level", "NOT_A_MAPPING"),
            source=str(source),
        )
    return raw


def yaml_problem(error: yaml.YAMLError) -> Problem:
    """Unreadable YAML: where (line and column, 1-based as an editor shows them) and why."""
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    why = getattr(error, "problem", None) or str(error)
    return Problem(
        f"not valid YAML: {error}",
        "BAD_YAML" if line is not None else "BAD_YAML_NOWHERE",
        {"line": line, "column": column, "detail": why},
    )


def _without(raw: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    """Drop the value at `loc` so the setting falls back to its default; False if nothing was
    there to drop (a required key that is missing)."""
    node: Any = raw
    for part in loc[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def check_config(path: str | Path | None = None) -> tuple[Config | None, list[Problem]]:
    """Every problem of the file in one pass, and the config with the wrong values left out
    (their defaults instead) so the checks that follow still run: `reconciler check` then says
    the rules' and the environment's problems too, not only the first of three passes.

    ConfigError only when nothing can be checked: no file, or no YAML mapping in it.
    """
    source = config_path(path)
    raw = read_raw(source)
    problems: list[Problem] = []
    for _attempt in range(20):  # each pass drops the values in error; a few passes suffice
        try:
            config = Config.model_validate(raw)
        except ValidationError as e:
            found = _problems(e)
            problems += [p for p in found if p not in problems]
            if not any(_without(raw, tuple(err["loc"])) for err in e.errors()):
                return None, problems
            continue
        config = _resolve_paths(config, source.resolve().parent)
        config = config.model_copy(update={"source": source.resolve()})
        return config, problems + _semantic_problems(config)
    return None, problems


def load_config(path: str | Path | None = None) -> Config:
    """The config, or ConfigError naming every problem of the file at once."""
    config, problems = check_config(path)
    if problems or config is None:
        raise ConfigError(problems, source=str(config_path(path)))
    return config
