"""A reviewer's reply is as untrusted as any register (issue 10, item 4): it is read in the
limited child after the folder check, its sheets' claimed size is ignored, a reply over
limits.max_time is stopped while the service goes on, a stop is honoured within seconds, and a
reply with more decisions than limits.max_reply_lines applies none and says so.
"""

from __future__ import annotations

import json
import re
import signal
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from service_harness import ServiceProcess, drop, settled, wait_for
from test_decisions import (
    FOLDER,
    build_workspace,
    drop_through_service,
    query,
    reconcile,
    review_rows,
)

from reconciler.mail.send import read_eml

pytestmark = pytest.mark.slow
REVIEW_SHEET = "На проверку"


def _configure(ws: Path, **limits: Any) -> None:
    config = yaml.safe_load((ws / "config.yaml").read_text(encoding="utf-8"))
    config["watch"] = {"settle_seconds": 0.3, "interval_seconds": 1.0}
    config["limits"] = limits
    (ws / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def _confirmed_reply(ws: Path, first: dict[str, Any], out: Path) -> tuple[int, str]:
    """The annotated workbook with one confirm on the first review row: (row, asset)."""
    row = review_rows(first)[0]
    asset = row["candidates"][0]["asset_id"]
    wb = openpyxl.load_workbook(next((ws / "outbox" / first["run_id"]).glob("*.reconciled.xlsx")))
    review = wb[REVIEW_SHEET]
    line = next(r for r in range(2, review.max_row + 1) if review.cell(r, 2).value == row["row"])
    review.cell(line, 3).value = asset
    review.cell(line, 4).value = "confirm"
    wb.save(out)
    return int(row["row"]), asset


def _sheet_member(z: zipfile.ZipFile, title: str) -> str:
    """The zip member of the sheet called `title`."""
    workbook = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{title}"[^>]*r:id="([^"]+)"', workbook)
    assert rid, workbook
    target = re.search(rf'<Relationship[^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target, rels
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def _hostile(reply: Path, out: Path, *, extra_rows: int) -> None:
    """The reply with its review sheet claiming A1:XFD1048576 and, after its own rows,
    `extra_rows` real rows holding only a sheet name in column A (no decision): a small file
    that takes long to read row by row."""
    with zipfile.ZipFile(reply) as z:
        member = _sheet_member(z, REVIEW_SHEET)
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts[member].decode()
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
    last = max(int(n) for n in re.findall(r'<row[^>]* r="(\d+)"', xml))
    filler = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>TDSheet</t></is></c></row>'
        for r in range(last + 1, last + 1 + extra_rows)
    )
    parts[member] = xml.replace("</sheetData>", filler + "</sheetData>").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _answer_text(ws: Path) -> str:
    (email,) = query(ws, "SELECT * FROM emails WHERE kind = 'decisions'")
    body = read_eml(Path(email["eml_path"])).get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_reply_whose_sheets_claim_a_million_rows_is_applied_well_within_the_time_limit(
    tmp_path: Path,
) -> None:
    """Before: every row of the claimed A1:XFD1048576 was read, 51 s in the service itself."""
    ws = build_workspace(tmp_path)
    _configure(ws, max_seconds=20)
    first = reconcile(ws)
    row, asset = _confirmed_reply(ws, first, tmp_path / "plain.xlsx")
    _hostile(tmp_path / "plain.xlsx", tmp_path / "ответ.xlsx", extra_rows=0)
    service = ServiceProcess(ws, RECONCILER_TEST_PROCESSOR="")
    try:
        drop(ws / "inbox" / FOLDER / "ответ.xlsx", (tmp_path / "ответ.xlsx").read_bytes())
        wait_for(settled(ws, 2), timeout=60, what="the reply applied")
        assert service.stop() == 0, service.output()
    finally:
        if service.proc.poll() is None:
            service.proc.kill()
    (decided,) = query(ws, "SELECT row, asset_id FROM decisions")
    assert (decided["row"], decided["asset_id"]) == (row, asset)
    assert query(ws, "SELECT count(*) AS n FROM runs WHERE outcome = 'quarantined'")[0]["n"] == 0


def test_a_reply_too_slow_to_read_is_stopped_at_the_limit_and_the_service_goes_on(
    tmp_path: Path,
) -> None:
    """The reply is read in the child under limits.max_seconds; the same file dropped into
    another folder is answered without being read at all (the folder check comes first)."""
    ws = build_workspace(tmp_path)
    _configure(ws, max_seconds=2)
    first = reconcile(ws)
    _confirmed_reply(ws, first, tmp_path / "plain.xlsx")
    _hostile(tmp_path / "plain.xlsx", tmp_path / "ответ.xlsx", extra_rows=400_000)
    hostile = (tmp_path / "ответ.xlsx").read_bytes()
    service = ServiceProcess(ws, RECONCILER_TEST_PROCESSOR="")
    try:
        drop(ws / "inbox" / FOLDER / "ответ.xlsx", hostile)
        drop(ws / "inbox" / "spb" / "ответ.xlsx", hostile)
        wait_for(settled(ws, 3), timeout=120, what="both replies")
        assert service.stop() == 0, service.output()
    finally:
        if service.proc.poll() is None:
            service.proc.kill()
    (slow,) = query(ws, "SELECT * FROM files WHERE folder = ? AND name = 'ответ.xlsx'", FOLDER)
    assert slow["state"] == "quarantined" and json.loads(slow["reason"])["code"] == "TOO_SLOW"
    note = (ws / "quarantine" / FOLDER / "ответ.xlsx.error.txt").read_text("utf-8")
    assert "limits.max_seconds" in note
    (other,) = query(ws, "SELECT * FROM files WHERE folder = 'spb'")
    assert other["state"] == "archived"
    assert "положен в папку «spb»" in _answer_text(ws)
    assert query(ws, "SELECT count(*) AS n FROM decisions")[0]["n"] == 0
    assert query(ws, "SELECT count(*) AS n FROM runs WHERE outcome = 'complete'")[0]["n"] == 1


def test_a_stop_during_a_long_reply_is_honoured_within_seconds_and_the_reply_is_redone(
    tmp_path: Path,
) -> None:
    """Before: SIGTERM took 46 s, the reply being read in the service process itself."""
    ws = build_workspace(tmp_path)
    _configure(ws, max_seconds=600)
    first = reconcile(ws)
    _confirmed_reply(ws, first, tmp_path / "plain.xlsx")
    _hostile(tmp_path / "plain.xlsx", tmp_path / "ответ.xlsx", extra_rows=1_000_000)
    service = ServiceProcess(ws, RECONCILER_TEST_PROCESSOR="")
    try:
        drop(ws / "inbox" / FOLDER / "ответ.xlsx", (tmp_path / "ответ.xlsx").read_bytes())
        wait_for(service.has_child, timeout=60, what="the reply's child running")
        time.sleep(1)
        asked = time.monotonic()
        assert service.stop(signal.SIGTERM) == 0, service.output()
        assert time.monotonic() - asked < 5, service.output()
    finally:
        if service.proc.poll() is None:
            service.proc.kill()
    assert "abandoned the reply ответ.xlsx" in service.output()
    (f,) = query(ws, "SELECT state FROM files WHERE name = 'ответ.xlsx'")
    assert f["state"] == "claimed"  # redone at the next start
    assert query(ws, "SELECT count(*) AS n FROM decision_replies")[0]["n"] == 0


def test_a_reply_over_the_line_cap_applies_nothing_and_says_so(tmp_path: Path) -> None:
    """Before: a 5,000-line reply was taken whole (1,032 binding decisions, a 2.6 MB email)."""
    ws = build_workspace(tmp_path)
    _configure(ws, max_reply_lines=5)
    first = reconcile(ws)
    wb = openpyxl.load_workbook(next((ws / "outbox" / first["run_id"]).glob("*.reconciled.xlsx")))
    review = wb[REVIEW_SHEET]
    start = review.max_row + 1
    for i in range(40):  # a pasted column: 40 decisions on rows that exist or not
        for col, value in enumerate(["TDSheet", 1000 + i, "A-1", "confirm"], start=1):
            review.cell(start + i, col).value = value
    wb.save(tmp_path / "ответ.xlsx")
    file_id = drop_through_service(ws, tmp_path / "ответ.xlsx")
    (reply,) = query(ws, "SELECT outcome FROM decision_replies WHERE file_id = ?", file_id)
    outcome = json.loads(reply["outcome"])
    assert outcome["applied"] == [] and len(outcome["problems"]) == 1
    assert "больше 5 решений (limits.max_reply_lines)" in outcome["problems"][0]["text"]
    assert "не применено ни одно" in _answer_text(ws)
    assert query(ws, "SELECT count(*) AS n FROM decisions")[0]["n"] == 0
