"""What a run tells people and scripts: results.json (auditors script against it), the
discrepancy workbook and the html report.

Every file is written to a temporary name and renamed, so none is ever seen half-written.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconciler.atomic import write_atomically
from reconciler.config import Config
from reconciler.models import Finding, RowStatus, RunResult
from reconciler.text import scope as scope_text
from reconciler.text.templates import render_html, render_text

RESULTS_VERSION = 1


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
        # A note needs no fix (FULLY_DEPRECIATED_IN_SERVICE, accepted): not in the counts.
        "kind": "note" if f.is_note else "discrepancy",
        **(
            {
                "accepted_by": f.accepted_by,
                "accepted_at": f.accepted_at,
                "accepted_comment": f.accepted_comment,
            }
            if f.accepted
            else {}
        ),
    }


def _findings_with_context(result: RunResult) -> list[dict[str, Any]]:
    """Each finding with the book row's (or else the IT asset's) inventory number, name, place,
    МОЛ and serial: what a reader acts on, so the emails need not look them up."""
    from reconciler.outputs.figures import findings_with_sources
    from reconciler.text.glossary import display_serial

    out = []
    for f, row, asset in findings_with_sources(result):

        def either(field: str, row: Any = row, asset: Any = asset) -> Any:
            return (getattr(row, field) if row else None) or (
                getattr(asset, field) if asset else None
            )

        context = {k: either(k) for k in ("inventory_number", "name", "location", "custodian")}
        out.append({**finding_to_dict(f), **context, "serial": display_serial(either("serial"))})
    return out


def summarize(result: RunResult) -> dict[str, Any]:
    statuses = Counter(str(m.status) for m in result.match.rows)
    codes = Counter(f.code for f in result.findings if not f.is_note)
    notes = Counter(("ACCEPTED" if f.accepted else f.code) for f in result.findings if f.is_note)
    from reconciler.outputs.figures import value_at_stake

    at_stake = value_at_stake(result.findings)  # the same figure every report shows
    return {
        "rows": len(result.match.rows),
        "matched": statuses.get(str(RowStatus.MATCHED), 0),
        "review": statuses.get(str(RowStatus.REVIEW), 0),
        "unmatched": statuses.get(str(RowStatus.UNMATCHED), 0),
        "assets": len(result.inventory.assets),
        "assets_not_on_books": len(result.match.unmatched_asset_ids),
        # Discrepancies only; notes (nothing to fix) are counted apart.
        "findings": sum(codes.values()),
        "findings_by_code": dict(sorted(codes.items())),
        "notes": sum(notes.values()),
        "notes_by_kind": dict(sorted(notes.items())),
        "value_at_stake": float(at_stake),
        "report_date": result.report_date.isoformat(),
        "exit_code": result.exit_code,
    }


def scope_to_dict(result: RunResult, language: str) -> dict[str, Any] | None:
    """results.json's `scope`: what the run answered for, and the wrong-inventory guard."""
    scope = result.scope
    if scope is None:
        return None
    return {
        "basis": str(scope.basis),
        "statement": scope_text.statement(scope, language),
        "named": list(scope.named),
        "source": scope.source or None,
        "assets_in_scope": scope.size,
        "keyed_rows": scope.keyed_rows,
        "keyed_matched": scope.keyed_matched,
        "wrong_inventory": scope.wrong_inventory,
    }


def inventory_entry(result: RunResult) -> dict[str, Any]:
    """Which inventory the run used: its source, size and snapshot (kind, when, hash, and
    whether the last good snapshot stood in for a failed fetch)."""
    entry: dict[str, Any] = {
        "source": result.inventory.source,
        "assets": len(result.inventory.assets),
    }
    taken = result.inventory.snapshot
    if taken is not None:
        entry |= {
            "kind": taken.kind,
            "fetched_at": taken.fetched_at,
            "sha256": taken.sha256,
            "reused_snapshot": taken.reused,
        }
    return entry


def results_to_dict(
    result: RunResult, *, folder: str | None = None, language: str = "ru"
) -> dict[str, Any]:
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
        "inventory": inventory_entry(result),
        "report_date": result.report_date.isoformat(),
        "rows": rows,
        "assets_not_on_books": [
            {"asset_id": a, "findings": by_asset.get(a, [])}
            for a in result.match.unmatched_asset_ids
        ],
        "findings": _findings_with_context(result),
        # The guard's warning and the scope come first: a reader must see them before figures.
        "warnings": [*scope_text.lines(result.scope, language), *result.warnings],
        **({"scope": scope} if (scope := scope_to_dict(result, language)) else {}),
        # Seconds per stage up to the reports (which are being written as this is made).
        "timings": dict(result.timings),
        # The same content was processed before: say so rather than skip (accountants resend).
        **({"duplicate_of": dict(result.duplicate_of)} if result.duplicate_of else {}),
        "summary": summarize(result),
    }


