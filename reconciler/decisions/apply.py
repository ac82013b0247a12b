"""Applying a reviewer's reply: validate every decision, record the valid ones, answer by email.

Each decision is checked against the run the reply answers (the ledger's run_rows, the run's
results.json and findings): the register row must be a row of that run, an asset ID must be in
that run's IT inventory, an accepted finding must be one of that run's findings. Contradictions
are refused on both sides: one asset confirmed for two rows, one pair confirmed and rejected,
an asset another active decision already confirms for another row. Every problem is one line
naming the reply's sheet and row; the valid decisions are applied all the same.

A decision on a pair that already has one replaces it (the earlier is revoked, "replaced by
#N"); a new confirm for a row replaces the row's earlier confirms (several confirms in ONE reply
are a kit). The reply, what was applied and the problems are kept in decision_replies, so a
resume after a crash answers from the record instead of applying twice.
"""

from __future__ import annotations

import getpass
import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reconciler.config import Config
from reconciler.decisions.answer import TEXT, ReplyOutcome, queue_answer
from reconciler.decisions.read import ReplyLine, is_reply, read_reply
from reconciler.errors import InputError
from reconciler.ledger import decisions as ledger_decisions
from reconciler.ledger import findings as ledger_findings
from reconciler.ledger import runs as ledger_runs
from reconciler.ledger.db import Ledger, utcnow
from reconciler.ledger.decisions import active_decisions
from reconciler.ledger.schema import open_ledger
from reconciler.models import CONFIRMING, DecisionKind
from reconciler.outputs.results import read_results

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    """What a reply is checked against: the run it answers."""

    run_id: str
    folder: str
    keys: dict[tuple[str, int], str]  # (sheet, row) -> book key
    assets: dict[str, str]  # casefolded asset id -> asset id, the run's whole inventory
    findings: dict[tuple[str, str | None, int | None, str | None], str]  # -> identity


@dataclass
class Proposal:
    line: ReplyLine
    book_key: str | None
    asset_id: str | None
    identity: str | None = None


def load_context(conn: Ledger, run_id: str) -> RunContext:
    run = ledger_runs.get_run(conn, run_id)
    if run is None or run.outcome != "complete":
        raise InputError(
            f"run {run_id}: expected a complete run in the ledger, found none",
            code="RUN_NOT_IN_LEDGER",
            params={"run_id": run_id},
        )
    keys = ledger_decisions.row_keys(conn, run_id)
    if not keys:
        raise InputError(
            f"run {run_id} kept no row keys (it ran before decisions were recorded)",
            hint="drop the annotated workbook of a newer run",
            code="RUN_KEPT_NO_ROWS",
            params={"run_id": run_id},
        )
    ids = read_results(Path(run.run_dir or "")).asset_ids_shown()
    findings = {
        (f.code, f.sheet, f.row, f.asset_id): f.identity
        for f in ledger_findings.findings_of_runs(conn, [run_id])
    }
    return RunContext(run_id, run.folder, keys, {a.casefold(): a for a in ids}, findings)


# --- validation ---------------------------------------------------------------------------


def _where(line: ReplyLine, t: dict[str, str]) -> str:
    return t["where"].format(sheet=line.reply_sheet, row=line.reply_row)


def _target(line: ReplyLine) -> str:
    if line.sheet is None:
        return f"asset {line.asset_id}"
    return f"{line.sheet}!{line.row}"


def check_lines(
    lines: list[ReplyLine], ctx: RunContext, t: dict[str, str]
) -> tuple[list[Proposal], list[tuple[ReplyLine, str]]]:
    """Each line against the run; then contradictions among the survivors."""
    ok: list[Proposal] = []
    bad: list[tuple[ReplyLine, str]] = []
    for line in lines:
        key = None
        if line.sheet is not None:
            key = ctx.keys.get((line.sheet, line.row or 0))
            if key is None:
                text = t["not_a_row"].format(run_id=ctx.run_id, sheet=line.sheet, row=line.row)
                bad.append((line, text))
                continue
        if line.kind == DecisionKind.ACCEPT:
            asset = ctx.assets.get((line.asset_id or "").casefold(), line.asset_id)
            identity = ctx.findings.get((line.code or "", line.sheet, line.row, asset))
            if identity is None:
                text = t["no_finding"].format(
                    run_id=ctx.run_id, code=line.code, target=_target(line)
                )
                bad.append((line, text))
                continue
            ok.append(Proposal(line, key, asset, identity))
            continue
        asset = ctx.assets.get((line.asset_id or "").casefold())
        if asset is None:
            bad.append((line, t["unknown_asset"].format(asset=line.asset_id, run_id=ctx.run_id)))
            continue
        ok.append(Proposal(line, key, asset))
    return _without_contradictions(ok, bad, t)


