"""Building the messages: who gets what, the subject, the bodies and the attachments.

Every message is a stdlib `EmailMessage` (policy SMTP: CRLF, RFC 2047 headers, RFC 2231
attachment names so Cyrillic survives), multipart/alternative text + html, attachments with
their real MIME types. The bytes built here are stored as the .eml and are exactly the bytes
that go to the SMTP server: nothing downstream rewrites them (yagmail's own message builder
would turn newlines into <br> and run premailer; it is not used for building).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path, PurePosixPath
from typing import Any

from reconciler.config import Config
from reconciler.models import FindingCode
from reconciler.outputs.results import FindingPart, Results, SummaryPart
from reconciler.text import error_catalogue as error_text
from reconciler.text import mail as mail_text
from reconciler.text import scope as scope_text
from reconciler.text import templates

# The reviewers' body lists at most this many findings; the attached report has them all.
FINDINGS_IN_BODY = 200

MIME_TYPES = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".xlsm": ("application", "vnd.ms-excel.sheet.macroEnabled.12"),
    ".html": ("text", "html"),
    ".json": ("application", "json"),
}


@dataclass(frozen=True)
class RunFiles:
    """The files of a run folder that go out by mail; None when not (yet) written."""

    annotated: Path | None
    discrepancies: Path | None
    report_html: Path | None


@dataclass
class Composed:
    """One message before it becomes MIME: its kind, recipients, words and attachments."""

    kind: str
    recipients: list[str]
    subject: str
    text: str
    html: str
    attachments: list[Path] = field(default_factory=list)


def _mime_type(path: Path) -> tuple[str, str]:
    if path.suffix.lower() in MIME_TYPES:
        return MIME_TYPES[path.suffix.lower()]
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    if guessed and "/" in guessed:
        maintype, subtype = guessed.split("/", 1)
        return maintype, subtype
    return "application", "octet-stream"


def find_run_files(run_dir: Path) -> RunFiles:
    def first(*patterns: str) -> Path | None:
        for pattern in patterns:
            # Our own temp files start with a dot (atomic.write_atomically): never attach them.
            found = sorted(p for p in run_dir.glob(pattern) if not p.name.startswith("."))
            if found:
                return found[0]
        return None

    return RunFiles(
        annotated=first("*.reconciled.xlsx", "*.reconciled.xlsm"),
        discrepancies=first("*.discrepancies.xlsx"),
        report_html=first("report.html"),
    )


# --- recipients --------------------------------------------------------------------------


def folder_recipients(config: Config, folder: str) -> list[str]:
    """recipients.by_folder for the inbox subfolder, else its nearest listed parent, else default.

    'moscow/it' falls back to 'moscow' before 'default', so a branch can list its accountants
    once for all its department subfolders.
    """
    by_folder = {_folder_key(k): v for k, v in config.mail.recipients.by_folder.items()}
    path = PurePosixPath(_folder_key(folder))
    for candidate in [path, *path.parents]:
        key = str(candidate)
        if key not in ("", ".") and key in by_folder:
            return list(by_folder[key])
    return list(config.mail.recipients.default)


def _folder_key(folder: str) -> str:
    return folder.replace("\\", "/").strip("/")


# --- rendering ---------------------------------------------------------------------------


def render_html(name: str, context: dict[str, Any]) -> str:
    """The HTML body on one line: no newline between tags, none inside text either.

    Mail tools that "help" (yagmail turns each newline into <br>) then have nothing to change,
    and the HTML that arrives equals the HTML rendered here.
    """
    return templates.render_html(f"mail_{name}.html.j2", context)


def render_text(name: str, context: dict[str, Any]) -> str:
    return templates.render_text(f"mail_{name}.txt.j2", context)


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    return render_text(name, context), render_html(name, context)


# --- the messages ------------------------------------------------------------------------


def _summary_context(results: Results, config: Config) -> dict[str, Any]:
    language = config.report.language
    t = mail_text.strings(language)
    summary = results.summary
    by_code = summary.findings_by_code
    # results.json lists the guard's warning (if any) and the scope statement first: the
    # message says them first too, above the figures, and not again among the warnings.
    warnings = list(results.warnings)
    scope = results.scope
    head = (2 if scope.wrong_inventory else 1) if scope else 0
    return {
        "t": t,
        "language": language,
        "s": summary.model_dump(
            include={"rows", "matched", "review", "unmatched", "findings", "notes"}
        ),
        "value_at_stake": mail_text.money(summary.value_at_stake, config.report.currency, language),
        # Most frequent first, as report.html and the summary sheet order them.
        "by_code": [
            {"code": code, "label": t["codes"].get(code, code), "count": n}
            for code, n in sorted(by_code.items(), key=lambda item: (-item[1], item[0]))
        ],
        "scope_lines": warnings[:head],
        "warnings": warnings[head:],
        "subject_prefix": scope_text.subject_prefix(
            scope.model_dump() if scope else None, language
        ),
        "notes_by_kind": [
            {"label": t["note_kinds"].get(kind, t["codes"].get(kind, kind)), "count": n}
            for kind, n in sorted(
                summary.notes_by_kind.items(), key=lambda item: (-item[1], item[0])
            )
        ],
        "run_id": results.run_id,
        "file": results.source.file,
    }


def _department(t: dict[str, Any], folder: str) -> str:
    """', moscow/it': the department (inbox folder) in every subject, so a mailbox shared by
    several departments tells them apart in the list."""
    return t["dept"].format(folder=folder) if folder else ""


def _repeat(results: Results, t: dict[str, Any], subject: str) -> tuple[str, str | None]:
    """A repeat of content already reconciled says so, in the subject and the first line."""
    earlier = results.duplicate_of
    if earlier is None:
        return subject, None
    when = earlier.received_at[:16].replace("T", " ")
    line = t["repeat_line"].format(when=when, run_id=earlier.run_id)
    return f"{t['repeat']}: {subject}", line


SYSTEMS = {"snipeit": "Snipe-IT", "netbox": "NetBox", "glpi": "GLPI"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


def _first(prefix: str, subject: str) -> str:
    """The wrong-inventory alarm leads the subject: it is what an inbox list shows."""
    return f"{prefix} — {subject}" if prefix else subject


def compose_accounting(results: Results, files: RunFiles, config: Config, folder: str) -> Composed:
    ctx = _summary_context(results, config)
    language, s = ctx["language"], ctx["s"]
    attachments = [files.annotated] if files.annotated else []
    t = ctx["t"]
    subject = t["accounting_subject"].format(
        dept=_department(t, folder),
        file=ctx["file"],
        rows=mail_text.counted(s["rows"], "rows", language),
        findings=mail_text.counted(s["findings"], "findings", language),
    )
    subject, repeat = _repeat(results, t, _first(ctx["subject_prefix"], subject))
    folder_part = t["same_folder"].format(folder=folder) if folder else ""
    steps = []
    if s["findings"]:
        steps.append(t["step_findings"].format(n=s["findings"]))
    if s["review"]:
        steps.append(t["step_review"].format(n=s["review"]))
    if steps:
        steps.append(t["step_return"].format(folder_part=folder_part))
    ctx |= {
        "subject": subject,
        "folder": folder,
        "attachments": [p.name for p in attachments],
        "repeat": repeat,
        "steps": steps,
    }
    text, html = render("accounting", ctx)
    return Composed(
        "accounting", folder_recipients(config, folder), subject, text, html, attachments
    )


def _said(value: str, message: str) -> bool:
    """The message already says the value (each of its words): not repeated beside it."""
    said = message.casefold()
    return all(word in said for word in value.casefold().split())


def _worst_first(findings: list[FindingPart]) -> list[FindingPart]:
    """Discrepancies before notes, the most severe first, the largest amount first."""
    return sorted(
        findings,
        key=lambda f: (
            f.kind == "note",
            SEVERITY_ORDER.get(str(f.severity), 9),
            -(f.amount or 0),
        ),
    )


def _finding_rows(findings: list[FindingPart], t: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in findings:
        # Where the equipment is and whose it is: what IT acts on. The sheet and row only when
        # the books state neither.
        place = " / ".join(v for v in (f.location, f.custodian) if v)
        if place:
            where = place
        elif f.row is not None:
            where = t["row_ref"].format(sheet=f.sheet or "", row=f.row)
        elif f.asset_id:
            where = t["asset_ref"].format(asset_id=f.asset_id)
        else:
            where = ""
        message = f.message
        book = f.book_value or ""
        it = f.it_value or ""
        code = str(f.code)
        kind = t["codes"].get(code, code)
        # Beside the kind column the message need not open with the kind again.
        head, sep, rest = message.partition(": ")
        detail = (
            rest[:1].upper() + rest[1:] if sep and head.casefold() == kind.casefold() else message
        )
        rows.append(
            {
                "code": code,
                "kind": kind,
                "detail": detail,
                "severity": t["severities"].get(f.severity, str(f.severity)),
                "where": where,
                "inventory_number": f.inventory_number or "",
                "asset_id": f.asset_id or "",
                "serial": f.serial or "",
                "message": message,
                "book_value": book,
                "it_value": it,
                # Most messages already quote both values: the body says each side only when
                # the message does not ("в учете 10 шт." then "(В учете: 10; ...)" was twice).
                "book_new": bool(book) and not _said(book, message),
                "it_new": bool(it) and not _said(it, message),
            }
        )
    return rows


def _checks(
    summary: SummaryPart, by_code: dict[FindingCode, int], t: dict[str, Any], system: str
) -> list[str]:
    """What the reviewers check, and in which system, for the kinds this run found."""
    lines = []
    n = by_code.get(FindingCode.MISSING_IN_INVENTORY, 0)
    if n:
        lines.append(t["check_missing_in_inventory"].format(n=n, system=system))
    n = sum(
        by_code.get(c, 0)
        for c in (
            FindingCode.LOCATION_MISMATCH,
            FindingCode.CUSTODIAN_MISMATCH,
            FindingCode.SERIAL_MISMATCH,
        )
    )
    if n:
        lines.append(t["check_place_person"].format(n=n, system=system))
    n = by_code.get(FindingCode.MISSING_IN_BOOKS, 0)
    if n:
        lines.append(t["check_missing_in_books"].format(n=n, system=system))
    if summary.review:
        lines.append(t["check_review"].format(n=summary.review))
    return lines


def compose_reviewers(results: Results, files: RunFiles, config: Config, folder: str) -> Composed:
    ctx = _summary_context(results, config)
    language, s, t = ctx["language"], ctx["s"], ctx["t"]
    attachments = [p for p in (files.discrepancies, files.report_html) if p is not None]
    findings = _worst_first(results.findings)
    subject = t["reviewers_subject" if s["review"] else "reviewers_subject_no_review"].format(
        dept=_department(t, folder),
        file=ctx["file"],
        findings=mail_text.counted(s["findings"], "findings", language),
        review=s["review"],
    )
    subject, repeat = _repeat(results, t, _first(ctx["subject_prefix"], subject))
    system = SYSTEMS.get(str(config.inventory.source), t["system_file"])
    checks = _checks(results.summary, results.summary.findings_by_code, t, system)
    if checks:
        # A run from the command line has no folder: "the folder «—»" told nobody where.
        checks.append(
            t["check_return"].format(folder=folder) if folder else t["check_return_inbox"]
        )
    ctx |= {
        "subject": subject,
        "folder": folder,
        "repeat": repeat,
        "checks": checks,
        "attachments": [p.name for p in attachments],
        "findings": _finding_rows(findings[:FINDINGS_IN_BODY], t),
        "more": max(0, len(findings) - FINDINGS_IN_BODY),
    }
    text, html = render("reviewers", ctx)
    return Composed("reviewers", list(config.mail.reviewers), subject, text, html, attachments)


def compose_quarantine(
    config: Config, *, file_name: str, folder: str, reason: str | None, quarantine_id: str
) -> Composed:
    """`reason` is what the ledger keeps: an error_text.ErrorRecord as JSON (or plain text)."""
    language = config.report.language
    t = mail_text.strings(language)
    subject = t["quarantine_subject"].format(file=file_name, dept=_department(t, folder))
    record = error_text.ErrorRecord.from_json(reason) if reason else None
    coded = record is not None and record.code in error_text.CATALOGUE
    said = error_text.explain_record(record, language) if record is not None and coded else None
    ctx = {
        "t": t,
        "language": language,
        "subject": subject,
        "file": file_name,
        "folder": folder,
        # A coded error in the sender's language with its own fix; else the English line.
        "reason": said.reason if said else (record.message if record else t["unknown_reason"]),
        "fix": said.fix if said else t["quarantine_fix"],
        "technical": record.message if said and record else None,
        "quarantine_id": quarantine_id,
    }
    text, html = render("quarantine", ctx)
    return Composed("quarantine", folder_recipients(config, folder), subject, text, html)


def compose_operator(
    config: Config, *, kind: str, summary: str, detail: str, file_name: str, folder: str
) -> Composed:
    """Our own fault (kind environment or bug), told to mail.operators, never to the sender."""
    language = config.report.language
    t = mail_text.strings(language)
    summary = " ".join(summary.split())[:200]  # one line in the subject, whatever the error
    subject = t[f"operator_subject_{kind}"].format(summary=summary)
    ctx = {
        "t": t,
        "language": language,
        "subject": subject,
        "intro": t[f"operator_intro_{kind}"].format(
            file=file_name,
            folder_part=t["folder_part"].format(folder=folder) if folder else "",
        ),
        "summary": summary,
        "detail": detail,
    }
    text, html = render("operator", ctx)
    return Composed("operator", list(config.mail.operators), subject, text, html)


def compose_test(config: Config, recipients: list[str], via: str) -> Composed:
    language = config.report.language
    t = mail_text.strings(language)
    ctx = {"t": t, "language": language, "subject": t["test_subject"], "via": via}
    text, html = render("test", ctx)
    return Composed("test", recipients, t["test_subject"], text, html)


# --- MIME --------------------------------------------------------------------------------


def sender_domain(config: Config) -> str:
    address = parseaddr(config.mail.from_)[1]
    return address.rsplit("@", 1)[1].lower() if "@" in address else "reconciler"


def message_id_for(config: Config, key: str) -> str:
    """A Message-ID that is a function of the run (or quarantine id) and the sender domain.

    The same run and kind always give the same id: the ledger's UNIQUE constraint then refuses
    a second queue entry, and receiving servers that drop duplicate Message-IDs collapse the
    one resend a crash can cause (see deliver.py).
    """
    domain = sender_domain(config)
    digest = hashlib.sha256(f"{key}|{domain}".encode()).hexdigest()[:16]
    safe = re.sub(r"[^A-Za-z0-9.\-]", "-", key)[:80]
    return f"<{safe}.{digest}@{domain}>"


def _address_header(addresses: list[str]) -> str:
    """Addresses, each display name as ONE encoded word, one address per folded line."""
    pairs = [parseaddr(a) for a in addresses]
    return ",\n ".join(formataddr((name, addr), charset="utf-8") for name, addr in pairs)


# CPython 3.11's header folder loses the space at a fold between two encoded words
# ("ведомость.xlsx— 57 строк"); its parser splits long encoded display names mid-word.
# So headers that may hold Cyrillic are encoded here (email.header, proven round trip) and
# stored raw; refold_source="none" keeps the generator from folding them again.
MAIL_POLICY = policy.SMTP.clone(refold_source="none")

# A file name may hold CR, LF or other control characters (Linux allows all but '/' and NUL):
# in a header they would fail the message for good on every retry, or forge a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_safe(text: str) -> str:
    """`text` for a header value: each run of control characters becomes one space."""
    return _CONTROL.sub(" ", text).strip()


def build_message(
    config: Config, composed: Composed, *, message_id: str, now: datetime, run_id: str | None
) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg.set_raw("From", _address_header([config.mail.from_]))
    msg.set_raw("To", _address_header(composed.recipients))
    if config.mail.reply_to:
        msg.set_raw("Reply-To", _address_header([config.mail.reply_to]))
    subject = header_safe(composed.subject)
    msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    # RFC 3834: autoresponders (out-of-office) must not answer machine-sent mail.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Reconciler-Kind"] = composed.kind
    if run_id:
        msg["X-Reconciler-Run"] = run_id
    # base64 keeps the message 7-bit clean for servers without 8BITMIME and survives any
    # line-length limit; the HTML is one long line by design (render_html).
    msg.set_content(composed.text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(composed.html, subtype="html", charset="utf-8", cte="base64")
    for path in composed.attachments:
        maintype, subtype = _mime_type(path)
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=header_safe(path.name)
        )
        *_, part = msg.iter_attachments()
        _name_fallback(part, maintype, subtype, path.name)
    return msg


def _name_fallback(part: Any, maintype: str, subtype: str, name: str) -> None:
    """Content-Type's `name=` beside Content-Disposition's RFC 2231 filename.

    Older clients (and some webmail) read only `name=` and show an RFC 2231-only Cyrillic name
    as "noname" or "ATT00001.xlsx". The name as one RFC 2047 word in quotes is what they read;
    RFC 2231-aware clients take the disposition's filename first.
    """
    encoded = Header(name, "utf-8", maxlinelen=10_000).encode() if not name.isascii() else name
    del part["Content-Type"]
    part.set_raw("Content-Type", f'{maintype}/{subtype}; name="{encoded}"')