def write_results_json(
    result: RunResult, path: Path, *, folder: str | None = None, language: str = "ru"
) -> Path:
    doc = results_to_dict(result, folder=folder, language=language)
    write_atomically(path, json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"))
    return path


def write_reports(
    result: RunResult, config: Config, *, folder: str | None = None
) -> dict[str, Path]:
    """Write every report file into result.run_dir; return them by kind."""
    from reconciler.outputs.discrepancy_workbook import (
        build_discrepancy_workbook,
        discrepancies_name,
    )
    from reconciler.outputs.xlsx_writer import gc_paused

    language = config.report.language
    outputs = {
        "results": write_results_json(
            result, result.run_dir / "results.json", folder=folder, language=language
        )
    }
    workbook = result.run_dir / discrepancies_name(result.register.file_name)
    with gc_paused():  # openpyxl's many objects per cell (xlsx_writer.gc_paused)
        data = build_discrepancy_workbook(result, language)
    write_atomically(workbook, data)
    outputs["discrepancies"] = workbook
    html = result.run_dir / "report.html"
    write_atomically(html, render_report_html(result, language).encode("utf-8"))
    outputs["report_html"] = html
    return outputs


# --- html and text -----------------------------------------------------------------------

STATUS_COLOURS = {"matched": "#c6efce", "review": "#ffeb9c", "unmatched": "#ffc7ce"}
ACCEPTED_COLOUR = "#ddebf7"  # accepted findings: the register's and workbooks' blue
SEVERITY_COLOURS = {"high": "#fde2e1", "medium": "#fff2cc", "low": "#ffffff", "info": "#eef3fb"}
FINDING_HTML_COLUMNS = (
    "severity",
    "message",
    "sheet",
    "row",
    "book_value",
    "it_value",
    "asset_id",
    "amount",
)
CHART_PLACES = 20  # bars in the chart by location; the table below it lists every place
# Rows per list in report.html (each code's findings, the places, the people): it is mailed,
# and 30k findings made a 14 MB page. The discrepancy workbook keeps every finding.
HTML_LIST_CAP = 1000
HTML_MORE = {
    "ru": "и еще {n} — см. книгу расхождений {workbook}",
    "en": "and {n} more — see the discrepancy workbook {workbook}",
}


def _context(result: RunResult, language: str) -> dict[str, Any]:
    from reconciler.outputs.figures import compute_figures
    from reconciler.outputs.findings_table import accepted_line
    from reconciler.text.labels import code_label, format_date, format_money
    from reconciler.text.report import labels

    t = labels(language)
    fig = compute_figures(result, t["summary"]["unknown"])
    return {
        "t": t,
        "s": t["summary"],
        "language": language,
        "fig": fig,
        "file_name": result.register.file_name,
        "sha256": result.register.sha256,
        "run_id": result.run_id,
        "report_date": format_date(result.report_date, language),
        "value_at_stake": format_money(fig.value_at_stake, language),
        "money": lambda v: format_money(v, language),
        "label": lambda code: code_label(code, language),
        "lost": list(result.warnings),
        "scope_lines": scope_text.lines(result.scope, language),
        "colours": STATUS_COLOURS,
        "note_colour": ACCEPTED_COLOUR,
        "accepted_line": lambda f: accepted_line(f, language),  # findings_table
        "severity_colours": SEVERITY_COLOURS,
    }


def render_summary_html(result: RunResult, language: str = "ru") -> str:
    """The summary block as one line of HTML with inline styles, for report.html and email."""
    return render_html("report_summary.html.j2", _context(result, language))


def render_summary_text(result: RunResult, language: str = "ru") -> str:
    return render_text("report_summary.txt.j2", _context(result, language))


def _count(n: int, language: str) -> str:
    return f"{n:,}".replace(",", "\u00a0") if language == "ru" else f"{n:,}"


def render_report_html(result: RunResult, language: str = "ru") -> str:
    """report.html: summary, charts as inline SVG, findings by code, location and custodian."""
    from markupsafe import Markup

    from reconciler.outputs.charts import svg_bar_chart
    from reconciler.outputs.discrepancy_workbook import discrepancies_name

    context = _context(result, language)
    fig, s = context["fig"], context["s"]
    # The summary from this same context: its figures are computed once for the page.
    context["summary"] = Markup(render_html("report_summary.html.j2", context))
    label = context["label"]
    context["chart_codes"] = svg_bar_chart(
        [(label(g.key), g.count) for g in fig.by_code], s["chart_codes"]
    )
    places = fig.by_location[:CHART_PLACES]
    place_title = s["chart_locations"]
    if len(fig.by_location) > len(places):  # say the chart is not all of them
        place_title += " " + s["chart_top"].format(n=len(places), total=len(fig.by_location))
    context["chart_locations"] = svg_bar_chart([(g.key, g.count) for g in places], place_title)
    context["columns"] = FINDING_HTML_COLUMNS
    context["cap"] = HTML_LIST_CAP
    workbook = discrepancies_name(result.register.file_name)
    more = HTML_MORE.get(language, HTML_MORE["en"])
    context["more"] = lambda n: more.format(n=_count(n, language), workbook=workbook)
    context["codes_of"] = lambda g: ", ".join(
        f"{label(code)} ×{n}" for code, n in Counter(f.code for f in g.findings).most_common()
    )
    return render_html("report.html.j2", context)