def _without_contradictions(
    ok: list[Proposal], bad: list[tuple[ReplyLine, str]], t: dict[str, str]
) -> tuple[list[Proposal], list[tuple[ReplyLine, str]]]:
    """One asset confirmed for two rows, or one pair confirmed and rejected: all refused."""
    rows_of_asset: dict[str, set[str]] = defaultdict(set)
    kinds_of_pair: dict[tuple[str | None, str | None], set[bool]] = defaultdict(set)
    for p in ok:
        if p.line.kind in CONFIRMING and p.asset_id:
            rows_of_asset[p.asset_id].add(p.book_key or "")
        if p.line.kind != DecisionKind.ACCEPT:
            kinds_of_pair[(p.book_key, p.asset_id)].add(p.line.kind in CONFIRMING)
    kept = []
    for p in ok:
        line = p.line
        if line.kind in CONFIRMING and len(rows_of_asset[p.asset_id or ""]) > 1:
            others = [
                _target(o.line)
                for o in ok
                if o.asset_id == p.asset_id
                and o.book_key != p.book_key
                and o.line.kind in CONFIRMING
            ]
            text = t["two_rows"].format(
                asset=p.asset_id, target=_target(line), others=", ".join(others)
            )
            bad.append((line, text))
        elif line.kind != DecisionKind.ACCEPT and len(kinds_of_pair[(p.book_key, p.asset_id)]) > 1:
            bad.append((line, t["both_kinds"].format(target=_target(line), asset=p.asset_id)))
        else:
            kept.append(p)
    return kept, bad


# --- recording ----------------------------------------------------------------------------


def _record(
    conn: Ledger,
    proposals: list[Proposal],
    bad: list[tuple[ReplyLine, str]],
    *,
    ctx: RunContext,
    decided_by: str,
    file_name: str,
    reply_id: int,
    t: dict[str, str],
) -> list[dict[str, Any]]:
    """Insert the decisions (inside the caller's transaction); what the email lists as applied."""
    now = utcnow()
    active = active_decisions(conn, ctx.folder)
    confirms_in_reply: dict[str, set[str]] = defaultdict(set)
    for p in proposals:
        if p.line.kind in CONFIRMING:
            confirms_in_reply[p.book_key or ""].add(p.asset_id or "")
    applied: list[dict[str, Any]] = []
    done: dict[tuple[str, str | None, str | None], int] = {}
    for p in proposals:
        line = p.line
        confirming = line.kind in CONFIRMING
        same_pair = [
            d
            for d in active
            if (
                line.kind == DecisionKind.ACCEPT
                and d.kind == DecisionKind.ACCEPT
                and d.finding_identity == p.identity
            )
            or (
                line.kind != DecisionKind.ACCEPT
                and d.kind != DecisionKind.ACCEPT
                and (d.book_key, d.asset_id) == (p.book_key, p.asset_id)
            )
        ]
        group = (
            "accept" if line.kind == DecisionKind.ACCEPT else "confirm" if confirming else "reject"
        )
        dedupe = (group, p.book_key if line.kind != DecisionKind.ACCEPT else p.identity, p.asset_id)
        text = t[line.kind].format(target=_target(line), asset=p.asset_id, code=line.code)
        if line.kind == DecisionKind.ACCEPT and (shared := _sharing(p, line, ctx, t)):
            text += "; " + shared
        if line.comment:
            text += f" — «{line.comment}»"
        if dedupe in done or any((d.kind in CONFIRMING) == confirming for d in same_pair):
            same = done.get(dedupe) or next(
                d.id for d in same_pair if (d.kind in CONFIRMING) == confirming
            )
            applied.append(
                {
                    "where": _where(line, t),
                    "text": f"{text}; {t['unchanged'].format(id=same)}",
                    "decision_id": same,
                }
            )
            continue
        if confirming:
            taken = [
                d
                for d in active
                if d.kind in CONFIRMING and d.asset_id == p.asset_id and d.book_key != p.book_key
            ]
            if taken:
                d = taken[0]
                other = f"{d.sheet}!{d.row}"
                bad.append((line, t["taken"].format(asset=p.asset_id, other=other, id=d.id)))
                continue
            # A new confirm replaces the row's earlier ones (a kit is confirmed in one reply).
            same_pair += [
                d
                for d in active
                if d.kind in CONFIRMING
                and d.book_key == p.book_key
                and d.asset_id not in confirms_in_reply[p.book_key or ""]
            ]
        new_id = ledger_decisions.add_decision(
            conn,
            run_id=ctx.run_id,
            folder=ctx.folder,
            sheet=line.sheet,
            row=line.row,
            book_key=p.book_key,
            asset_id=p.asset_id,
            kind=line.kind,
            finding_identity=p.identity,
            comment=line.comment,
            decided_by=decided_by,
            decided_at=now,
            source_file=f"{file_name} [{line.reply_sheet}!{line.reply_row}]",
            reply_id=reply_id,
        )
        done[dedupe] = new_id
        replaced = sorted({d.id for d in same_pair})
        for old in replaced:
            ledger_decisions.revoke_decision(conn, old, f"replaced by #{new_id}", now)
        active = [d for d in active if d.id not in replaced]
        if replaced:
            text += "; " + t["replaces"].format(ids=", #".join(map(str, replaced)))
        applied.append(
            {
                "where": _where(line, t),
                "text": f"{text} ({t['decision'].format(id=new_id)})",
                "decision_id": new_id,
            }
        )
    return applied


