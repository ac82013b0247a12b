"""The findings sheet: one line per finding, in the annotated copy and in the IT workbook.

Both are read back as a reply (decisions.read), so the first six columns are fixed: sheet, row,
asset id, code, Accepted, Comment. After them, what a reader needs to act without opening the
register: the row's inventory number, name, place, МОЛ and serial, what each side says, the
amount, and who accepted the finding and when. The worst and largest come first.

The accountant's copy names each kind in words; only the IT workbook shows the codes
(decisions.read takes either back).
"""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter
from typing import Any

from reconciler.models import Asset, BookRow, Finding, FindingCode, RunResult, Severity
from reconciler.outputs.figures import findings_with_sources
from reconciler.outputs.table_writer import (
    FILL_COLOURS,
    ListValidation,
    SharedTables,
    TableBook,
    TableSheet,
    write_table,
)
from reconciler.text.glossary import display_serial
from reconciler.text.labels import code_label
from reconciler.text.report import labels

FINDINGS_COLUMNS = ("sheet", "row", "asset_id", "code", "accepted", "comment")  # fixed: read back
CONTEXT_COLUMNS = (
    "severity",
    "message",
    "inventory_number",
    "name",
    "location",
    "custodian",
    "serial",
    "book_value",
    "it_value",
    "amount",
    "accepted_by",
    "accepted_at",
)
ACCEPTED_TEXT: dict[str, dict[str, Any]] = {
    "ru": {
        "accepted": "Принято (исключение)",
        "comment": "Комментарий",
        "yes_no": ("да", "нет"),
        "accepted_by": "Кто принял",
        "accepted_at": "Когда принято",
        "kind": "Вид",
    },
    "en": {
        "accepted": "Accepted (exception)",
        "comment": "Comment",
        "yes_no": ("yes", "no"),
        "accepted_by": "Accepted by",
        "accepted_at": "Accepted on",
        "kind": "Kind",
    },
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
_WIDTHS: list[float] = [16, 8, 14, 38, 14, 30, 12, 60, 16, 36, 28, 24, 20, 24, 24, 16, 16, 12]


def by_severity_then_amount(
    lines: list[tuple[Finding, BookRow | None, Asset | None]],
) -> list[tuple[Finding, BookRow | None, Asset | None]]:
    """Discrepancies before notes; the most severe first; within a severity, the largest.

    A stable sort: equal findings keep the register's order (sheet, row). Two stable sorts,
    the largest first and then by group, give that order with no Python call per finding for
    the group, which few (note, severity) pairs decide (27k findings at 100k rows)."""
    groups: dict[tuple[bool, FindingCode, Severity], tuple[int, int]] = {}
    keys = []
    for f, _row, _asset in lines:
        group = (f.accepted, f.code, f.severity)
        key = groups.get(group)
        if key is None:
            key = groups[group] = (int(f.is_note), SEVERITY_ORDER.get(str(f.severity), 9))
        keys.append(key)
    amounts = [f.amount or _ZERO for f, _row, _asset in lines]
    largest = sorted(range(len(lines)), key=amounts.__getitem__, reverse=True)
    in_order = sorted(largest, key=keys.__getitem__)
    return [lines[i] for i in in_order]


_ZERO = Decimal(0)


def headers(language: str, *, codes: bool) -> list[str]:
    t = labels(language)
    c, a = t["finding_columns"], ACCEPTED_TEXT[language]
    asset = t["asset_columns"]
    names = {
        **c,
        **a,
        "code": c["code"] if codes else a["kind"],
        "location": asset["location"],
        "custodian": asset["custodian"],
        "serial": asset["serial"],
    }
    return [str(names[k]) for k in (*FINDINGS_COLUMNS, *CONTEXT_COLUMNS)]


KIND_COLUMN = FINDINGS_COLUMNS.index("code")


def kind_cell(f: Finding, language: str, *, codes: bool) -> str:
    """Column D: the code itself (the IT workbook) or its name in words."""
    return f.code if codes else code_label(f.code, language)


def finding_lines(
    lines: list[tuple[Finding, BookRow | None, Asset | None]], language: str, *, codes: bool
) -> list[list[Any]]:
    """Each finding's line of the sheet. What repeats across findings (the kind and severity
    in words, the labels) is made once per distinct value: at 100k rows 27k lines."""
    severities = labels(language)["severity"]
    yes = ACCEPTED_TEXT[language]["yes_no"][0]
    kinds: dict[str, str] = {}
    severity_words: dict[Severity, str] = {}
    out = []
    for f, row, asset in lines:
        kind = kinds.get(f.code)
        if kind is None:
            kind = kinds[f.code] = kind_cell(f, language, codes=codes)
        severity = severity_words.get(f.severity)
        if severity is None:
            name = str(f.severity)
            severity = severity_words[f.severity] = severities.get(name, name)
        # Each of these from the register row, else from the asset (a row or an asset that
        # is not there gives Nones: the same `or`).
        ours = _CONTEXT(row) if row is not None else _NO_CONTEXT
        theirs = _CONTEXT(asset) if asset is not None else _NO_CONTEXT
        accepted_by = (
            None
            if f.accepted_by is None and f.accepted_on_row is None
            else " — ".join(filter(None, [f.accepted_by, accepted_on_row(f, language)])) or None
        )
        out.append(
            [
                f.sheet,
                f.row,
                f.asset_id,
                kind,
                yes if f.accepted else None,
                f.accepted_comment,
                severity,
                f.message,
                ours[0] or theirs[0],
                ours[1] or theirs[1],
                ours[2] or theirs[2],
                ours[3] or theirs[3],
                display_serial(ours[4] or theirs[4]),
                f.book_value,
                f.it_value,
                f.amount,
                # Not in the comment column: that one is read back as the reviewer's own words.
                accepted_by,
                (f.accepted_at or "")[:10] or None,
            ]
        )
    return out


_CONTEXT = attrgetter("inventory_number", "name", "location", "custodian", "serial")
_NO_CONTEXT = (None,) * 5


def accepted_line(f: Finding, language: str) -> str:
    """'принял ivanova 01.12.2026: known, being moved': who accepted it, when, and why."""
    when = (f.accepted_at or "")[:10]
    if language == "ru" and len(when) == 10:
        when = f"{when[8:10]}.{when[5:7]}.{when[0:4]}"
    text = labels(language)["summary"]["accepted_by"].format(who=f.accepted_by or "—", when=when)
    text = f"{text}: {f.accepted_comment}" if f.accepted_comment else text
    return f"{text} ({on_row})" if (on_row := accepted_on_row(f, language)) else text


def accepted_on_row(f: Finding, language: str) -> str | None:
    """For the other line of an accepted duplicate pair: which row the decision was taken on
    and that it covers this one too."""
    if f.accepted_on_row is None:
        return None
    return str(labels(language)["summary"]["accepted_on_row"].format(row=f.accepted_on_row))


def said(value: str | None, folded: str) -> bool:
    """Whether a message (`folded`: casefolded) already says `value` (each of its words): not
    repeated beside it. A value the message holds whole holds each of its words: most
    values, told by one search."""
    if not value:
        return True
    words = value.casefold()
    return words in folded or all(word in folded for word in words.split())


def comment_text(findings: list[Finding], language: str) -> str:
    """A register row's findings as its cell comment says them: the kind in words, the
    severity, the message; each side's value only when the message does not say it already;
    an accepted finding with who accepted it, when and why."""
    severities = labels(language)["severity"]
    book_word, it_word = ("Учет", "ИТ") if language == "ru" else ("Books", "IT")
    parts = []
    for f in findings:
        name = str(f.severity)
        lines = [f"[{severities.get(name, name)}] {f.message}"]  # the message names the kind
        message = f.message.casefold()
        if not said(f.book_value, message):
            lines.append(f"{book_word}: {f.book_value}")
        if not said(f.it_value, message):
            lines.append(f"{it_word}: {f.it_value}")
        if f.accepted:
            lines.append(accepted_line(f, language))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def write_findings_sheet(
    book: TableBook,
    result: RunResult,
    language: str,
    *,
    codes: bool = False,
    shared: SharedTables | None = None,
) -> TableSheet:
    """One line per finding; Accepted (a yes/no list) marks a known exception for later runs.

    `codes`: the code itself in column D (the IT workbook) rather than its name in words.
    Written as sheet XML straight into the package (table_writer): one line per finding can
    be tens of thousands of lines. `shared`: the run's tables; the other workbook's lines are
    taken with only column D told again.
    """
    t = labels(language)
    yes, no = ACCEPTED_TEXT[language]["yes_no"]
    ws = book.sheet(t["sheet_findings"])
    key = f"findings {language} {codes}"
    if shared is None or not shared.take(key, ws):
        lines, rows = _finding_rows(result, language, codes, shared)
        fills = [FILL_COLOURS["accepted"] if f.accepted else None for f, _row, _asset in lines]
        # The reviewer types in E and F: room for them even before any value.
        write_table(
            book,
            ws,
            headers(language, codes=codes),
            rows,
            widths=_WIDTHS,
            fills=fills,
            least={4: 14, 5: 30},
        )
        if shared is not None:
            shared.keep(key, ws)
    ws.data_validation(ListValidation(4, 1, max(len(ws.rows), 1), [yes, no], show_error=True))
    return ws


def _finding_rows(
    result: RunResult, language: str, codes: bool, shared: SharedTables | None
) -> tuple[list[tuple[Finding, BookRow | None, Asset | None]], list[list[Any]]]:
    made = None if shared is None else shared.findings.get(language)
    if made is None:
        lines = by_severity_then_amount(list(findings_with_sources(result)))
        rows = finding_lines(lines, language, codes=codes)
        if shared is not None:
            shared.findings[language] = (lines, rows, codes)
        return lines, rows
    lines, rows, made_with_codes = made
    if made_with_codes != codes:
        d = KIND_COLUMN
        rows = [
            [*row[:d], kind_cell(f, language, codes=codes), *row[d + 1 :]]
            for row, (f, _row, _asset) in zip(rows, lines, strict=True)
        ]
    return lines, rows
