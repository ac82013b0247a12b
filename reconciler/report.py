"""What a run tells people and scripts: results.json (auditors script against it), the
discrepancy workbook and the html report.

Every file is written to a temporary name and renamed, so none is ever seen half-written.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconciler.config import Config
from reconciler.models import Finding, RowStatus, RunResult
from reconciler.rules import Rules

RESULTS_VERSION = 1


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def finding_to_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": str(f.severity),
        "sheet": f.sheet,
        "row": f.row,
        "asset_id": f.asset_id,
        "message": f.message,
        "book_value": f.book_value,
        "it_value": f.it_value,
        "amount": _money(f.amount),
        "accepted": f.accepted,
    }


def summarize(result: RunResult) -> dict[str, Any]:
    statuses = Counter(str(m.status) for m in result.match.rows)
    codes = Counter(f.code for f in result.findings)
    at_stake = sum((f.amount for f in result.findings if f.amount is not None), Decimal(0))
    return {
        "rows": len(result.match.rows),
        "matched": statuses.get(str(RowStatus.MATCHED), 0),
        "review": statuses.get(str(RowStatus.REVIEW), 0),
        "unmatched": statuses.get(str(RowStatus.UNMATCHED), 0),
        "assets": len(result.inventory.assets),
        "assets_not_on_books": len(result.match.unmatched_asset_ids),
        "findings": len(result.findings),
        "findings_by_code": dict(sorted(codes.items())),
        "value_at_stake": float(at_stake),
        "report_date": result.report_date.isoformat(),
        "exit_code": result.exit_code,
    }


def results_to_dict(result: RunResult, *, folder: str | None = None) -> dict[str, Any]:
    """The results.json document (version 1; README describes every key)."""
    register = result.register
    by_row: dict[tuple[str | None, int | None], list[str]] = {}
    by_asset: dict[str, list[str]] = {}
    for f in result.findings:
        if f.row is not None:
            by_row.setdefault((f.sheet, f.row), []).append(f.code)
        elif f.asset_id is not None:
            by_asset.setdefault(f.asset_id, []).append(f.code)
    source: dict[str, Any] = {
        "file": register.file_name,
        "sha256": register.sha256,
        "format": register.format,
        "sheets": [{"name": s.name, "header_row": s.header_row} for s in register.sheets],
    }
    if folder is not None:
        source["folder"] = folder
    rows = []
    for m in result.match.rows:
        entry: dict[str, Any] = {
            "sheet": m.row.sheet,
            "row": m.row.row,
            "status": str(m.status),
            "asset_ids": list(m.asset_ids),
            "score": None if m.score is None else round(m.score, 1),
            "matched_on": m.matched_on,
            "findings": by_row.get(m.row.key, []),
            "explain": m.explain,
        }
        if m.status is RowStatus.REVIEW:
            entry["candidates"] = [
                {"asset_id": c.asset_id, "score": round(c.score, 1)} for c in m.candidates
            ]
            entry["asset_ids"] = entry["asset_ids"] or [c.asset_id for c in m.candidates]
        rows.append(entry)
    return {
        "version": RESULTS_VERSION,
        "run_id": result.run_id,
        "source": source,
        "inventory": {"source": result.inventory.source, "assets": len(result.inventory.assets)},
        "report_date": result.report_date.isoformat(),
        "rows": rows,
        "assets_not_on_books": [
            {"asset_id": a, "findings": by_asset.get(a, [])}
            for a in result.match.unmatched_asset_ids
        ],
        "findings": [finding_to_dict(f) for f in result.findings],
        "warnings": list(result.warnings),
        "summary": summarize(result),
    }


def write_results_json(result: RunResult, path: Path, *, folder: str | None = None) -> Path:
    doc = results_to_dict(result, folder=folder)
    write_atomically(path, json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"))
    return path


def write_reports(
    result: RunResult, rules: Rules, config: Config, *, folder: str | None = None
) -> dict[str, Path]:
    """Write every report file into result.run_dir; return them by kind."""
    outputs = {
        "results": write_results_json(result, result.run_dir / "results.json", folder=folder)
    }
    return outputs
