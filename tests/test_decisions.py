"""Reviewers' decisions coming back through Excel: the real pipeline on a synthetic register, the
annotated workbook edited with openpyxl as a reviewer would, dropped back through the service's
own file lifecycle, and the next run applying what was decided.

The scenario and the tests that record, apply, answer and revoke decisions run against both
ledgers, the embedded SQLite one and a PostgreSQL database (issue 17), as the ledger tests do.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from reconciler import pipeline, synth
from reconciler.cli import cli
from reconciler.config import load_config
from reconciler.ledger import db as ledger_db
from reconciler.ledger import schema as ledger_schema
from reconciler.ledger.db import Row
from reconciler.ledger.findings import book_key
from reconciler.mail.send import read_eml
from reconciler.match.decisions import DecisionSet
from reconciler.match.engine import match_rows
from reconciler.models import Decision, DecisionKind
from reconciler.rules import Rules, default_rules_dir
from reconciler.service import intake
from reconciler.service.lifecycle import FileLifecycle
from reconciler.text.labels import code_label
from reconciler.text.report import labels

FOLDER = "moscow"
REGISTER = "ведомость-ОС.xlsx"
FUZZY_ROWS = 8


# --- the workspace -------------------------------------------------------------------------


def build_workspace(root: Path, ledger_url: str = "") -> Path:
    """`ledger_url`: the workspace's ledger.url ('' is SQLite in state/). Plants a 1C register of 30 synthetic rows (seed 11) in inbox/moscow/ whose first 8
    single-asset rows have no serial on either side and no tag, barcode or kit id in IT: they
    can be matched only by similarity, and `auto: 100` makes each such pair a review row.
    Mail is written as .eml files; moscow's accountants are buh-msk@example.com."""
    ws = root / "ws"
    data = synth.generate(30, seed=11)
    by_id = data.inventory.by_id()
    stripped = 0
    for row in data.register_rows:
        ids = data.truth[(row.sheet, row.row)]
        if stripped < FUZZY_ROWS and len(ids) == 1 and row.quantity == 1:
            asset = by_id[ids[0]]
            asset.serial = asset.inventory_number = asset.barcode = asset.kit = None
            row.serial = None
            stripped += 1
    synth.write_inventory(data, ws / "inventory.xlsx")
    synth.write_register_1c(data, root / "sources" / REGISTER)
    shutil.copytree(default_rules_dir(), ws / "rules")
    matching = ws / "rules" / "matching.yaml"
    text = re.sub(r"^auto: \d+", "auto: 100", matching.read_text(encoding="utf-8"), flags=re.M)
    matching.write_text(text, encoding="utf-8")
    config = {
        "inventory": {"path": "inventory.xlsx"},
        "mail": {
            "transport": "file",
            "from": "reconciler@example.com",
            "recipients": {
                "default": ["accounting@example.com"],
                "by_folder": {FOLDER: ["buh-msk@example.com"]},
            },
            "reviewers": ["it-assets@example.com"],
        },
        "ledger": {"url": ledger_url},
    }
    (ws / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    for sub in ("inbox", "outbox", "archive", "quarantine", "state"):
        (ws / sub).mkdir(parents=True, exist_ok=True)
    return ws


def reconcile(ws: Path) -> dict[str, Any]:
    """A run of the register for moscow, as the service records it; its results.json."""
    config = load_config(ws / "config.yaml")
    source = ws.parent / "sources" / REGISTER
    result = pipeline.process_file(source, config, file_name=REGISTER, folder=FOLDER)
    doc: dict[str, Any] = json.loads((result.run_dir / "results.json").read_text("utf-8"))
    return doc


def drop_through_service(ws: Path, reply: Path, folder: str = FOLDER) -> int:
    """The service's own path for a ready file: claim into the work folder, then advance it."""
    config = load_config(ws / "config.yaml")
    target = ws / "inbox" / folder / reply.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(reply, target)
    st = target.stat()
    conn = ledger_schema.open_ledger(config)
    try:
        files = FileLifecycle(config, conn, stopping=threading.Event())
        dropped = intake.Dropped(target, folder, st.st_size, st.st_mtime_ns)
        assert files.claim(dropped, ledger_db.utcnow())
        return int(conn.value("SELECT id FROM files ORDER BY id DESC LIMIT 1"))
    finally:
        conn.close()


def open_ledger(ws: Path) -> ledger_db.Ledger:
    """The workspace's ledger, whichever backend its config names."""
    return ledger_schema.open_ledger(load_config(ws / "config.yaml"))


def query(ws: Path, sql: str, *args: Any) -> list[Row]:
    conn = open_ledger(ws)
    try:
        return conn.all(sql, args)
    finally:
        conn.close()


def by_row(doc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["row"]: r for r in doc["rows"]}


def review_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in doc["rows"] if r["status"] == "review"]


