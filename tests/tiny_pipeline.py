"""A tiny real processing function with pipeline.run_file's contract, for the service tests.

The service runs it in its child process when RECONCILER_TEST_PROCESSOR=tiny
(and tests/ is on PYTHONPATH). It really reads the file: a zip container must open, a text file
gives one book row per non-empty line, anything else is an InputError. Each row yields one
MISSING_IN_INVENTORY finding keyed by the line's first field, so the ledger has findings.
It writes results.json through report.py into outbox/<run_id>.partial and renames it, as the
real pipeline does. A text file may steer it with directive lines: `#slow=SECONDS` (sleep
mid-run), `#allocate=MB` (allocate that much memory), `#crash=abort` (die of SIGABRT, as a
native reader does on a malformed file), `#crash=bug` (raise a plain exception: our bug).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
import zipfile
from datetime import date
from pathlib import Path

from reconciler.atomic import write_atomically
from reconciler.config import Config
from reconciler.errors import InputError
from reconciler.models import (
    BookRow,
    Finding,
    FindingCode,
    Inventory,
    MatchResult,
    Register,
    RowMatch,
    RowStatus,
    RunResult,
    Severity,
)
from reconciler.outputs.report import results_to_dict


def _read_rows(path: Path, file_name: str) -> tuple[str, list[str]]:
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                return "xlsx", [n for n in z.namelist() if not n.endswith("/")]
        except zipfile.BadZipFile:
            raise InputError(
                "not a readable workbook (the zip container is damaged)",
                file=file_name,
                hint="save it again from the accounting system and drop it again",
                code="HALF_WRITTEN",
            ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            "expected a workbook or UTF-8 text, found binary data",
            file=file_name,
            hint="export the register as .xlsx",
            code="NOT_A_SPREADSHEET",
            params={"found": "binary"},
        ) from None
    return "csv", [line for line in text.splitlines() if line.strip()]


def run_file(
    path: Path,
    config: Config,
    rules: object = None,
    *,
    file_name: str | None = None,
    folder: str | None = None,
    run_id: str,
    duplicate_of: dict[str, str] | None = None,
    publish: bool = True,
) -> RunResult:
    name = file_name or path.name
    fmt, lines = _read_rows(path, name)
    directives = dict(
        line[1:].split("=", 1) for line in lines if line.startswith("#") and "=" in line
    )
    lines = [line for line in lines if not line.startswith("#")]
    if mb := int(directives.get("allocate", "0")):
        hog = bytearray(mb * 1024 * 1024)
        hog[::4096] = b"x" * len(hog[::4096])
    if directives.get("crash") == "abort":
        os.kill(os.getpid(), signal.SIGABRT)
    if directives.get("crash") == "bug":  # our bug, not the file's: a plain exception
        raise ZeroDivisionError("tiny_pipeline: #crash=bug")
    time.sleep(float(directives.get("slow", "0")))
    rows = [
        BookRow(sheet="TDSheet", row=i + 2, inventory_number=line.split(";")[0], name=line)
        for i, line in enumerate(lines)
    ]
    register = Register(
        path=path,
        file_name=name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        format=fmt,
        sheets=[],
        rows=rows,
    )
    findings = [
        Finding(
            code=FindingCode.MISSING_IN_INVENTORY,
            severity=Severity.HIGH,
            message=f"no IT asset for {r.inventory_number}",
            sheet=r.sheet,
            row=r.row,
        )
        for r in rows
    ]
    tmp = config.outbox / (run_id + ".partial")
    tmp.mkdir(parents=True)
    result = RunResult(
        run_id=run_id,
        run_dir=tmp,
        register=register,
        inventory=Inventory(source="none", assets=[]),
        match=MatchResult([RowMatch(row=r, status=RowStatus.UNMATCHED) for r in rows], []),
        findings=findings,
        report_date=date(2026, 9, 30),
        duplicate_of=duplicate_of,
    )
    doc = results_to_dict(result, folder=folder)
    if result.duplicate_of:  # the one line report.results_to_dict is asked to add
        doc["duplicate_of"] = result.duplicate_of
    write_atomically(tmp / "results.json", json.dumps(doc, ensure_ascii=False).encode())
    if publish:  # the service's child leaves it staged, as pipeline.run_file does
        tmp.rename(config.outbox / run_id)
        result.run_dir = config.outbox / run_id
    return result
