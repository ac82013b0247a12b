"""Read any register or inventory file into grids of cells with Excel's own row numbers.

The format comes from the first bytes, never the extension (PITFALLS.md): `PK` zip is xlsx,
xlsm or ods; `D0 CF 11 E0` OLE is a legacy xls or an encrypted xlsx (msoffcrypto tells
which); `<` is HTML or XML Spreadsheet 2003 (xmlss.py) that 1C and web exports save as
".xls"; anything else that decodes as text is CSV. calamine does the reading (fast) but skips
leading empty rows and columns, so every grid here starts at A1: `cells[0][0]` is A1 and row
index + 1 is the Excel row.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import python_calamine as calamine

from reconciler.errors import InputError
from reconciler.models import ReadingNote
from reconciler.read.htmltable import HtmlTable, parse_html_tables
from reconciler.read.xmlss import is_xml_spreadsheet, read_xml_spreadsheet
from reconciler.text.reading_notes import note

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Files people attach by mistake, named so the message says what arrived.
# Each with its key in text/errors_opening.FOUND_KINDS, which names it in the sender's language.
KNOWN_NOT_SHEETS = {
    b"%PDF": ("PDF document", "pdf"),
    b"\x89PNG": ("PNG image", "png"),
    b"\xff\xd8\xff": ("JPEG image", "jpeg"),
    b"GIF8": ("GIF image", "gif"),
    b"Rar!": ("RAR archive", "rar"),
    b"7z\xbc\xaf": ("7-Zip archive", "7z"),
    b"\x1f\x8b": ("gzip archive", "gzip"),
    b"{\\rtf": ("RTF document", "rtf"),
}
SAVE_AS_XLSX = "open it in Excel (or LibreOffice) and save it as .xlsx"

# A cell value as read: text, number, bool, date/datetime/time, or "" for an empty cell.
Cell = Any
MergedRange = tuple[int, int, int, int]  # first row, first col, last row, last col; 0-based


@dataclass
class Grid:
    """One sheet, rectangular from A1; `merged` is None when the format cannot say."""

    name: str
    cells: list[list[Cell]]
    merged: list[MergedRange] | None = None
    # The real used range, from the values (formatting ignored): 0 for an empty sheet.
    max_row: int = field(init=False)  # 1-based last row holding a value
    max_column: int = field(init=False)  # 1-based last column holding a value

    def __post_init__(self) -> None:
        self.max_row = self.max_column = 0
        for r, line in enumerate(self.cells):
            last = len(line)
            while last:  # trailing None, "" and blank text; inline: this runs for every row read
                value = line[last - 1]
                if value is None or (isinstance(value, str) and (not value or value.isspace())):
                    last -= 1
                else:
                    break
            if last:
                self.max_row = r + 1
                if last > self.max_column:
                    self.max_column = last

    def value(self, row: int, col: int) -> Cell:
        """0-based access that treats anything outside the grid as empty."""
        if row < len(self.cells):
            line = self.cells[row]
            if col < len(line):
                return line[col]
        return ""


@dataclass
class Workbook:
    path: Path
    file_name: str  # for messages
    format: str  # xlsx, xlsm, xls, ods, csv, html, xml (XML Spreadsheet 2003)
    sheet_names: list[str]
    _reader: Any = field(default=None, repr=False)
    # What reading decided that a person should know: a text file's guessed encoding.
    notes: list[ReadingNote] = field(default_factory=list)

    def sheets(self) -> Iterator[Grid]:
        for name in self.sheet_names:
            yield self.sheet(name)

    def sheet(self, name: str) -> Grid:
        grid: Grid = self._reader(name)
        return grid


def _fail(
    file_name: str, message: str, hint: str | None = None, *, code: str, **params: Any
) -> InputError:
    return InputError(message, file=file_name, hint=hint, code=code, params=params)


def _password_protected(file_name: str) -> InputError:
    return _fail(
        file_name,
        "the workbook is password protected",
        "save it without a password and send it again",
        code="PASSWORD_PROTECTED",
    )


def detect_format(path: Path, *, file_name: str | None = None) -> str:
    """xlsx, xlsm, ods, xls, html, xml or csv, from the bytes; InputError for anything else."""
    name = file_name or path.name
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise _fail(
            name, f"file not found at {path}", code="FILE_NOT_FOUND", path=str(path)
        ) from None
    except OSError as e:
        raise _fail(
            name,
            f"cannot open the file ({e.strerror})",
            "check it is not locked",
            code="CANNOT_OPEN",
            detail=e.strerror,
        ) from None
    if not head:
        raise _fail(
            name, "the file is empty (0 bytes)", "export the register again", code="EMPTY_FILE"
        )
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        return _zip_format(path, name)
    if head.startswith(OLE_MAGIC):
        return _ole_format(path, name)
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text_head.startswith(b"<"):
        return "xml" if is_xml_spreadsheet(text_head) else "html"
    for magic, (kind, key) in KNOWN_NOT_SHEETS.items():
        if head.startswith(magic):
            raise _fail(
                name,
                f"not a spreadsheet: expected xlsx, xlsm, xls, ods or csv, found a {kind}",
                "export the register from your accounting system as Excel (.xlsx)",
                code="NOT_A_SPREADSHEET",
                found=key,
            )
    if b"\x00" in head:
        raise _fail(
            name,
            "not a spreadsheet: expected xlsx, xlsm, xls, ods or csv, found binary data",
            "export the register from your accounting system as Excel (.xlsx)",
            code="NOT_A_SPREADSHEET",
            found="binary",
        )
    return "csv"


def _zip_format(path: Path, name: str) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names:
                mime = z.read("mimetype").decode("ascii", "replace").strip()
                if mime == "application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
                raise _fail(
                    name,
                    f"not a spreadsheet: an OpenDocument file of type {mime}",
                    SAVE_AS_XLSX,
                    code="NOT_A_SPREADSHEET",
                    found="opendocument",
                    mime=mime,
                )
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                types = z.read("[Content_Types].xml").decode("utf-8", "replace")
                return "xlsm" if "macroEnabled" in types else "xlsx"
    except zipfile.BadZipFile:
        raise _fail(
            name,
            "the file is incomplete or damaged (a broken zip archive)",
            "copy it again, or open it in Excel and save it again",
            code="HALF_WRITTEN",
        ) from None
    raise _fail(
        name,
        "not a spreadsheet: a zip archive without a workbook in it (a Word file or an archive?)",
        "export the register as Excel (.xlsx)",
        code="NOT_A_SPREADSHEET",
        found="zip",
    )


def _ole_format(path: Path, name: str) -> str:
    import msoffcrypto
    from msoffcrypto.exceptions import FileFormatError

    try:
        with path.open("rb") as f:
            office = msoffcrypto.OfficeFile(f)
            encrypted = office.is_encrypted()
            kind = type(office).__name__
    except FileFormatError:
        raise _fail(
            name,
            "not a spreadsheet: an old-style Office file that is not an Excel workbook",
            "export the register as Excel (.xlsx)",
            code="NOT_A_SPREADSHEET",
            found="old_office",
        ) from None
    except Exception as e:  # msoffcrypto raises bare errors on damaged OLE headers
        raise _fail(
            name,
            f"the file is damaged and cannot be read ({e})",
            SAVE_AS_XLSX,
            code="DAMAGED_FILE",
            detail=str(e),
        ) from None
    if encrypted:
        raise _password_protected(name)
    if kind != "Xls97File":
        raise _fail(
            name,
            "not a spreadsheet: a Word or PowerPoint file",
            SAVE_AS_XLSX,
            code="NOT_A_SPREADSHEET",
            found="word_or_powerpoint",
        )
    return "xls"


def _calamine_open(path: Path, fmt: str) -> Any:
    """calamine picks its reader by the name's extension: an xlsx named .xls meets the xls
    reader ("Cfb error: Invalid OLE"). A name that does not say the format the bytes do is
    read from the open file instead, where calamine looks at the content."""
    if path.suffix.lower().lstrip(".") == fmt:
        return calamine.CalamineWorkbook.from_path(str(path))
    with path.open("rb") as f:
        return calamine.CalamineWorkbook.from_filelike(f)


def open_workbook(path: Path, *, file_name: str | None = None) -> Workbook:
    """Open any supported file; sheets are read lazily, one Grid each."""
    name = file_name or path.name
    fmt = detect_format(path, file_name=name)
    if fmt == "csv":
        grid, encoding = _read_csv(path, name)
        notes = (
            [] if encoding == "utf-8" else [note("ENCODING_GUESSED", file=name, encoding=encoding)]
        )
        return Workbook(path, name, fmt, [grid.name], lambda _n: grid, notes)
    if fmt == "xml":
        xml_grids = {
            title: Grid(title, cells, merged)
            for title, cells, merged in read_xml_spreadsheet(path, name)
        }
        return Workbook(path, name, fmt, list(xml_grids), lambda n: xml_grids[n])
    if fmt == "html":
        tables = _read_html(path, name)
        grids = {t.name: t for t in tables}
        return Workbook(path, name, fmt, list(grids), lambda n: grids[n])
    try:
        book = _calamine_open(path, fmt)
        names = [
            m.name
            for m in book.sheets_metadata
            if m.typ == calamine.SheetTypeEnum.WorkSheet
            and m.visible == calamine.SheetVisibleEnum.Visible
        ] or list(book.sheet_names)
    except calamine.PasswordError:
        raise _password_protected(name) from None
    except Exception as e:  # calamine's errors are many and untyped; all mean "cannot read"
        raise _fail(
            name,
            f"the {fmt} file cannot be read ({e})",
            SAVE_AS_XLSX,
            code="UNREADABLE_FILE",
            format=fmt,
            detail=str(e),
        ) from None

    def read_sheet(sheet_name: str) -> Grid:
        try:
            sheet = book.get_sheet_by_name(sheet_name)
            cells = sheet_cells(sheet)
            merged = sheet.merged_cell_ranges
        except Exception as e:
            raise InputError(
                f"the sheet cannot be read ({e})",
                file=name,
                sheet=sheet_name,
                hint=SAVE_AS_XLSX,
                code="UNREADABLE_SHEET",
                params={"detail": str(e)},
            ) from None
        ranges = None if merged is None else [(a[0], a[1], b[0], b[1]) for a, b in merged]
        return Grid(sheet_name, cells, ranges)

    return Workbook(path, name, fmt, names, read_sheet)


def sheet_cells(sheet: Any) -> list[list[Cell]]:
    """A calamine sheet's cells from A1, as `to_python(skip_empty_area=False)` gives them, read
    a row at a time with each distinct text kept as one object.

    Why: `to_python` makes one string per text cell, all at once: 2.6M at 150k assets, 0.54M
    of them distinct. The repeats, let go once the rows were parsed, had been made among the
    texts that stay, and left a hole beside each of those: the inventory's cold load left
    ~160 MB of such holes in Python's small-object arenas, resident under the match stage,
    the run's peak (BENCHMARKS.md, issue 16, sixth pass). Read a row at a time, a row's
    repeats are let go before the next row is made, which takes their places.

    `iter_rows` gives the rows from the sheet's first but the columns from its first used
    one (calamine 0.9): the columns before it are put back as empty cells."""
    seen: dict[str, str] = {}
    keep = seen.setdefault
    lead = [""] * (sheet.start[1] if sheet.start else 0)
    return [
        [*lead, *(keep(v, v) if type(v) is str else v for v in row)]
        if lead
        else [keep(v, v) if type(v) is str else v for v in row]
        for row in sheet.iter_rows()
    ]


# --- CSV ---------------------------------------------------------------------------------

# A text file is UTF-8 (with or without a BOM), else one single-byte code page guessed once
# for the whole file: Windows-1251 when its letters make Cyrillic words, else a Western one
# (Mac Roman for a file with old-Mac CR line ends, Windows-1252 otherwise); said as a note.
_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]{3,}")
_MIXED_WORD = re.compile(r"(?=\w*[A-Za-z])(?=\w*[А-Яа-яЁёЂ-џ])\w+")


def guess_encoding(raw: bytes) -> str | None:
    """ "utf-8", "cp1251", "cp1252" or "mac_roman": one guess for the whole file; None when
    the bytes look like none of them."""
    try:
        codecs.decode(raw, "utf-8-sig")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    as_cyrillic = codecs.decode(raw, "cp1251", errors="replace")
    # Russian text decodes to whole Cyrillic words; Western bytes to Cyrillic letters
    # stuck inside Latin words ("LutsЉЫЄk").
    mixed = len(_MIXED_WORD.findall(as_cyrillic))
    if mixed and mixed >= len(_CYRILLIC_WORD.findall(as_cyrillic)):
        if b"\r" in raw and b"\n" not in raw:
            return "mac_roman"
        try:
            codecs.decode(raw, "cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "mac_roman"  # defines every byte
    try:
        codecs.decode(raw, "cp1251")
        return "cp1251"
    except UnicodeDecodeError:
        return None


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    encoding = guess_encoding(raw)
    if encoding is None:
        raise _fail(
            name,
            "the text file is neither UTF-8 nor Windows-1251",
            "save it as UTF-8 CSV",
            code="UNKNOWN_ENCODING",
        )
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    return codecs.decode(raw, codec), encoding


def _delimiter(text: str) -> str:
    """The one of ; tab , | # that splits the first lines most consistently (quotes respected):
    a pipe is what many exports write, and product catalogues use '#'."""
    sample = text[:65536].splitlines()[:50]
    best, best_score = ",", -1.0
    for candidate in (";", "\t", ",", "|", "#"):
        counts = [len(row) for row in csv.reader(sample, delimiter=candidate) if row]
        if not counts:
            continue
        widest = max(counts)
        if widest < 2:
            continue
        # Rows of the dominant width, weighted by that width: title lines do not decide.
        common = max(set(counts), key=counts.count)
        score = counts.count(common) * common if common > 1 else widest
        if score > best_score:
            best, best_score = candidate, score
    return best


def _read_csv(path: Path, name: str) -> tuple[Grid, str]:
    text, encoding = _decode(path.read_bytes(), name)
    if not text.strip():
        raise _fail(name, "the file is empty", "export the register again", code="EMPTY_FILE")
    delimiter = _delimiter(text)
    try:
        cells: list[list[Cell]] = [
            list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as e:
        raise _fail(
            name,
            f"the CSV file cannot be read ({e})",
            "export it again",
            code="UNREADABLE_FILE",
            format="csv",
            detail=str(e),
        ) from None
    return Grid(Path(name).stem or "csv", cells, merged=None), encoding


# --- HTML saved as .xls ------------------------------------------------------------------


def _read_html(path: Path, name: str) -> list[Grid]:
    raw = path.read_bytes()
    text = _decode_html(raw, name)
    tables: list[HtmlTable] = parse_html_tables(text)
    grids = []
    for i, table in enumerate(tables, start=1):
        grid = Grid(table.name or f"Sheet{i}", table.cells, table.merged)
        if grid.max_row:
            grids.append(grid)
    if not grids:
        raise _fail(
            name,
            "an HTML page saved as a spreadsheet, with no table in it",
            "export the register as Excel (.xlsx)",
            code="NO_TABLE",
        )
    return grids


def _decode_html(raw: bytes, name: str) -> str:
    head = raw[:4096].decode("ascii", "replace").lower()
    for marker in ("charset=", "encoding="):
        at = head.find(marker)
        if at >= 0:
            declared = head[at + len(marker) :].strip("\"' ").split('"')[0].split("'")[0]
            declared = declared.split(";")[0].split(">")[0].strip()
            try:
                return codecs.decode(raw, declared)
            except (LookupError, UnicodeDecodeError):
                break
    return _decode(raw, name)[0]


def cell_text(value: Cell) -> str:
    """A cell as a person reads it: integral floats without ".0", dates as dd.mm.yyyy."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M") if value.time() != time() else f"{value:%d.%m.%Y}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