# --- the reviewer's reply ------------------------------------------------------------------


@dataclass
class Reply:
    path: Path
    run_id: str
    confirmed: tuple[int, str]  # book row, asset
    rejected: tuple[int, str]
    other_asset: tuple[int, str]
    unknown_row: int  # the reply's review-sheet row with an unknown asset ID
    missing_row: int  # ... naming a register row that does not exist
    contradicting: tuple[int, int]  # ... the same asset confirmed for two rows
    confirm_and_reject: tuple[int, int]  # ... one pair both confirmed and rejected
    accepted: dict[str, Any]  # the finding accepted


def write_reply(first: dict[str, Any], run_dir: Path, out: Path) -> Reply:
    """The annotated workbook as a reviewer returns it: on the review sheet a valid confirm, a
    reject, another asset ID, an unknown asset ID, a row that does not exist, one asset
    confirmed for two rows, a pair both confirmed and rejected; on the findings sheet one
    finding (on a row matched by serial) marked accepted."""
    annotated = next(run_dir.glob("*.reconciled.xlsx"))
    wb = openpyxl.load_workbook(annotated)
    review = wb["На проверку"]
    line_of = {review.cell(r, 2).value: r for r in range(2, review.max_row + 1)}
    rows = [r for r in review_rows(first) if len(r["candidates"]) >= 1]
    a, b, c, d, e, f, g = rows[:7]
    taken = {cand["asset_id"] for r in review_rows(first) for cand in r["candidates"]}
    free = next(x["asset_id"] for x in first["assets_not_on_books"] if x["asset_id"] not in taken)

    def decide(row: dict[str, Any], decision: str, ids: str | None = None, note: str = "") -> int:
        line = line_of[row["row"]]
        if ids is not None:
            review.cell(line, 3).value = ids
        review.cell(line, 4).value = decision
        review.cell(line, 5).value = note or None
        return line

    first_of = {r["row"]: r["candidates"][0]["asset_id"] for r in rows}
    decide(a, "confirm", note="сверено на месте")
    decide(b, "reject", ids=first_of[b["row"]], note="другой сервер")
    decide(c, free, note="это актив без инв. номера")
    unknown = decide(d, "A-999999")
    decide(e, "confirm", ids=first_of[e["row"]])
    decide(f, first_of[e["row"]])  # the same asset as e's: contradiction
    both = decide(g, "confirm", ids=first_of[g["row"]])
    extra = review.max_row + 1  # after the help line: a reviewer's own lines
    for col, value in enumerate(["TDSheet", g["row"], first_of[g["row"]], "reject"], start=1):
        review.cell(extra, col).value = value
    missing = extra + 1
    for col, value in enumerate(["TDSheet", 999, free, "confirm"], start=1):
        review.cell(missing, col).value = value
    findings = wb["Расхождения"]
    serial_rows = {r["row"] for r in first["rows"] if r["matched_on"] == "serial"}
    chosen = next(
        x
        for x in first["findings"]
        # A duplicate's identity is its inventory number, which its twin row shares: accepting
        # one accepts both, so the scenario takes a finding of one row only.
        if x["row"] in serial_rows and x["code"] not in ("NEEDS_REVIEW", "DUPLICATE_ON_BOOKS")
    )
    for r in range(2, findings.max_row + 1):
        cells = [findings.cell(r, c).value for c in range(1, 5)]
        # Column D names the kind in words on the accountant's copy (decisions.read maps back).
        kind = code_label(chosen["code"], "ru")
        if cells == [chosen["sheet"], chosen["row"], chosen["asset_id"], kind]:
            findings.cell(r, 5).value = "да"
            findings.cell(r, 6).value = "известно, списание в 2027"
            break
    else:
        raise AssertionError("the chosen finding is not on the findings sheet")
    wb.save(out)
    return Reply(
        path=out,
        run_id=first["run_id"],
        confirmed=(a["row"], first_of[a["row"]]),
        rejected=(b["row"], first_of[b["row"]]),
        other_asset=(c["row"], free),
        unknown_row=unknown,
        missing_row=missing,
        contradicting=(line_of[e["row"]], line_of[f["row"]]),
        confirm_and_reject=(both, extra),
        accepted=chosen,
    )