def _sharing(p: Proposal, line: ReplyLine, ctx: RunContext, t: dict[str, str]) -> str | None:
    """The other rows one accept covers: the lines of a DUPLICATE_ON_BOOKS pair are one finding
    (one identity), so the reviewer learns that accepting one line accepted the others."""
    others = sorted(
        {
            (sheet, row)
            for (_code, sheet, row, _asset), identity in ctx.findings.items()
            if identity == p.identity and sheet is not None and row is not None
        }
        - {(line.sheet, line.row)}
    )
    if not others:
        return None
    where = ", ".join(t["where"].format(sheet=sheet, row=row) for sheet, row in others)
    return t["covers"].format(others=where)


def apply_reply(
    conn: Ledger,
    config: Config,
    path: Path,
    *,
    file_name: str,
    dropped_in: str | None,
    file_id: int | None = None,
    decided_by: str | None = None,
    notify: bool = True,
) -> ReplyOutcome:
    """Validate and record the reply's decisions; queue the answer to the folder's recipients.

    `dropped_in` is the inbox subfolder the reply came from (None: `reconciler run`, an operator
    at the command line). A reply dropped into another folder than its run's applies nothing:
    the folder is who decides. Idempotent per `file_id`: a resume answers from the record.
    """
    run_id = is_reply(path, conn)
    if run_id is None:
        raise InputError(
            "is not the annotated workbook of a complete run", file=file_name, code="NOT_A_REPLY"
        )
    t = TEXT[config.report.language]
    if file_id is not None:
        existing = ledger_decisions.reply_of_file(conn, file_id)
        if existing is not None:
            outcome = ReplyOutcome(reply_id=existing.id, **json.loads(existing.outcome))
            if notify:
                queue_answer(conn, config, outcome, dropped_in)
            return outcome
    ctx = load_context(conn, run_id)
    if decided_by is None:
        decided_by = f"cli:{getpass.getuser()}" if dropped_in is None else dropped_in or "(inbox)"
    by = decided_by
    bad: list[tuple[ReplyLine, str]] = []
    # (reply sheet, reply row, text): listed in the reply's order
    found: list[tuple[str, int, str]] = []
    problems: list[dict[str, Any]] = []
    proposals: list[Proposal] = []
    cap = config.limits.max_reply_lines
    if dropped_in is not None and dropped_in != ctx.folder:  # not read at all: not theirs
        text = t["wrong_folder"].format(run_id=run_id, folder=ctx.folder, dropped=dropped_in)
        problems.append({"where": file_name, "text": text})
    else:
        lines, unreadable = read_reply(path, file_name, max_lines=cap)
        if len(lines) + len(unreadable) > cap:
            problems.append({"where": file_name, "text": t["too_long"].format(limit=cap)})
        else:
            found += [
                (p.reply_sheet, p.reply_row, t[p.problem].format(found=p.found)) for p in unreadable
            ]
            proposals, bad = check_lines(lines, ctx, t)
    with conn.transaction():
        reply_id = ledger_decisions.add_reply(
            conn,
            file_id=file_id,
            run_id=run_id,
            folder=ctx.folder,
            file_name=file_name,
            decided_by=by,
        )
        applied = _record(
            conn,
            proposals,
            bad,
            ctx=ctx,
            decided_by=by,
            file_name=file_name,
            reply_id=reply_id,
            t=t,
        )
        found += [(line.reply_sheet, line.reply_row, text) for line, text in bad]
        problems += [
            {"where": t["where"].format(sheet=sheet, row=row), "text": text}
            for sheet, row, text in sorted(found, key=lambda f: (f[0], f[1]))
        ]
        outcome = ReplyOutcome(reply_id, run_id, ctx.folder, file_name, by, applied, problems)
        stored = {k: v for k, v in asdict(outcome).items() if k != "reply_id"}
        ledger_decisions.set_reply_outcome(conn, reply_id, json.dumps(stored, ensure_ascii=False))
    log.info(
        "%s: reply to run %s, %d decision(s) applied, %d problem(s)",
        file_name,
        run_id,
        len(applied),
        len(problems),
    )
    if notify:
        queue_answer(conn, config, outcome, dropped_in)
    return outcome


def apply_reply_file(path: Path, config: Config, *, send_mail: bool = True) -> ReplyOutcome | None:
    """`reconciler run REPLY.xlsx`: apply it when it is a reply (None when it is not)."""
    from reconciler.mail import send as mail_send

    conn = open_ledger(config)
    try:
        if is_reply(path, conn) is None:
            return None
        outcome = apply_reply(
            conn, config, path, file_name=path.name, dropped_in=None, notify=send_mail
        )
        if send_mail:
            mail_send.send_due(conn, config)
    finally:
        conn.close()
    return outcome
