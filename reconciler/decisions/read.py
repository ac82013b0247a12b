"""Reading a reviewer's reply: an annotated workbook dropped back with decisions in it.

A workbook is a reply when its document properties carry `reconciler_run_id`
(outputs.side_sheets.mark_run) and that run is complete in the ledger. Only two sheets are read, found by their fixed header
row (annotate_sheets.REVIEW_COLUMNS, FINDINGS_COLUMNS) in either language, whatever the sheet
is called now: the review sheet (sheet, row, candidate ids, Decision, Comment) and the findings
sheet (sheet, row, asset id, code, Accepted, Comment). The accountant's own sheets are not read.
"""

from __future__ import annotations

import logging
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from reconciler.errors import InputError
from reconciler.ledger import runs as ledger_runs
from reconciler.ledger.db import Ledger
from reconciler.models import DecisionKind

log = logging.getLogger(__name__)

# side_sheets.RUN_ID_PROPERTY (a test holds them equal). Not imported from there: the service's
# own process calls is_reply for every file it takes and must not load the stages to do so.
RUN_ID_PROPERTY = "reconciler_run_id"

CONFIRM_WORDS = {"confirm", "confirmed", "подтвердить", "подтверждаю", "подтверждено", "да"}
REJECT_WORDS = {"reject", "rejected", "отклонить", "отклоняю", "отклонено", "нет"}
YES_WORDS = {"yes", "y", "да", "д", "true", "1", "x", "accepted", "принято"}
_IDS = re.compile(r"[;,\s]+")
_CUSTOM_PROPS = "docProps/custom.xml"
_MAX_PROPS_BYTES = 1_000_000  # a real custom.xml is a few hundred bytes
READ_COLUMNS = 6  # the review sheet's 5 columns, the findings sheet's 6: nothing right of them


@dataclass(frozen=True)
class ReplyLine:
    """One decision as the reviewer wrote it, and where: the reply's sheet and row."""

    reply_sheet: str
    reply_row: int
    kind: DecisionKind
    sheet: str | None  # the register row it is about (None: a finding on no row)
    row: int | None
    asset_id: str | None
    code: str | None = None  # accept: the finding's code
    comment: str | None = None


@dataclass(frozen=True)
class LineProblem:
    """A line that cannot be read; `problem` names its message (decisions_apply.TEXT)."""

    reply_sheet: str
    reply_row: int
    problem: str  # bad_where, no_candidate, no_code
    found: str = ""


def run_id_of(path: Path) -> str | None:
    """The run id in the workbook's custom document properties, or None (not ours, not a zip)."""
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(_CUSTOM_PROPS)
            if info.file_size > _MAX_PROPS_BYTES:
                return None
            data = z.read(info)
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    try:
        root = ElementTree.fromstring(data)
    # Malformed XML is a ParseError; defusedxml refuses entities with a ValueError: not a reply.
    except (ElementTree.ParseError, ValueError):
        return None
    for prop in root:
        if prop.get("name") == RUN_ID_PROPERTY:
            value = "".join(prop.itertext()).strip()
            return value or None
    return None


def is_reply(path: Path, conn: Ledger) -> str | None:
    """The run id this workbook answers, when it carries one and that run is complete."""
    run_id = run_id_of(path)
    if run_id is None:
        return None
    if not ledger_runs.is_complete(conn, run_id):
        log.info("%s names run %s, which is not a complete run in the ledger", path.name, run_id)
        return None
    return run_id


def _headers(kind: str) -> list[list[str]]:
    from reconciler.outputs.added_sheets import REVIEW_COLUMNS
    from reconciler.outputs.findings_table import FINDINGS_COLUMNS, headers
    from reconciler.text.report import labels

    out = []
    for language in ("ru", "en"):
        if kind == "review":
            t = labels(language)
            out.append([str(t["review_columns"][k]).casefold() for k in REVIEW_COLUMNS])
        else:
            # The accountant's copy names the kind in words, the IT workbook shows the code.
            for codes in (False, True):
                shown = headers(language, codes=codes)[: len(FINDINGS_COLUMNS)]
                out.append([h.casefold() for h in shown])
    return out


def _code(text: str) -> str:
    """The finding code in column D, written as the code or as its name in words."""
    from reconciler.text.labels import CODE_LABELS

    for names in CODE_LABELS.values():
        for code, label in names.items():
            if text.casefold() == label.casefold():
                return code
    return text


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _row_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    return int(text) if text.isdigit() else None