@dataclass
class Scenario:
    ws: Path
    first: dict[str, Any]
    reply: Reply
    file_id: int
    second: dict[str, Any]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scenario_ledger(request: pytest.FixtureRequest) -> Iterator[str]:
    """The scenario's ledger.url: '' (SQLite in state/), then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield ""
        return
    from postgres_server import fresh_database

    yield from fresh_database(request.getfixturevalue("postgres_admin"))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, scenario_ledger: str) -> Scenario:
    """Run 1, the reply dropped back through the service's file lifecycle, run 2."""
    root = tmp_path_factory.mktemp("decisions")
    ws = build_workspace(root, scenario_ledger)
    first = reconcile(ws)
    run_dir = ws / "outbox" / first["run_id"]
    reply = write_reply(first, run_dir, root / "ведомость-ОС.reconciled.xlsx")
    file_id = drop_through_service(ws, reply.path)
    second = reconcile(ws)
    return Scenario(ws, first, reply, file_id, second)


# --- the reply is recognised, validated, recorded, archived, answered -----------------------


def test_the_synthetic_register_gives_enough_review_rows_for_the_scenario(
    scenario: Scenario,
) -> None:
    assert len(review_rows(scenario.first)) >= 7


def test_a_reply_is_archived_and_not_reconciled_as_a_register(scenario: Scenario) -> None:
    ws = scenario.ws
    (f,) = query(ws, "SELECT * FROM files WHERE id = ?", scenario.file_id)
    assert (f["state"], f["run_id"]) == ("archived", None)
    assert f["notified_at"] is not None
    archived = ws / "archive" / FOLDER / scenario.reply.path.name
    assert archived.read_bytes() == scenario.reply.path.read_bytes()
    runs = query(ws, "SELECT id FROM runs ORDER BY started_at")
    assert [r["id"] for r in runs] == [scenario.first["run_id"], scenario.second["run_id"]]
    assert not list((ws / "inbox").rglob("*.xlsx"))


def test_valid_decisions_are_recorded_with_who_when_and_comment(scenario: Scenario) -> None:
    rows = query(scenario.ws, "SELECT * FROM decisions WHERE revoked_at IS NULL ORDER BY id")
    got = {(r["kind"], r["row"], r["asset_id"]) for r in rows}
    reply = scenario.reply
    accepted = reply.accepted
    assert got == {
        ("confirm", *reply.confirmed),
        ("reject", *reply.rejected),
        ("asset", *reply.other_asset),
        ("accept", accepted["row"], accepted["asset_id"]),
    }
    for r in rows:
        assert r["folder"] == FOLDER and r["decided_by"] == FOLDER
        assert r["run_id"] == reply.run_id and r["decided_at"]
        assert r["book_key"].startswith("inv:")  # the synthetic rows carry inventory numbers
    comments = {r["kind"]: r["comment"] for r in rows}
    assert comments["confirm"] == "сверено на месте"
    assert comments["accept"] == "известно, списание в 2027"
    assert {r["finding_identity"] for r in rows if r["kind"] == "accept"} == {
        query(
            scenario.ws,
            "SELECT identity FROM findings WHERE run_id = ? AND code = ? AND row = ?",
            reply.run_id,
            accepted["code"],
            accepted["row"],
        )[0]["identity"]
    }


def test_each_invalid_decision_gets_one_message_naming_the_reply_sheet_and_row(
    scenario: Scenario,
) -> None:
    (reply_row,) = query(scenario.ws, "SELECT * FROM decision_replies")
    problems = json.loads(reply_row["outcome"])["problems"]
    text = {p["where"]: p["text"] for p in problems}
    r = scenario.reply
    where = "«На проверку», строка {}".format
    assert "неизвестный ID актива «A-999999»" in text[where(r.unknown_row)]
    assert "нет строки данных 999 на листе «TDSheet»" in text[where(r.missing_row)]
    for line in r.contradicting:
        assert "подтверждён и для" in text[where(line)]
        assert "не применено ни одно" in text[where(line)]
    for line in r.confirm_and_reject:
        assert "и подтверждены, и отклонены" in text[where(line)]
    assert len(problems) == 6


def test_the_answer_goes_by_email_to_the_folders_accountants_and_the_reviewers(
    scenario: Scenario,
) -> None:
    (email,) = query(scenario.ws, "SELECT * FROM emails WHERE kind = 'decisions'")
    assert json.loads(email["recipients"]) == ["buh-msk@example.com", "it-assets@example.com"]
    msg = read_eml(Path(email["eml_path"]))
    assert Path(email["eml_path"]).parent == scenario.ws / "outbox" / "mail"
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "применено 4, не принято 6" in str(msg["Subject"])
    assert str(msg["Subject"]).startswith("Сверка ОС, moscow: ")  # the department
    assert scenario.reply.run_id in text
    assert "неизвестный ID актива «A-999999»" in text
    assert f"«На проверку», строка {scenario.reply.unknown_row}" in text
    assert f"актив {scenario.reply.confirmed[1]} — «сверено на месте»" in text


# --- the next run applies them ---------------------------------------------------------------


