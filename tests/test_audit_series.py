"""The audit over a real series of runs: registers that evolve month to month, processed by the
real pipeline into a real ledger, and the audit figures checked against what changed.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler import synth
from reconciler.audit.figures import Period, compute_audit
from reconciler.config import load_config
from reconciler.ledger import schema as ledger_schema
from reconciler.pipeline import process_file

FOLDER = "moscow"


def findings_of(run_dir: Path) -> set[tuple[str, int | None, str | None]]:
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return {(f["code"], f["row"], f["asset_id"]) for f in doc["findings"]}


@pytest.fixture
def series(tmp_path: Path) -> dict:
    """Three monthly registers of one department, from one synthetic company (seed 7, 60 rows):
    1. as generated (its planted findings);
    2. the accountant fixed one LOCATION_MISMATCH (the book now says IT's place) and mistyped
       the cost of one clean matched row (twice the price: a new COST_MISMATCH);
    3. the same as 2 again.
    """
    data = synth.generate(60, seed=7)
    synth.write_inventory(data, tmp_path / "inventory.xlsx")
    (tmp_path / "config.yaml").write_text(
        "inventory: {path: inventory.xlsx}\nmail: {transport: file}\n", encoding="utf-8"
    )
    config = load_config(tmp_path / "config.yaml")
    register = tmp_path / "ведомость.xlsx"

    def run() -> Path:
        synth.write_register_1c(data, register)
        return process_file(register, config, folder=FOLDER, send_mail=False).run_dir

    first = run()
    found = findings_of(first)
    fixed = next(f for f in sorted(found, key=str) if f[0] == "LOCATION_MISMATCH")
    busy_rows = {row for _, row, _ in found}
    assets = data.inventory.by_id()
    rows = {r.row: r for r in data.register_rows}
    rows[fixed[1]].location = assets[fixed[2]].location  # type: ignore[index]
    clean = next(
        r
        for r in data.register_rows
        if r.row not in busy_rows and r.cost and len(data.truth[r.key]) == 1 and r.quantity == 1
    )
    assert clean.cost is not None
    clean.cost = clean.cost * 2
    second = run()
    third = run()
    return {
        "config": config,
        "runs": [first, second, third],
        "fixed": fixed,
        "new": ("COST_MISMATCH", clean.row, data.truth[clean.key][0]),
        "findings": [findings_of(d) for d in (first, second, third)],
    }


def test_the_registers_changed_as_planted(series: dict) -> None:
    first, second, third = series["findings"]
    assert series["fixed"] in first and series["fixed"] not in second
    assert series["new"] not in first and series["new"] in second
    assert second == third == (first - {series["fixed"]}) | {series["new"]}


def identities(conn, run_dir: Path, code: str | None = None, row: int | None = None) -> set[str]:
    """The identities the ledger recorded for a run (rows sharing a key share one identity)."""
    sql = "SELECT identity FROM findings WHERE run_id = ?"
    args: list[object] = [run_dir.name]
    if code is not None:
        sql += " AND code = ? AND row = ?"
        args += [code, row]
    return {r["identity"] for r in conn.all(sql, args)}


def test_the_audit_counts_opened_resolved_and_open_findings_of_the_series(series: dict) -> None:
    conn = ledger_schema.connect(series["config"].ledger_path)
    figures = compute_audit(conn, Period(date.today(), date.today()), FOLDER)
    [dept] = [d for d in figures.departments if d.folder == FOLDER]
    first, second, third = (identities(conn, d) for d in series["runs"])
    [fixed] = identities(conn, series["runs"][0], *series["fixed"][:2])
    [new] = identities(conn, series["runs"][1], *series["new"][:2])
    assert second == third == (first - {fixed}) | {new}

    assert (dept.runs, dept.runs_complete, dept.files) == (3, 3, 3)
    assert dept.rows == 3 * 60
    assert {e.identity for e in dept.resolved} == {fixed}
    assert {e.identity for e in dept.opened} == first | second
    assert {e.identity for e in dept.still_open} == second
    runs_seen = {e.identity: e.runs_seen for e in dept.still_open}
    assert runs_seen[new] == 2
    assert {n for identity, n in runs_seen.items() if identity != new} == {3}
    assert [p.open_findings for p in figures.trend] == [len(first), len(second), len(third)]


def test_the_value_at_stake_of_the_new_cost_mismatch_is_in_the_open_total(series: dict) -> None:
    conn = ledger_schema.connect(series["config"].ledger_path)
    figures = compute_audit(conn, Period(date.today(), date.today()), FOLDER)
    [dept] = [d for d in figures.departments if d.folder == FOLDER]
    [identity] = identities(conn, series["runs"][1], *series["new"][:2])
    new = next(e for e in dept.still_open if e.identity == identity)
    assert new.amount is not None and new.amount > Decimal(0)
    assert dept.open_value == sum(
        (e.amount for e in dept.still_open if e.amount is not None), Decimal(0)
    )
