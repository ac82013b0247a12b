"""The accountant's xlsx as a package of parts: which part is which sheet, the parts we change,
the parts we add, and the copy written member by member.

Every member we do not change is copied as it was (same name, same bytes, same order); the
ones we change (register sheets, styles, workbook, its rels, content types, custom
properties) are replaced in place, and new members follow at the end.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from defusedxml import ElementTree

from reconciler.outputs.xml_parts import append_children, attr, get_attr, root_prefix
from reconciler.outputs.zip_members import (
    RAW_COPIED,
    Content,
    Spool,
    Spooled,
    copy_raw,
    read_member,
    write_content,
    write_member,
)

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKSHEET_REL = REL_NS + "/worksheet"
STYLES_REL = REL_NS + "/styles"
_EMPTY_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b"</Relationships>"
)


class Pending:
    """A part named before its content is made (register_comments: our finding comments,
    made by this process while annotate's worker streams the sheet): the package's order, its
    content types and relationships are settled; `Package.give` gives the content later."""

    def __iter__(self) -> Iterator[bytes]:
        raise RuntimeError("a part's content was written before it was given (Package.give)")


PENDING = Pending()
Member = Content | Spooled | Pending  # bytes, pieces, deflated ahead (zip_members), or later


def rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    """A relationship target as a part name (targets are relative to the source's folder)."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


@dataclass
class Changes:
    """A package's changed and added parts (None: given as pieces, sent otherwise), its new
    content types and relationships (Package.changes), the parts still PENDING."""

    replaced: dict[str, bytes | None]
    added: dict[str, bytes | None]
    overrides: list[tuple[str, str]]
    defaults: list[tuple[str, str]]
    rels: dict[str, list[tuple[str, str, str]]]
    pending: frozenset[str] = frozenset()

    def given_as_pieces(self) -> list[str]:
        """The parts named with no content, and not pending."""
        return [
            n
            for part in (self.replaced, self.added)
            for n, c in part.items()
            if c is None and n not in self.pending
        ]


@dataclass
class SheetEntry:
    name: str
    part: str | None  # None: a sheet whose part is missing (or a chart sheet we never edit)


@dataclass
class Package:
    """The original zip, opened for reading, and what we will write instead of or beside it."""

    path: Path | IO[bytes]
    zip: zipfile.ZipFile
    names: list[str]
    replaced: dict[str, Member] = field(default_factory=dict)
    added: dict[str, Member] = field(default_factory=dict)
    _overrides: list[tuple[str, str]] = field(default_factory=list)
    _defaults: list[tuple[str, str]] = field(default_factory=list)
    _rels: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path | IO[bytes]) -> Package:
        z = zipfile.ZipFile(path)
        return cls(path=path, zip=z, names=z.namelist())

    def close(self) -> None:
        self.zip.close()

    def reopen(self) -> None:
        """A handle of its own on the zip (in a forked worker: the parent's shares its file
        offset with ours, and reads the same zip meanwhile)."""
        if isinstance(self.path, io.BytesIO):  # in memory: the worker's own copy already
            return
        if not isinstance(self.path, str | os.PathLike):
            raise ValueError("a package read from an open file cannot be opened again")
        self.zip = zipfile.ZipFile(self.path)

    def changes(self) -> Changes:
        """What was changed and added so far, to be adopted by a copy of this package opened
        before (a forked worker's, sent to its parent). Parts given as pieces are named with
        no content: their content is sent otherwise (deflated ahead, zip_members.Spool)."""
        return Changes(
            {n: c if isinstance(c, bytes) else None for n, c in self.replaced.items()},
            {n: c if isinstance(c, bytes) else None for n, c in self.added.items()},
            list(self._overrides),
            list(self._defaults),
            {part: list(rels) for part, rels in self._rels.items()},
            frozenset(n for n, c in (*self.replaced.items(), *self.added.items()) if c is PENDING),
        )

    def adopt(self, changes: Changes, given: Mapping[str, Member]) -> None:
        """The changes of a copy of this package (changes()), in a package unchanged since;
        `given`: the content of each part they name with none (a pending one stays PENDING)."""
        if self.replaced or self.added or self._overrides or self._defaults or self._rels:
            raise RuntimeError("changes adopted by a package already changed")

        def content(name: str, made: bytes | None) -> Member:
            if made is not None:
                return made
            return PENDING if name in changes.pending else given[name]

        self.replaced = {n: content(n, c) for n, c in changes.replaced.items()}
        self.added = {n: content(n, c) for n, c in changes.added.items()}
        self._overrides, self._defaults = list(changes.overrides), list(changes.defaults)
        self._rels = {part: list(rels) for part, rels in changes.rels.items()}

    def read(self, name: str) -> bytes:
        content = self.replaced.get(name, self.added.get(name))
        if isinstance(content, bytes):
            return content
        return read_member(self.zip, name)

    def read_beside(self, name: str) -> Callable[[], bytes]:
        """`read(name)` in a thread of its own, meanwhile this one goes on (not reading this
        package): what waits for it and gives its bytes, or raises what it raised."""
        done: list[bytes] = []
        failed: list[BaseException] = []

        def read() -> None:
            try:
                done.append(self.read(name))
            except BaseException as e:  # raised in the caller's thread
                failed.append(e)

        thread = threading.Thread(target=read, name=f"read {name}", daemon=True)
        thread.start()

        def result() -> bytes:
            thread.join()
            if failed:
                raise failed[0]
            return done[0]

        return result

    def has(self, name: str) -> bool:
        return name in self.names or name in self.added

    def workbook_part(self) -> str:
        rels = ElementTree.fromstring(self.read("_rels/.rels"))
        for r in rels.iter(f"{NS_PKG_REL}Relationship"):
            if r.get("Type", "").endswith("/officeDocument"):
                return resolve("", r.get("Target", ""))
        return "xl/workbook.xml"

    def relationships(self, part: str) -> list[tuple[str, str, str, str | None]]:
        """(Id, Type, resolved target, TargetMode) of `part`'s relationships."""
        path = rels_path(part)
        if not self.has(path):
            return []
        rels = ElementTree.fromstring(self.read(path))
        return [
            (
                r.get("Id", ""),
                r.get("Type", ""),
                resolve(part, r.get("Target", "")),
                r.get("TargetMode"),
            )
            for r in rels.iter(f"{NS_PKG_REL}Relationship")
        ]

    def sheets(self) -> list[SheetEntry]:
        """Every sheet in the workbook's order, with its part when it is a worksheet."""
        book = self.workbook_part()
        targets = {rid: (kind, target) for rid, kind, target, _m in self.relationships(book)}
        out = []
        for sheet in ElementTree.fromstring(self.read(book)).iter(f"{NS_MAIN}sheet"):
            kind, target = targets.get(sheet.get(f"{NS_REL}id", ""), ("", ""))
            part = target if kind == WORKSHEET_REL and target in self.names else None
            out.append(SheetEntry(sheet.get("name", ""), part))
        return out

    def styles_part(self) -> str | None:
        for _rid, kind, target, _m in self.relationships(self.workbook_part()):
            if kind == STYLES_REL:
                return target
        return None

    def unused_name(self, pattern: str) -> str:
        """`pattern` with {n} replaced by the first number no member has."""
        taken = {n.lower() for n in (*self.names, *self.added)}
        n = 1
        while pattern.format(n=n).lower() in taken:
            n += 1
        return pattern.format(n=n)

    def add_part(self, name: str, content: Content, content_type: str | None) -> None:
        self.added[name] = content
        if content_type is not None:
            self._overrides.append(("/" + name, content_type))

    def add_default(self, extension: str, content_type: str) -> None:
        """A Default content type for an extension, unless the package already has one."""
        types = self.read("[Content_Types].xml")
        if re.search(rb'Extension="' + re.escape(extension.encode()) + rb'"', types, re.I):
            return
        if all(e.lower() != extension.lower() for e, _t in self._defaults):
            self._defaults.append((extension, content_type))

    def add_relationship(self, part: str, kind: str, target_part: str) -> str:
        """A new relationship from `part` to `target_part`; its Id, unused in that rels part."""
        taken = {rid for rid, *_rest in self.relationships(part)}
        taken |= {rid for rid, _k, _t in self._rels.get(part, [])}
        n = 1
        while f"rIdR{n}" in taken:
            n += 1
        rid = f"rIdR{n}"
        self._rels.setdefault(part, []).append((rid, kind, relative(part, target_part)))
        return rid

    def add_sheet(self, name: str, content: Content) -> str:
        """A worksheet named `name` after the workbook's last sheet; its part name."""
        book_part = self.workbook_part()
        workbook = self.read(book_part)
        prefix = root_prefix(workbook)
        ids = [int(x) for x in re.findall(rb'\ssheetId="(\d+)"', workbook)]
        part = self.unused_name("xl/worksheets/sheet{n}.xml")
        self.add_part(part, content, WORKSHEET_TYPE)
        rid = self.add_relationship(book_part, WORKSHEET_REL, part)
        p = prefix.decode()
        piece = (
            f'<{p}sheet xmlns:r="{REL_NS}" name={attr(name)} sheetId="{max([0, *ids]) + 1}" '
            f'r:id="{rid}"/>'
        ).encode()
        workbook = append_children(
            workbook, prefix, "sheets", piece, None, create_before=_AFTER_SHEETS, closing="workbook"
        )
        self._set(book_part, workbook)
        return part

    def add_defined_names(self, names: list[bytes]) -> None:
        """<definedName> elements (written without a prefix) added to workbook.xml."""
        if not names:
            return
        book_part = self.workbook_part()
        workbook = self.read(book_part)
        prefix = root_prefix(workbook)
        pieces = b"".join(
            re.sub(rb"<(/?)(\w+)(?=[\s/>])", rb"<\1" + prefix + rb"\2", n) if prefix else n
            for n in names
        )
        workbook = append_children(
            workbook,
            prefix,
            "definedNames",
            pieces,
            None,
            create_before=_AFTER_SHEETS[2:],
            closing="workbook",
        )
        self._set(book_part, workbook)

    def _finish(self) -> None:
        """Our relationships and content types written into their parts."""
        for part, rels in self._rels.items():
            path = rels_path(part)
            xml = self.read(path) if self.has(path) else _EMPTY_RELS
            pieces = b"".join(
                f"<Relationship Id={attr(rid)} Type={attr(kind)} Target={attr(target)}/>".encode()
                for rid, kind, target in rels
            )
            xml = (
                xml.replace(b"</Relationships>", pieces + b"</Relationships>", 1)
                if (b"</Relationships>" in xml)
                else append_children(
                    xml,
                    root_prefix(xml),
                    "Relationships",
                    pieces,
                    None,
                    create_before=(),
                    closing="Relationships",
                )
            )
            self._set(path, xml)
        self._rels = {}
        if self._overrides or self._defaults:
            types = self.read("[Content_Types].xml")
            pieces = b"".join(
                f"<Default Extension={attr(e)} ContentType={attr(t)}/>".encode()
                for e, t in self._defaults
            ) + b"".join(
                f"<Override PartName={attr(n)} ContentType={attr(t)}/>".encode()
                for n, t in self._overrides
            )
            self._set("[Content_Types].xml", types.replace(b"</Types>", pieces + b"</Types>", 1))
            self._overrides, self._defaults = [], []

    def _set(self, name: str, content: Member) -> None:
        if name in self.names:
            self.replaced[name] = content
        else:
            self.added[name] = content

    def replace(self, name: str, content: Member) -> None:
        self._set(name, content)

    def give(self, name: str, content: Content) -> None:
        """The content of part `name`, named PENDING before: in its place in the order."""
        if self.replaced.get(name, self.added.get(name)) is not PENDING:
            raise RuntimeError(f"{name} was not pending")
        self._set(name, content)

    def write(
        self, out: IO[bytes], *, compresslevel: int = 6, spool_dir: str | None = None
    ) -> None:
        """The whole package: originals in their order (ours in place of the replaced ones),
        then the added parts. An original we did not change is copied raw (its deflate stream
        as the accountant's program wrote it: never inflated and deflated again).

        When some member is still being deflated elsewhere (a Spooled one whose spool is not
        ready: annotate's worker), the members we make here are deflated ahead first, into a
        spool in `spool_dir`, so that they are not left waiting behind it."""
        self._finish()
        if any(c is PENDING for c in (*self.replaced.values(), *self.added.values())):
            raise RuntimeError("a pending part was never given its content (Package.give)")
        spool = self._spool_made_here(spool_dir)
        try:
            with zipfile.ZipFile(
                out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel
            ) as dst:
                for info in self.zip.infolist():
                    content = self.replaced.get(info.filename)
                    if content is None:
                        _copy_original(dst, self.zip, info)
                    else:
                        write_content(dst, _fresh(info), content)
                for name, content in self.added.items():
                    write_content(dst, zipfile.ZipInfo(name, date_time=_DOS_EPOCH), content)
        finally:
            if spool is not None:
                spool.close()

    def _spool_made_here(self, spool_dir: str | None) -> Spool | None:
        """The members given as pieces deflated ahead, when another member is not ready."""
        members = [*self.replaced.items(), *self.added.items()]
        waiting = any(isinstance(c, Spooled) and c.spool.ready is not None for _n, c in members)
        made = {n: c for n, c in members if not isinstance(c, bytes | Spooled)}
        if not waiting or not made:
            return None
        spool = Spool(tempfile.TemporaryFile(dir=spool_dir))  # noqa: SIM115 (closed by write)
        spool.write(made)
        for name in made:
            self._set(name, Spooled(spool, name))
        return spool


def _copy_original(dst: zipfile.ZipFile, src: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """An original member we did not change: copied raw when deflated as every reader reads
    it (deflate, or stored); otherwise inflated and deflated anew."""
    if info.compress_type in RAW_COPIED and not info.flag_bits & 0x1:  # 0x1: encrypted
        copy_raw(dst, _fresh(info), src, info)
        return
    with src.open(info) as source:
        write_member(dst, _fresh(info), iter(lambda: source.read(1 << 20), b""))


_DOS_EPOCH = (1980, 1, 1, 0, 0, 0)
# CT_Workbook's children after <sheets>, in order: where <sheets> or <definedNames> goes.
_AFTER_SHEETS = (
    "functionGroups",
    "externalReferences",
    "definedNames",
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)
AFTER_DEFINED_NAMES = _AFTER_SHEETS[3:]
EMPTY_WORKBOOK: dict[str, bytes] = {
    "[Content_Types].xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
        b'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main'
        b'+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
        b'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://'
        b'schemas.openxmlformats.org/spreadsheetml/2006/main"><bookViews><workbookView/>'
        b"</bookViews><sheets/></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
        b'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        b'Target="styles.xml"/></Relationships>'
    ),
}


def empty_workbook(styles: bytes) -> bytes:
    """A package with a workbook of no sheets yet (we add them) and `styles`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in EMPTY_WORKBOOK.items():
            z.writestr(zipfile.ZipInfo(name, date_time=_DOS_EPOCH), data)
        z.writestr(zipfile.ZipInfo("xl/styles.xml", date_time=_DOS_EPOCH), styles)
    return buffer.getvalue()


def _fresh(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """The member's name, date and attributes, deflated anew."""
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.external_attr = info.external_attr
    new.compress_type = zipfile.ZIP_DEFLATED
    return new


def iter_chunks(content: Content) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
    else:
        yield from content


def get_root_attr(xml: bytes, name: str) -> str | None:
    m = re.search(rb"<(?!\?)[^>]*>", xml)
    return None if m is None else get_attr(m.group(), name)


def sheet_title(title: str, taken: list[str]) -> str:
    """`title` made a valid Excel title (31 characters, none of []:*?/\\), unused in `taken`
    (compared as Excel does, ignoring case): `title (2)` if it is."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "Sheet"
    base = base[:31]
    used = {t.lower() for t in taken}
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    return name
