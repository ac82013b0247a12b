"""`reconciler audit` and the scheduled audit pack: figures from the ledger, written and sent.

The pack is `audit-<from>-<to>.xlsx` and `.html` in <outbox>/audit/ (or --out), each written to
a temporary name and renamed. `run_scheduled` is what the service loop calls every tick: when
`audit.schedule` has fired since the last pack, it writes and sends one, and records the fire
time in the ledger table `audit_sends`, so a restart neither repeats nor forgets a pack. After
downtime only the latest missed fire time is caught up: one pack, not one per miss.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reconciler.atomic import write_atomically
from reconciler.audit.figures import AuditFigures, Period, compute_audit
from reconciler.audit.render import render_html, render_xlsx
from reconciler.config import Config
from reconciler.cron import due_runs, previous_fire
from reconciler.errors import ConfigError, InputError, Problem
from reconciler.ledger import audits as ledger_audits
from reconciler.ledger.db import Ledger, utcnow
from reconciler.ledger.schema import open_ledger
from reconciler.text.audit import department_name, texts

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30  # --from defaults to this many days before --to


@dataclass
class AuditPack:
    figures: AuditFigures
    xlsx: Path
    html: Path

    @property
    def paths(self) -> list[Path]:
        return [self.xlsx, self.html]


def choose_period(start: date | None, end: date | None, today: date) -> Period:
    """--to defaults to today (UTC), --from to 30 days before --to."""
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise InputError(
            f"--from {start.isoformat()} is after --to {end.isoformat()}",
            hint="give a --from on or before --to",
            code="PERIOD_REVERSED",
            params={"start": start.isoformat(), "end": end.isoformat()},
        )
    return Period(start, end)


def pack_name(period: Period, suffix: str) -> str:
    return f"audit-{period.start.isoformat()}-{period.end.isoformat()}{suffix}"


def write_audit_pack(
    conn: Ledger,
    config: Config,
    period: Period,
    *,
    folder: str | None = None,
    out: Path | None = None,
    now: datetime | None = None,
) -> AuditPack:
    """Compute the figures and write the xlsx and html; an existing pack of the period is replaced."""
    now = now or datetime.now(UTC)
    figures = compute_audit(conn, period, folder)
    out = out or config.outbox / "audit"
    out.mkdir(parents=True, exist_ok=True)
    language = config.report.language
    xlsx, page = out / pack_name(period, ".xlsx"), out / pack_name(period, ".html")
    write_atomically(xlsx, render_xlsx(figures, language, now))
    write_atomically(page, render_html(figures, language, now).encode("utf-8"))
    log.info(
        "audit pack %s..%s: %d open, %d resolved -> %s",
        period.start,
        period.end,
        len(figures.overall.still_open),
        len(figures.overall.resolved),
        xlsx,
    )
    return AuditPack(figures, xlsx, page)


# --- email --------------------------------------------------------------------------------


def _body(pack: AuditPack, language: str) -> tuple[str, str, str]:
    t = texts(language)
    f = pack.figures
    subject = f"{t['title']}: {f.period.start.isoformat()} — {f.period.end.isoformat()}" + (
        "" if f.folder is None else f" ({department_name(f.folder, t)})"
    )
    o = f.overall
    lines = [
        subject,
        f"{t['runs']}: {o.runs}; {t['rows']}: {o.rows}; {t['match_rate']}: {o.match_rate}",
        f"{t['opened']}: {len(o.opened)}; {t['resolved']}: {len(o.resolved)}; "
        f"{t['still_open']}: {len(o.still_open)} ({t['value']}: {o.open_value})",
        f"{t['accepted']}: {len(o.accepted)}",
    ]
    text = "\n".join(lines) + "\n"
    # One line, no newlines between tags: mail clients and yagmail mangle them (PITFALLS).
    page = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return subject, text, f"<!DOCTYPE html><html><body>{page}</body></html>"


def require_auditors(config: Config) -> None:
    if not config.mail.auditors:
        raise ConfigError(
            Problem(
                "key 'mail.auditors': no addresses to send the audit pack to; add them, "
                "or leave out --email",
                "NO_AUDITORS",
            ),
            source=str(config.source),
        )


def email_audit_pack(
    conn: Ledger, config: Config, pack: AuditPack, *, key: str, now: datetime
) -> None:
    """Queue the pack for mail.auditors and try to send it now (the queue retries later)."""
    require_auditors(config)
    from reconciler.mail import compose as mail_compose
    from reconciler.mail import queue as deliver
    from reconciler.mail import send as mail_send

    subject, text, page = _body(pack, config.report.language)
    composed = mail_compose.Composed(
        "audit", list(config.mail.auditors), subject, text, page, attachments=pack.paths
    )
    # The same key (period, or schedule fire time) gives the same Message-ID: the ledger's
    # UNIQUE constraint keeps a retry or a second instance from queueing it twice.
    message_id = mail_compose.message_id_for(config, key)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in key)[:100]
    deliver.queue_message(
        conn,
        config,
        composed,
        message_id=message_id,
        eml_path=deliver.kept_eml(config, f"{safe}.eml"),
        now=now,
    )
    mail_send.send_due(conn, config, now)


# --- the schedule -------------------------------------------------------------------------


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def last_fired(conn: Ledger) -> datetime | None:
    fired = ledger_audits.last_fired(conn)
    return None if fired is None else datetime.fromisoformat(fired)


def scheduled_period(expr: str, fired: datetime) -> Period:
    """From the previous fire time's day to the day before this one: "0 8 1 * *" firing on
    1 December covers 1-30 November. A schedule firing more than daily covers its own day."""
    previous = previous_fire(expr, fired - timedelta(minutes=1))
    start = previous.date()
    return Period(start, max(start, fired.date() - timedelta(days=1)))


def run_scheduled(conn: Ledger, config: Config, now: datetime) -> Path | None:
    """Called by the service every tick. Writes (and, with mail.auditors, sends) the pack
    when `audit.schedule` has fired since the last one; returns the xlsx, or None.

    The first call ever only arms the schedule: a fresh install sends nothing for fire times
    from before it existed. After downtime, only the latest missed fire time is caught up.
    """
    expr = config.audit.schedule
    if not expr:
        return None
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    now = now.astimezone(UTC)
    last = last_fired(conn)
    if last is None:
        ledger_audits.arm(conn, _iso(now), expr)
        log.info("audit schedule %r armed at %s", expr, _iso(now))
        return None
    due = due_runs(expr, last, now)
    if due is None:
        return None
    period = scheduled_period(expr, due)
    pack = write_audit_pack(conn, config, period, now=now)
    if config.mail.auditors:
        email_audit_pack(conn, config, pack, key=f"audit-{_iso(due)}", now=now)
    else:
        log.warning("audit pack %s written but mail.auditors is empty: not sent", pack.xlsx)
    ledger_audits.record_send(conn, _iso(due), expr, utcnow(), str(pack.xlsx))
    return pack.xlsx


def audit_command(
    config: Config,
    *,
    start: date | None,
    end: date | None,
    folder: str | None,
    out: Path | None,
    email: bool,
    now: datetime | None = None,
) -> list[Path]:
    """`reconciler audit`: write the pack for the period, optionally email it; the paths."""
    now = now or datetime.now(UTC)
    period = choose_period(start, end, now.date())
    if email:  # before the pack is written: a missing address is known up front
        require_auditors(config)
    conn = open_ledger(config)
    try:
        pack = write_audit_pack(conn, config, period, folder=folder, out=out, now=now)
        if email:
            key = f"audit-{period.start}-{period.end}-{folder or ''}-{_iso(now)}"
            email_audit_pack(conn, config, pack, key=key, now=now)
    finally:
        conn.close()
    return pack.paths
