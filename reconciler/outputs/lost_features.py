"""What openpyxl would drop or alter when it loads and saves a workbook, read from the zip.

openpyxl keeps cell values, styles, merged ranges, widths, plain data validations, conditional
formats, images and charts, but not shapes and text boxes, the Excel 2010+ extensions kept in
<extLst> (data validation lists pointing to other sheets, data bars, sparklines, slicers),
timelines, form controls, threaded comments or the formatting of comments (PITFALLS.md). The
accountant must hear of it, so this looks inside the original file before we rewrite it and
names each loss per sheet, in the report language.
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree

log = logging.getLogger(__name__)

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# Marker in a sheet's XML -> what is lost (ru, en).
_SHEET_MARKERS: list[tuple[re.Pattern[bytes], tuple[str, str]]] = [
    (
        re.compile(rb"<x14:dataValidations?\b"),
        (
            "списки проверки данных, ссылающиеся на другие листы (расширение x14)",
            "data validation lists pointing to other sheets (x14 extension)",
        ),
    ),
    (
        re.compile(rb"<x14:conditionalFormattings?\b"),
        (
            "условное форматирование Excel 2010+ (гистограммы, наборы значков; расширение x14)",
            "Excel 2010+ conditional formats (data bars, icon sets; x14 extension)",
        ),
    ),
    (re.compile(rb"<x14:sparklineGroups?\b"), ("спарклайны", "sparklines")),
    (re.compile(rb"<x14:slicerList\b"), ("срезы", "slicers")),
    (re.compile(rb"<x15:timelineRefs?\b"), ("временные шкалы", "timelines")),
    (re.compile(rb"<(?:\w+:)?controls?\b"), ("элементы управления формы", "form controls")),
]
_DRAWING_SHAPE = re.compile(rb"<(?:xdr:)?(?:sp|cxnSp|grpSp)\b")
_WHOLE_FILE: list[tuple[str, tuple[str, str]]] = [
    ("xl/slicers/", ("срезы", "slicers")),
    ("xl/timelines/", ("временные шкалы", "timelines")),
    (
        "xl/pivotTables/",
        (
            "сводные таблицы: сохраняются, но их оформление может измениться; обновите их в Excel",
            "pivot tables: kept, but their formatting may change; refresh them in Excel",
        ),
    ),
    (
        "xl/externalLinks/",
        (
            "связи с внешними книгами: сохраняются, но сохраненные значения не обновлены",
            "links to external workbooks: kept, but their cached values are not refreshed",
        ),
    ),
    ("xl/threadedComments/", ("цепочки примечаний (новые примечания Excel)", "threaded comments")),
    ("xl/activeX/", ("элементы ActiveX", "ActiveX controls")),
]


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part path in the zip -> sheet name as the user sees it."""
    try:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")}
    found = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        found[posixpath.normpath(path)] = sheet.get("name", "")
    return found


def _related(z: zipfile.ZipFile, part: str, kind: str) -> list[str]:
    """Parts a sheet points to through its .rels whose relationship type ends with `kind`."""
    folder, name = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    try:
        rels = ElementTree.fromstring(z.read(rels_path))
    except (KeyError, ElementTree.ParseError):
        return []
    out = []
    for r in rels.iter(f"{_NS_PKG_REL}Relationship"):
        if r.get("Type", "").endswith("/" + kind) and r.get("TargetMode") != "External":
            target = r.get("Target", "")
            joined = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            out.append(posixpath.normpath(joined))
    return out


def detect_lost_features(path: Path, language: str = "ru") -> list[str]:
    """Every feature of an xlsx/xlsm that a load-and-save with openpyxl drops or alters."""
    lang = 0 if language == "ru" else 1
    lost: list[str] = []

    def say(what: tuple[str, str], sheet: str | None = None) -> None:
        text = what[lang]
        if sheet is not None:
            text += f" (лист «{sheet}»)" if lang == 0 else f" (sheet '{sheet}')"
        if text not in lost:
            lost.append(text)

    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        log.warning("cannot inspect %s for features openpyxl drops: %s", path, e)
        return lost
    with z:
        names = set(z.namelist())
        for part, sheet in _sheet_paths(z).items():
            if part not in names:
                continue
            xml = z.read(part)
            for pattern, what in _SHEET_MARKERS:
                if pattern.search(xml):
                    say(what, sheet)
            for drawing in _related(z, part, "drawing"):
                if drawing in names and _DRAWING_SHAPE.search(z.read(drawing)):
                    say(("фигуры и надписи", "shapes and text boxes"), sheet)
            if _related(z, part, "comments"):
                say(("оформление примечаний (шрифт, размер)", "comment formatting"), sheet)
        for prefix, what in _WHOLE_FILE:
            if any(n.startswith(prefix) for n in names):
                say(what)
    return lost
