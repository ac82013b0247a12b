"""What a run tells people and scripts: results.json (auditors script against it), the
discrepancy workbook and the html report.

Every file is written to a temporary name and renamed, so none is ever seen half-written.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from reconciler.atomic import write_atomically
from reconciler.config import Config
from reconciler.models import RunResult
from reconciler.outputs.figures import Figures, run_figures
from reconciler.outputs.forked import Forked, ForkRefused, Send, can_fork
from reconciler.outputs.results import RESULTS_NAME, results_of, write_results
from reconciler.outputs.table_writer import SharedTables
from reconciler.text import scope as scope_text
from reconciler.text.templates import render_html, render_text

log = logging.getLogger(__name__)


def results_to_dict(
    result: RunResult, *, folder: str | None = None, language: str = "ru"
) -> dict[str, Any]:
    """The results.json document as plain JSON values (outputs/results.py is its model)."""
    doc: dict[str, Any] = results_of(result, folder=folder, language=language).model_dump(
        mode="json"
    )
    return doc


def write_reports(
    result: RunResult,
    config: Config,
    *,
    folder: str | None = None,
    figures: Figures | None = None,
    shared: SharedTables | None = None,
    parallel: bool | None = None,
) -> dict[str, Path]:
    """Write every report file into result.run_dir; return them by kind. `figures`: the
    run's (figures.run_figures), computed here when not given; `shared`: the long tables the
    annotated copy laid out (table_writer.SharedTables). `parallel`: results.json written by
    a forked worker while this process writes the workbook and the html (None: when there is
    a second core and the register is large enough to gain)."""
    from reconciler.outputs.discrepancy_workbook import (
        build_discrepancy_workbook,
        discrepancies_name,
    )
    from reconciler.outputs.xlsx_writer import gc_paused

    language = config.report.language
    figures = figures or run_figures(result, language)
    results = result.run_dir / RESULTS_NAME

    def write_json(_send: Send | None = None) -> None:
        write_results(result, results, folder=folder, language=language, figures=figures)

    if parallel is None:
        parallel = len(result.match.rows) >= PARALLEL_FROM_ROWS and can_fork()
        if parallel:
            log.info("reports: results.json written by a worker beside this process")
    with contextlib.ExitStack() as stack:
        worker: Forked | None = None
        if parallel:
            try:
                worker = stack.enter_context(Forked(write_json, "reports: results.json"))
            except ForkRefused as refused:
                log.warning("reports: %s; results.json written in this process", refused)
        if worker is None:
            write_json()
        workbook = result.run_dir / discrepancies_name(result.register.file_name)
        with gc_paused():  # openpyxl's many objects per cell (xlsx_writer.gc_paused)
            data = build_discrepancy_workbook(result, language, figures, shared)
        write_atomically(workbook, data)
        html = result.run_dir / "report.html"
        write_atomically(html, render_report_html(result, language, figures).encode("utf-8"))
        if worker is not None:
            worker.finish()
    return {"results": results, "discrepancies": workbook, "report_html": html}


# Below this many register rows results.json is written here: a fork costs more than the
# second or two it saves at 100k rows (BENCHMARKS.md, issue 16).
PARALLEL_FROM_ROWS = 20_000


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


def _context(result: RunResult, language: str, figures: Figures | None = None) -> dict[str, Any]:
    from reconciler.outputs.findings_table import accepted_line
    from reconciler.text.labels import code_label, format_date, format_money
    from reconciler.text.report import labels

    t = labels(language)
    fig = figures or run_figures(result, language)
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


def render_report_html(
    result: RunResult, language: str = "ru", figures: Figures | None = None
) -> str:
    """report.html: summary, charts as inline SVG, findings by code, location and custodian."""
    from markupsafe import Markup

    from reconciler.outputs.charts import svg_bar_chart
    from reconciler.outputs.discrepancy_workbook import discrepancies_name

    context = _context(result, language, figures)
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