def test_a_confirmed_pair_matches_by_decision_with_who_and_when(scenario: Scenario) -> None:
    row, asset = scenario.reply.confirmed
    m = by_row(scenario.second)[row]
    assert (m["status"], m["asset_ids"], m["matched_on"], m["score"]) == (
        "matched",
        [asset],
        "decision",
        100.0,
    )
    assert any("by moscow on" in e and "сверено на месте" in e for e in m["explain"])


def test_another_asset_id_is_a_confirm_of_that_asset(scenario: Scenario) -> None:
    row, asset = scenario.reply.other_asset
    m = by_row(scenario.second)[row]
    assert (m["status"], m["asset_ids"], m["matched_on"]) == ("matched", [asset], "decision")


def test_a_rejected_pair_is_not_even_a_candidate_any_more(scenario: Scenario) -> None:
    row, asset = scenario.reply.rejected
    before = by_row(scenario.first)[row]
    assert asset in [c["asset_id"] for c in before["candidates"]]
    after = by_row(scenario.second)[row]
    assert asset not in after["asset_ids"]
    assert asset not in [c["asset_id"] for c in after.get("candidates", [])]


def test_refused_decisions_change_nothing(scenario: Scenario) -> None:
    first, second = by_row(scenario.first), by_row(scenario.second)
    contradicted = [
        r
        for r in review_rows(scenario.first)
        if r["row"]
        not in {
            scenario.reply.confirmed[0],
            scenario.reply.rejected[0],
            scenario.reply.other_asset[0],
        }
    ]
    assert contradicted, "the scenario refuses no decision: this test would check nothing"
    for r in contradicted:
        assert second[r["row"]]["matched_on"] != "decision"
        assert second[r["row"]]["status"] == first[r["row"]]["status"]


def test_an_accepted_finding_is_reported_accepted_in_results_and_ledger(
    scenario: Scenario,
) -> None:
    chosen = scenario.reply.accepted
    key = (chosen["code"], chosen["row"], chosen["asset_id"])
    found = [f for f in scenario.second["findings"] if (f["code"], f["row"], f["asset_id"]) == key]
    assert [f["accepted"] for f in found] == [True]
    assert sum(f["accepted"] for f in scenario.second["findings"]) == 1
    (row,) = query(
        scenario.ws,
        "SELECT accepted FROM findings WHERE run_id = ? AND code = ? AND row = ?",
        scenario.second["run_id"],
        chosen["code"],
        chosen["row"],
    )
    assert row["accepted"] == 1


def test_the_audit_pack_counts_the_accepted_finding_apart(scenario: Scenario) -> None:
    from datetime import UTC, datetime

    from reconciler.audit.figures import Period, compute_audit

    conn = open_ledger(scenario.ws)
    try:
        today = datetime.now(UTC).date()
        overall = compute_audit(conn, Period(today, today), FOLDER).overall
    finally:
        conn.close()
    chosen = scenario.reply.accepted
    assert [(e.code, e.last.row) for e in overall.accepted] == [(chosen["code"], chosen["row"])]
    assert all((e.code, e.last.row) != (chosen["code"], chosen["row"]) for e in overall.still_open)


def test_decisions_list_shows_every_decision_with_its_columns(scenario: Scenario) -> None:
    config = str(scenario.ws / "config.yaml")
    result = CliRunner().invoke(cli, ["decisions", "list", "--config", config])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "id",
        "folder",
        "row",
        "key",
        "asset",
        "kind",
        "who",
        "when",
        "comment",
        "revoked",
    ]
    assert len(lines) == 1 + 4
    assert any("сверено на месте" in line and "confirm" in line for line in lines)
    other = CliRunner().invoke(cli, ["decisions", "list", "--folder", "spb", "--config", config])
    assert other.output.splitlines()[1:] == []


# --- scope, the command line, revoking -------------------------------------------------------


def test_a_reply_dropped_into_another_folder_applies_nothing_and_says_why(
    tmp_path: Path,
) -> None:
    ws = build_workspace(tmp_path)
    first = reconcile(ws)
    row = review_rows(first)[0]
    reply = tmp_path / "ответ.xlsx"
    wb = openpyxl.load_workbook(next((ws / "outbox" / first["run_id"]).glob("*.reconciled.xlsx")))
    wb["На проверку"].cell(2, 4).value = "confirm"
    wb.save(reply)
    drop_through_service(ws, reply, folder="spb")
    assert query(ws, "SELECT * FROM decisions") == []
    (email,) = query(ws, "SELECT * FROM emails WHERE kind = 'decisions'")
    assert json.loads(email["recipients"]) == ["accounting@example.com", "it-assets@example.com"]
    text = read_eml(Path(email["eml_path"])).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "положен в папку «spb»" in text and "положите его в «moscow»" in text
    assert (ws / "archive" / "spb" / "ответ.xlsx").is_file()
    assert row["status"] == "review"


