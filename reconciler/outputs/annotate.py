"""The annotated copy of the accountant's workbook: every part of theirs kept, our columns
beside their table, our sheets after theirs.

The copy is streamed, never loaded: each zip member is copied as it was, except the register
sheets' XML (read once; our cells added to each data row, our column widths, header merges,
autofilter and frozen header: sheet_stream), styles.xml (our formats appended:
styles_append), workbook.xml with its rels and [Content_Types].xml (our sheets, grafted from a
side workbook: graft) and the custom document properties (the run id a reply is recognised
by). Drawings, comments, x14 extensions, VBA, pivots, defined names and print settings stay
byte for byte, so nothing is lost and nothing needs saying. xls, ods, csv and html exports get
an .xlsx copy of their values first (grid_copy), then the same treatment.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import os
import tempfile
from pathlib import Path
from typing import IO

from reconciler.atomic import open_atomically
from reconciler.config import Config
from reconciler.models import RunResult, SheetInfo
from reconciler.names import fit
from reconciler.outputs.added_sheets import (
    add_review_sheet,
    add_summary_sheet,
    write_not_on_books_sheet,
)
from reconciler.outputs.figures import Figures, run_figures
from reconciler.outputs.findings_table import write_findings_sheet
from reconciler.outputs.forked import Forked, ForkRefused, Send, can_fork
from reconciler.outputs.grid_copy import copy_grid_workbook
from reconciler.outputs.print_setup import print_titles
from reconciler.outputs.register_columns import (
    findings_by_row,
    finish_plan,
    plan_cells,
    right_edge,
    rows_by_sheet,
)
from reconciler.outputs.register_comments import CommentParts, make_comments, name_comment_parts
from reconciler.outputs.sheet_stream import extend_sheet, styled_cells
from reconciler.outputs.side_sheets import SheetAssembly, mark_run
from reconciler.outputs.styles_append import FontInfo, StyleBook
from reconciler.outputs.table_writer import SharedTables, TableBook
from reconciler.outputs.xlsx_package import Package, Pending
from reconciler.outputs.xml_parts import find_start, get_attr, root_prefix
from reconciler.outputs.zip_members import Spool, Spooled
from reconciler.rules import Rules

log = logging.getLogger(__name__)

STREAMED_FORMATS = ("xlsx", "xlsm")
VALUES_ONLY = (
    "копия .xlsx из файла {fmt}: перенесены только значения (и объединения ячеек, где они "
    "известны); шрифты, заливки, ширины столбцов и форматы чисел исходного файла не переносятся",
    "an .xlsx copy of the {fmt} file: values only (and merged cells where known); fonts, "
    "fills, column widths and number formats of the original are not carried over",
)
OWN_COMMENTS = (
    "на листе «{sheet}» есть свои примечания: они сохранены как были, а подробности "
    "расхождений — в столбце замечаний и на листе замечаний, не в примечаниях",
    "sheet '{sheet}' has comments of its own: they are kept as they were, and the details "
    "of each finding are in the findings column and sheet instead of in comments",
)


def annotated_name(file_name: str, fmt: str) -> str:
    suffix = ".reconciled.xlsm" if fmt == "xlsm" else ".reconciled.xlsx"
    # room: the dot and `.tmp` of its atomic write
    return fit(Path(file_name).stem + suffix, room=5, suffix=suffix)


def write_annotated_workbook(
    result: RunResult,
    rules: Rules,
    config: Config,
    figures: Figures | None = None,
    shared: SharedTables | None = None,
) -> tuple[Path, list[str]]:
    """Write <stem>.reconciled.xlsx (.xlsm) into result.run_dir; return it and what the copy
    could not keep of the original (only for formats that get a values copy). `figures`: the
    run's (figures.run_figures), computed here when not given; `shared`: the run's long tables,
    which the IT workbook shows too (table_writer.SharedTables)."""
    register = result.register
    out = result.run_dir / annotated_name(register.file_name, register.format)
    language = config.report.language
    figures = figures or run_figures(result, language)
    with open_atomically(out) as f:
        lost = build_annotated_workbook(result, rules, language, f, figures, shared)
    log.info("annotated workbook %s", out.name)
    return out, lost


def build_annotated_workbook(
    result: RunResult,
    rules: Rules,
    language: str,
    out: IO[bytes],
    figures: Figures | None = None,
    shared: SharedTables | None = None,
    *,
    parallel: bool | None = None,
) -> list[str]:
    """Write the annotated workbook to `out`; return what it could not keep.

    `parallel`: the register sheets made by a forked worker while this process makes our
    sheets (None: when there is a second core and the register is large enough to gain)."""
    register = result.register
    names: dict[str, str]
    if register.format in STREAMED_FORMATS:
        source: Path | IO[bytes] = register.path
        lost: list[str] = []
        names = {}
    else:
        data, names = copy_grid_workbook(register.path, register.file_name)
        source = io.BytesIO(data)
        lost = [VALUES_ONLY[language == "en"].format(fmt=register.format)]
    if parallel is None:
        parallel = len(result.match.rows) >= PARALLEL_FROM_ROWS and can_fork()
        if parallel:
            log.info("annotate: the register sheets made by a worker beside this process")
    figures = figures or run_figures(result, language)
    name = getattr(out, "name", None)
    spool_dir = os.path.dirname(name) if isinstance(name, str) and os.path.isabs(name) else None
    package = Package.open(source)
    try:
        with contextlib.ExitStack() as stack:
            step = _RegisterStep(package, result, rules, language, names)
            tables = shared if shared is not None else SharedTables()
            ahead: TableBook | None = None
            notes: list[str] | None = None
            if parallel:
                try:
                    notes, ahead = _register_in_worker(step, stack, tables, spool_dir)
                except ForkRefused as refused:
                    # Nothing was started: the same sheets, made here, a little later.
                    log.warning("annotate: %s; the register sheets made in this process", refused)
            if notes is None:
                notes, comments = step()
                _make_comments(package, comments, result, language)
            _add_our_sheets(
                package, step.styles, result, language, lost, notes, figures, tables, ahead
            )
            package.write(out, spool_dir=spool_dir)
    finally:
        package.close()
    return lost


# Below this many register rows the sheets are made here: a fork and its messages cost more
# than the few tenths of a second they would save (BENCHMARKS.md, issue 16).
PARALLEL_FROM_ROWS = 20_000


class _RegisterStep:
    """The register sheets extended (our columns planned, their comments' parts named, the print
    titles set): in this process, or in a worker (_register_in_worker)."""

    def __init__(
        self,
        package: Package,
        result: RunResult,
        rules: Rules,
        language: str,
        names: dict[str, str],
    ) -> None:
        self.package, self.result, self.rules = package, result, rules
        self.language, self.names = language, names
        styles_part = package.styles_part()
        self.styles = StyleBook(package.read(styles_part) if styles_part else None)

    def __call__(self) -> tuple[list[str], list[CommentParts]]:
        """Notes for the summary sheet (an autofilter kept, comments not added); the parts our
        finding comments go in, named, their content still to make (_make_comments)."""
        return _extend_register_sheets(
            self.package, self.result, self.rules, self.language, self.names, self.styles
        )


def _register_in_worker(
    step: _RegisterStep, stack: contextlib.ExitStack, shared: SharedTables, spool_dir: str | None
) -> tuple[list[str], TableBook]:
    """The register sheets made by a forked worker: their plan (the styles it added, the
    package's changed parts, the notes, the parts of the finding comments) comes back as soon
    as it is made, their XML is deflated by the worker into a spool, copied raw when the
    package is written. Meanwhile this process lays out the long tables (`shared`) and makes
    their formats in a copy of the styles (_tables_ahead): they need nothing else from the
    register. Then it makes the comments' text (register_comments), which the worker's XML
    does not wait for.

    The styles our sheets add come after the register's, as when made in one process: the
    worker's StyleBook is taken whole, then ours are added to it (the tables' made again)."""
    package = step.package
    spool = Spool(tempfile.TemporaryFile(dir=spool_dir))  # noqa: SIM115 (closed by the stack)
    stack.callback(spool.close)

    def work(send: Send) -> None:
        package.reopen()  # its own file offset: this process reads the same zip meanwhile
        notes, comments = step()
        send((step.styles, package.changes(), notes, comments))
        made = {**package.replaced, **package.added}
        spool.write({n: c for n, c in made.items() if not isinstance(c, bytes | Spooled | Pending)})

    worker = stack.enter_context(Forked(work, "annotate: the register sheets"))
    spool.ready = worker.finish
    tables = _tables_ahead(package, step.styles, step.result, step.language, shared)
    styles, changes, notes, comments = worker.receive()
    step.styles = styles
    package.adopt(changes, {n: Spooled(spool, n) for n in changes.given_as_pieces()})
    _make_comments(package, comments, step.result, step.language)
    return list(notes), tables


def _make_comments(
    package: Package, comments: list[CommentParts], result: RunResult, language: str
) -> None:
    if comments:
        by_row = findings_by_row(result)
        for parts in comments:
            make_comments(package, parts, by_row, language)


def _tables_ahead(
    package: Package, styles: StyleBook, result: RunResult, language: str, shared: SharedTables
) -> TableBook:
    """The long tables laid out (into `shared` too) and their formats made, in a copy of the
    styles: the register's formats, made meanwhile by the worker, come first in the package's
    (SheetAssembly.prepared_tables makes ours again after them)."""
    book = TableBook(package, copy.deepcopy(styles), [])
    _write_tables(book, result, language, shared)
    book.prepare()
    return book


def _write_tables(book: TableBook, result: RunResult, language: str, shared: SharedTables) -> None:
    write_not_on_books_sheet(book, result, language, shared)
    write_findings_sheet(book, result, language, shared=shared)


def _extend_register_sheets(
    package: Package,
    result: RunResult,
    rules: Rules,
    language: str,
    names: dict[str, str],
    styles: StyleBook,
) -> tuple[list[str], list[CommentParts]]:
    register = result.register
    entries = package.sheets()
    parts = {e.name: e.part for e in entries}
    book_xml = package.read(package.workbook_part())
    book_pr = find_start(book_xml, root_prefix(book_xml), "workbookPr")
    date1904 = book_pr is not None and get_attr(book_pr.group(), "date1904") in ("1", "true")
    by_row = findings_by_row(result)
    by_id = result.inventory.by_id()
    matches = rows_by_sheet(result)
    notes: list[str] = []
    comments: list[CommentParts] = []
    titled: list[tuple[SheetInfo, int]] = []  # annotated sheets and their positions
    for info in register.sheets:
        part = parts.get(names.get(info.name, info.name))
        if part is None:
            log.warning("sheet %r of the register is not in the workbook; not annotated", info.name)
            continue
        # The sheet's XML inflated by a thread (ISA-L lets go of the interpreter lock) while
        # our cells are planned: they need it only to be placed (0.15-0.3 s at 100k rows).
        reading = package.read_beside(part)
        cells = plan_cells(
            info,
            matches.get(info.name, []),
            by_row,
            by_id,
            rules,
            language,
            styles,
            date1904=date1904,
        )
        xml = reading()
        first = right_edge(xml, info) + 1
        prefix = root_prefix(xml)
        data = find_start(xml, prefix, "sheetData")
        head_end = len(xml) if data is None else data.start()
        tail_start = max(xml.rfind(b"sheetData>"), 0)
        own_filter = find_start(xml, prefix, "autoFilter", tail_start)
        plan = finish_plan(
            cells,
            styles,
            first=first,
            header_font=_header_font(xml, info, first, styles),
            keep_autofilter=own_filter is not None,
            freeze=find_start(xml, prefix, "pane", 0, head_end) is None,
        )
        if own_filter is not None:
            ref = get_attr(own_filter.group(), "ref") or ""
            note = (
                f"на листе «{info.name}» уже был автофильтр {ref}: он сохранен, "
                "для добавленных столбцов фильтр не ставился"
                if language == "ru"
                else f"sheet '{info.name}' already had an autofilter on {ref}: "
                "it is kept, none was added for the new columns"
            )
            notes.append(note)
            log.info(note)
        if plan.comment_rows:
            named = name_comment_parts(package, part, xml, tail_start, info.name, plan)
            if named is None:
                notes.append(OWN_COMMENTS[language == "en"].format(sheet=info.name))
            else:
                comments.append(named)
        package.replace(part, extend_sheet(xml, plan.edit))
        titled.append((info, next(i for i, e in enumerate(entries) if e.part == part)))
    if titled:  # the header rows on every printed page
        book_part = package.workbook_part()
        workbook = package.read(book_part)
        for info, index in titled:
            name = entries[index].name
            workbook = print_titles(workbook, index, name, info.header_row, info.header_end_row)
        package.replace(book_part, workbook)
    return notes, comments


def _add_our_sheets(
    package: Package,
    styles: StyleBook,
    result: RunResult,
    language: str,
    lost: list[str],
    notes: list[str],
    figures: Figures,
    shared: SharedTables,
    ahead: TableBook | None,
) -> None:
    # The short sheets (summary with its chart, review) by openpyxl; the long ones as sheet
    # XML written straight into the package (table_writer); in this order (side_sheets).
    assembly = SheetAssembly(package, styles)
    assembly.openpyxl(
        lambda wb: add_summary_sheet(wb, result, language, lost=lost, notes=notes, figures=figures),
        lambda wb: add_review_sheet(wb, result, language),
    )
    if ahead is None:
        assembly.tables(lambda book: _write_tables(book, result, language, shared))
    else:
        assembly.prepared_tables(ahead)
    assembly.finish()
    mark_run(package, result.run_id)


def _header_font(xml: bytes, info: object, first: int, styles: StyleBook) -> FontInfo:
    """The font of the accountant's own header (its last filled cell), for ours to match."""
    header_row, end_row = info.header_row, info.header_end_row  # type: ignore[attr-defined]
    cells = styled_cells(xml, range(header_row, end_row + 1))
    for row in range(end_row, header_row - 1, -1):
        for col, style, valued in sorted(cells.get(row, []), reverse=True):
            if valued and col < first:
                return styles.font_of_style(style)
    return styles.default_font()