def read_reply(
    path: Path, file_name: str, max_lines: int | None = None
) -> tuple[list[ReplyLine], list[LineProblem]]:
    """Every decision in the reply's review and findings sheets, and what could not be read.

    Reading stops after `max_lines` + 1 of them (decisions and problems): the caller says the
    reply is over the cap without the rest being read. A sheet's claimed size (A1:XFD1048576)
    is ignored: only the rows it holds are read, and only the columns we wrote."""
    import openpyxl

    with path.open("rb") as handle:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                # An open file, not the path: openpyxl refuses a name not ending in .xlsx, and
                # the format is the content's (the reply may have been renamed).
                wb = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises many kinds on a damaged file
            raise InputError(
                f"cannot be read as a reply workbook ({type(e).__name__}: {e})",
                file=file_name,
                hint="save it again in Excel as .xlsx and drop it again",
                code="REPLY_UNREADABLE",
                params={"detail": f"{type(e).__name__}: {e}"},
            ) from None
        try:
            return _read_sheets(wb, None if max_lines is None else max_lines + 1)
        finally:
            wb.close()


def _read_sheets(wb: Any, cap: int | None) -> tuple[list[ReplyLine], list[LineProblem]]:
    lines: list[ReplyLine] = []
    problems: list[LineProblem] = []
    review, findings = _headers("review"), _headers("findings")
    for ws in wb.worksheets:
        if not hasattr(ws, "iter_rows"):  # a chart sheet
            continue
        if hasattr(ws, "reset_dimensions"):  # read-only: the rows it holds, not its claim
            ws.reset_dimensions()
        rows = ws.iter_rows(max_col=READ_COLUMNS, values_only=True)
        head = next(rows, None)
        if head is None:
            continue
        seen = [_text(v).casefold() for v in head[:6]]
        if seen[:5] in review:
            _read_review(ws.title, _capped(rows, lines, problems, cap), lines, problems)
        elif seen[:6] in findings:
            _read_findings(ws.title, _capped(rows, lines, problems, cap), lines, problems)
        if cap is not None and len(lines) + len(problems) >= cap:
            break
    return lines, problems


def _capped(
    rows: Iterator[tuple[Any, ...]],
    lines: list[ReplyLine],
    problems: list[LineProblem],
    cap: int | None,
) -> Iterator[tuple[Any, ...]]:
    """The rows, until `cap` decisions and problems have been read."""
    for values in rows:
        if cap is not None and len(lines) + len(problems) >= cap:
            return
        yield values


def _where(values: tuple[Any, ...]) -> tuple[str | None, int | None, str]:
    """The register sheet and row in columns A-B; or, when unusable, what was found there."""
    name, number = _text(values[0]), _row_number(values[1])
    if not name and number is None:
        return None, None, ""
    if not name or number is None:
        return None, None, f"{_text(values[0])!r}, {_text(values[1])!r}"
    return name, number, ""


def _read_review(
    title: str, rows: Any, lines: list[ReplyLine], problems: list[LineProblem]
) -> None:
    for r, values in enumerate(rows, start=2):
        values = tuple(values) + (None,) * 5
        decision = _text(values[3])
        if not decision:
            continue
        sheet, row, found = _where(values)
        if sheet is None:
            problems.append(LineProblem(title, r, "bad_where", found or "'', ''"))
            continue
        comment = _text(values[4]) or None
        ids = [i for i in _IDS.split(_text(values[2])) if i]
        word = decision.casefold()
        if word in CONFIRM_WORDS | REJECT_WORDS and not ids:
            problems.append(LineProblem(title, r, "no_candidate"))
        elif word in CONFIRM_WORDS:  # the help line: confirm the first ID left in column C
            lines.append(
                ReplyLine(title, r, DecisionKind.CONFIRM, sheet, row, ids[0], comment=comment)
            )
        elif word in REJECT_WORDS:  # none of the IDs left in column C is this row
            for asset_id in ids:
                lines.append(
                    ReplyLine(title, r, DecisionKind.REJECT, sheet, row, asset_id, comment=comment)
                )
        else:
            lines.append(
                ReplyLine(title, r, DecisionKind.ASSET, sheet, row, decision, comment=comment)
            )


def _read_findings(
    title: str, rows: Any, lines: list[ReplyLine], problems: list[LineProblem]
) -> None:
    for r, values in enumerate(rows, start=2):
        values = tuple(values) + (None,) * 6
        if _text(values[4]).casefold() not in YES_WORDS:
            continue
        code = _code(_text(values[3]))
        sheet, row, found = _where(values)  # a finding on no row (an IT asset) has neither
        if found or not code:
            problems.append(LineProblem(title, r, "bad_where" if found else "no_code", found))
            continue
        lines.append(
            ReplyLine(
                title,
                r,
                DecisionKind.ACCEPT,
                sheet,
                row,
                _text(values[2]) or None,
                code=code,
                comment=_text(values[5]) or None,
            )
        )