def test_run_on_a_reply_applies_it_and_revoke_withdraws_it(tmp_path: Path, ledger_url: str) -> None:
    ws = build_workspace(tmp_path, ledger_url)
    config = str(ws / "config.yaml")
    first = reconcile(ws)
    row = review_rows(first)[0]
    asset = row["candidates"][0]["asset_id"]
    reply = tmp_path / "reply.xlsx"
    wb = openpyxl.load_workbook(next((ws / "outbox" / first["run_id"]).glob("*.reconciled.xlsx")))
    review = wb["На проверку"]
    line = next(r for r in range(2, review.max_row + 1) if review.cell(r, 2).value == row["row"])
    review.cell(line, 3).value = asset
    review.cell(line, 4).value = "confirm"
    wb.save(reply)
    run_folders = lambda: len(list((ws / "outbox").glob("*/results.json")))  # noqa: E731
    runs_before = run_folders()

    applied = CliRunner().invoke(cli, ["run", str(reply), "--config", config])
    assert applied.exit_code == 0, applied.output
    assert f"ответ на сверку {first['run_id']}" in applied.output
    assert "применено 1, не принято 0" in applied.output
    assert run_folders() == runs_before  # not reconciled
    (decision,) = query(ws, "SELECT * FROM decisions")
    assert decision["decided_by"].startswith("cli:")
    assert by_row(reconcile(ws))[row["row"]]["matched_on"] == "decision"

    again = CliRunner().invoke(cli, ["run", str(reply), "--config", config, "--no-mail"])
    assert "уже записано (решение №{})".format(decision["id"]) in again.output
    assert len(query(ws, "SELECT * FROM decisions")) == 1

    revoked = CliRunner().invoke(
        cli, ["decisions", "revoke", str(decision["id"]), "--config", config]
    )
    assert revoked.exit_code == 0, revoked.output
    assert f"Решение №{decision['id']} (confirm " in revoked.output and "отменено" in revoked.output
    listed = CliRunner().invoke(cli, ["decisions", "list", "--config", config]).output
    assert re.search(r"\d{4}-\d\d-\d\dT[\d:]+Z\s*$", listed.splitlines()[1])  # revoked at
    assert by_row(reconcile(ws))[row["row"]]["matched_on"] != "decision"

    missing = CliRunner().invoke(cli, ["decisions", "revoke", "999", "--config", config])
    assert missing.exit_code == 2 and "Решения №999 нет в журнале" in missing.output


def confirm_first_review_row(ws: Path, first: dict[str, Any], out: Path, sheet: str) -> int:
    """The annotated workbook with `confirm` on the first review row; that register row."""
    row = review_rows(first)[0]
    wb = openpyxl.load_workbook(next((ws / "outbox" / first["run_id"]).glob("*.reconciled.xlsx")))
    review = wb[sheet]
    line = next(r for r in range(2, review.max_row + 1) if review.cell(r, 2).value == row["row"])
    review.cell(line, 4).value = "confirm"
    wb.save(out)
    return int(row["row"])


def test_a_reply_taken_again_after_a_crash_is_answered_from_the_record(
    tmp_path: Path, ledger_url: str
) -> None:
    from reconciler.decisions import apply as decisions_apply

    ws = build_workspace(tmp_path, ledger_url)
    first = reconcile(ws)
    reply = tmp_path / "reply.xlsx"
    confirm_first_review_row(ws, first, reply, "На проверку")
    config = load_config(ws / "config.yaml")
    conn = ledger_schema.open_ledger(config)
    try:
        once = decisions_apply.apply_reply(
            conn, config, reply, file_name=reply.name, dropped_in=FOLDER, file_id=41
        )
        twice = decisions_apply.apply_reply(
            conn, config, reply, file_name=reply.name, dropped_in=FOLDER, file_id=41
        )
    finally:
        conn.close()
    assert twice == once and len(once.applied) == 1
    assert len(query(ws, "SELECT * FROM decisions")) == 1
    assert len(query(ws, "SELECT * FROM emails WHERE kind = 'decisions'")) == 1


def test_an_english_workbook_is_read_by_its_english_headers(tmp_path: Path) -> None:
    ws = build_workspace(tmp_path)
    config = yaml.safe_load((ws / "config.yaml").read_text(encoding="utf-8"))
    config["report"] = {"language": "en"}
    (ws / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    first = reconcile(ws)
    reply = tmp_path / "reply.xlsx"
    row = confirm_first_review_row(ws, first, reply, "To review")
    result = CliRunner().invoke(cli, ["run", str(reply), "--config", str(ws / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert f"'To review', row 2: confirmed: row TDSheet!{row} is asset" in result.output
    (email,) = query(ws, "SELECT * FROM emails WHERE kind = 'decisions'")
    assert (
        email["subject"] == "Reconciler, moscow: decisions in reply.xlsx — 1 applied, 0 not applied"
    )


# --- matching with decisions, no ledger ------------------------------------------------------


def decision(kind: str, key: str, asset_id: str, n: int = 1) -> Decision:
    return Decision(
        id=n,
        run_id="r",
        folder=FOLDER,
        sheet=None,
        row=None,
        book_key=key,
        asset_id=asset_id,
        kind=DecisionKind(kind),
        finding_identity=None,
        comment=None,
        decided_by=FOLDER,
        decided_at="2026-11-24T10:00:00+00:00",
        source_file="reply.xlsx",
    )


def test_a_confirm_beats_an_exact_serial_and_a_reject_undoes_one(rules: Rules) -> None:
    data = synth.generate(30, seed=5)
    plain = match_rows(data.register_rows, data.inventory, rules)
    by_serial = [m for m in plain.rows if m.matched_on == "serial" and len(m.asset_ids) == 1]
    one, two, three = by_serial[:3]
    chosen = DecisionSet.of(
        [
            decision("confirm", book_key(one.row), three.asset_ids[0], 1),
            decision("reject", book_key(two.row), two.asset_ids[0], 2),
        ]
    )
    again = match_rows(data.register_rows, data.inventory, rules, decisions=chosen)
    result = {m.row.key: m for m in again.rows}
    m1, m2, m3 = result[one.row.key], result[two.row.key], result[three.row.key]
    assert (m1.asset_ids, m1.matched_on, m1.score) == (three.asset_ids, "decision", 100.0)
    assert m1.evidence[0].level == "decision" and "decision #1 by moscow" in m1.evidence[0].detail
    assert two.asset_ids[0] not in m2.asset_ids + [c.asset_id for c in m2.candidates]
    assert three.asset_ids[0] not in m3.asset_ids  # one asset, one row: the decision took it


def test_decisions_for_assets_gone_from_it_are_ignored(rules: Rules) -> None:
    data = synth.generate(20, seed=5)
    plain = match_rows(data.register_rows, data.inventory, rules)
    row = plain.rows[0].row
    chosen = DecisionSet.of([decision("confirm", book_key(row), "NO-SUCH-ASSET")])
    again = match_rows(data.register_rows, data.inventory, rules, decisions=chosen)
    assert [(m.asset_ids, m.matched_on) for m in again.rows] == [
        (m.asset_ids, m.matched_on) for m in plain.rows
    ]


def test_a_row_without_inventory_number_or_serial_is_keyed_by_its_position() -> None:
    from reconciler.models import BookRow

    assert book_key(BookRow("TDSheet", 12, inventory_number="вa-00 12")) == "inv:BA0012"
    assert book_key(BookRow("TDSheet", 12, serial="czj-123 abc")) == "sn:CZJ123ABC"
    assert book_key(BookRow("TDSheet", 12)) == "row:TDSheet!12"


# --- the real service ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_running_service_applies_a_dropped_reply_and_reconciles_the_next_register(
    tmp_path: Path,
) -> None:
    """`reconciler watch` for real: a reply with one confirm, then the register again."""
    from service_harness import ServiceProcess, drop, settled, wait_for

    ws = build_workspace(tmp_path)
    config = yaml.safe_load((ws / "config.yaml").read_text(encoding="utf-8"))
    config["watch"] = {"settle_seconds": 0.3, "interval_seconds": 1.0}
    (ws / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    first = reconcile(ws)
    row = review_rows(first)[0]
    asset = row["candidates"][0]["asset_id"]
    wb = openpyxl.load_workbook(next((ws / "outbox" / first["run_id"]).glob("*.reconciled.xlsx")))
    review = wb["На проверку"]
    line = next(r for r in range(2, review.max_row + 1) if review.cell(r, 2).value == row["row"])
    review.cell(line, 3).value = asset
    review.cell(line, 4).value = "confirm"
    wb.save(tmp_path / "ответ.xlsx")
    service = ServiceProcess(ws, RECONCILER_TEST_PROCESSOR="")
    try:
        drop(ws / "inbox" / FOLDER / "ответ.xlsx", (tmp_path / "ответ.xlsx").read_bytes())
        wait_for(settled(ws, 2), timeout=60, what="the reply archived and answered")
        source = (ws.parent / "sources" / REGISTER).read_bytes()
        drop(ws / "inbox" / FOLDER / REGISTER, source)
        wait_for(settled(ws, 3), timeout=60, what="the register reconciled again")
        assert service.stop() == 0, service.output()
    finally:
        if service.proc.poll() is None:
            service.proc.kill()
    (decided,) = query(ws, "SELECT * FROM decisions")
    assert (decided["row"], decided["asset_id"], decided["decided_by"]) == (
        row["row"],
        asset,
        FOLDER,
    )
    (answer,) = query(ws, "SELECT * FROM emails WHERE kind = 'decisions'")
    assert answer["state"] == "sent"  # mail.transport: file
    runs = query(ws, "SELECT run_dir FROM runs WHERE outcome = 'complete' ORDER BY started_at")
    assert len(runs) == 2  # the reply made no run
    latest = json.loads((Path(runs[-1]["run_dir"]) / "results.json").read_text("utf-8"))
    assert by_row(latest)[row["row"]]["matched_on"] == "decision"


def test_the_reply_marker_is_the_property_annotate_writes() -> None:
    from reconciler.decisions.read import RUN_ID_PROPERTY as READ
    from reconciler.outputs.side_sheets import RUN_ID_PROPERTY

    assert READ == RUN_ID_PROPERTY


@pytest.mark.parametrize(
    "custom_xml",
    [
        "<Properties><property name='reconciler_run_id'>unclosed",
        "<!DOCTYPE p [<!ENTITY id 'run-1'>]>"
        "<Properties><property name='reconciler_run_id'>&id;</property></Properties>",
    ],
    ids=["malformed", "entity"],
)
def test_a_workbook_whose_run_id_property_is_broken_or_hostile_is_not_a_reply(
    tmp_path: Path, custom_xml: str
) -> None:
    """A zip whose docProps/custom.xml is cut short or declares an entity: read as no run id."""
    import zipfile

    from reconciler.decisions.read import run_id_of

    path = tmp_path / "reply.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("docProps/custom.xml", custom_xml)
    assert run_id_of(path) is None


def test_an_accepted_finding_shows_as_accepted_with_who_when_and_why_in_every_output(
    scenario: Scenario,
) -> None:
    """The next run's annotated copy, IT workbook, report.html and results.json: a blue
    fill, the reviewer's comment, who accepted and when; and it is a note, not a discrepancy."""
    chosen = scenario.reply.accepted
    second = scenario.second
    run_dir = Path(second["run_dir"]) if "run_dir" in second else None
    run_dir = run_dir or scenario.ws / "outbox" / second["run_id"]
    (found,) = [f for f in second["findings"] if f["accepted"]]
    assert found["kind"] == "note" and found["accepted_comment"] == "известно, списание в 2027"
    assert found["accepted_by"] == FOLDER and found["accepted_at"]
    assert second["summary"]["notes_by_kind"].get("ACCEPTED") == 1
    assert second["summary"]["findings"] == sum(
        1 for f in second["findings"] if f["kind"] == "discrepancy"
    )
    for workbook in (
        next(run_dir.glob("*.reconciled.xlsx")),
        next(run_dir.glob("*.discrepancies.xlsx")),
    ):
        ws = openpyxl.load_workbook(workbook)["Расхождения"]
        head = [c.value for c in ws[1]]
        (line,) = [r for r in ws.iter_rows(min_row=2) if r[4].value == "да"]
        assert line[1].value == chosen["row"], workbook.name
        assert line[0].fill.fgColor.rgb.endswith("DDEBF7"), workbook.name
        assert line[5].value == "известно, списание в 2027"
        assert line[head.index("Кто принял")].value == FOLDER
        assert line[head.index("Когда принято")].value == found["accepted_at"][:10]
    register = openpyxl.load_workbook(next(run_dir.glob("*.reconciled.xlsx")))["TDSheet"]
    status = next(
        c.column for c in register[found_header_row(register)] if c.value == "Сверка: статус"
    )
    row_fills = {register.cell(chosen["row"], status).fill.fgColor.rgb[-6:]}
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "принял moscow" in page and "известно, списание в 2027" in page
    if all(f["accepted"] for f in second["findings"] if f["row"] == chosen["row"]):
        assert row_fills == {"DDEBF7"}


def found_header_row(ws: Any) -> int:
    return next(r for r in range(1, 30) if any(c.value == "Сверка: статус" for c in ws[r]))


def test_the_it_workbook_is_a_reply_reviewers_decide_where_they_read(scenario: Scenario) -> None:
    """The discrepancy workbook carries the run id and the Accepted / Decision columns; read
    back, its decisions are the same kinds of line as the annotated copy's."""
    from reconciler.decisions.read import read_reply, run_id_of

    run_dir = scenario.ws / "outbox" / scenario.first["run_id"]
    workbook = next(run_dir.glob("*.discrepancies.xlsx"))
    assert run_id_of(workbook) == scenario.first["run_id"]
    wb = openpyxl.load_workbook(workbook)
    assert {"Расхождения", "На проверку"} <= set(wb.sheetnames)
    findings, review = wb["Расхождения"], wb["На проверку"]
    findings.cell(2, 5).value = "да"
    findings.cell(2, 6).value = "известно"
    review.cell(2, 4).value = "подтвердить"
    validation = findings.data_validations.dataValidation[0]
    assert validation.formula1 == '"да,нет"'
    out = scenario.ws / "it-reply.xlsx"
    wb.save(out)
    lines, problems = read_reply(out, out.name)
    assert not problems
    assert sorted(line.kind for line in lines) == ["accept", "confirm"]
    accept = next(line for line in lines if line.kind == "accept")
    assert accept.code == findings.cell(2, 4).value and accept.comment == "известно"


def test_a_review_candidate_is_not_also_reported_not_on_the_books(scenario: Scenario) -> None:
    """Before: an asset offered as a row's candidate was also a MISSING_IN_BOOKS finding in the
    same run, so IT was asked to capitalise what the row may well be."""
    first = scenario.first
    candidates = {c["asset_id"] for r in review_rows(first) for c in r["candidates"]}
    unmatched = {a["asset_id"] for a in first["assets_not_on_books"]}
    assert candidates & unmatched  # the scenario has such assets
    missing = {f["asset_id"] for f in first["findings"] if f["code"] == "MISSING_IN_BOOKS"}
    assert not candidates & missing
    run_dir = scenario.ws / "outbox" / first["run_id"]
    ws = openpyxl.load_workbook(next(run_dir.glob("*.reconciled.xlsx")))["Нет в учете"]
    notes = {r[0]: r[-1] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    for asset_id in candidates & unmatched:
        assert notes[asset_id] == "кандидат строки на проверку: см. лист «На проверку»"


def test_accepting_one_line_of_a_duplicate_pair_says_it_covers_the_other_line_too(
    tmp_path: Path,
) -> None:
    """The two lines of a DUPLICATE_ON_BOOKS pair are one finding (one identity): the reviewer
    accepts it on one line only. The answer email says the decision covers the twin row; the
    next run shows both lines accepted, and the twin's line (findings sheet, cell comment)
    names the row it was accepted on, so it never turns accepted unexplained."""
    ws = build_workspace(tmp_path)
    first = reconcile(ws)
    duplicates = sorted(
        (x for x in first["findings"] if x["code"] == "DUPLICATE_ON_BOOKS"),
        key=lambda x: x["row"],
    )
    assert len(duplicates) >= 2, "the synthetic register plants a duplicate pair"
    accepted, twin = duplicates[0], duplicates[1]
    run_dir = ws / "outbox" / first["run_id"]
    wb = openpyxl.load_workbook(next(run_dir.glob("*.reconciled.xlsx")))
    findings = wb["Расхождения"]
    kind = code_label("DUPLICATE_ON_BOOKS", "ru")
    line = next(
        r
        for r in range(2, findings.max_row + 1)
        if [findings.cell(r, c).value for c in (2, 4)] == [accepted["row"], kind]
    )
    findings.cell(line, 5).value = "да"
    findings.cell(line, 6).value = "две карточки, одна будет закрыта"
    reply = tmp_path / "ответ.xlsx"
    wb.save(reply)
    drop_through_service(ws, reply)
    (email,) = query(ws, "SELECT * FROM emails WHERE kind = 'decisions'")
    body = read_eml(Path(email["eml_path"])).get_body(("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert (
        f"решение относится и к строкам-дублям («{twin['sheet']}», строка {twin['row']}): "
        "это одно расхождение" in text
    ), text
    second = reconcile(ws)
    again = {x["row"]: x for x in second["findings"] if x["code"] == "DUPLICATE_ON_BOOKS"}
    assert again[accepted["row"]]["accepted"] and again[twin["row"]]["accepted"]
    run_dir = ws / "outbox" / second["run_id"]
    book = openpyxl.load_workbook(next(run_dir.glob("*.reconciled.xlsx")))
    sheet = book["Расхождения"]
    head = [c.value for c in sheet[1]]
    who = {
        r[1].value: r[head.index("Кто принял")].value
        for r in sheet.iter_rows(min_row=2)
        if r[3].value == kind
    }
    assert who[accepted["row"]] == FOLDER  # accepted where the reviewer accepted it
    assert who[twin["row"]] == (
        f"{FOLDER} — принято по строке {accepted['row']}: строки-дубли — одно расхождение, "
        "решение относится и к этой строке"
    )
    register = book["TDSheet"]
    header = register[found_header_row(register)]
    column = next(c.column for c in header if c.value == labels("ru")["columns"]["findings"])
    comment = register.cell(twin["row"], column).comment
    assert comment is not None and f"принято по строке {accepted['row']}" in comment.text
