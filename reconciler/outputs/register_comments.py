"""Our finding comments on a register sheet, in two steps: their parts named first, their text
made after.

Naming the parts (`name_comment_parts`) settles what the sheet's stream needs: the legacy
drawing's relationship id, the package's order of members, its content types and
relationships. The text (`make_comments`: each commented row's findings in words, the
comments part, the VML shapes sized to it) is a quarter of a million cells' worth of strings
at 100k rows and nothing in the sheet waits for it. So when annotate's worker makes the
register sheets, it only names the parts, and this process, which waits for the worker
otherwise, makes their text (BENCHMARKS.md, issue 16, seventh pass). In one process the same
two steps run one after the other: the copy is the same either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.models import Finding
from reconciler.outputs.comments_part import (
    COMMENTS_REL,
    COMMENTS_TYPE,
    VML_REL,
    VML_TYPE,
    commented_cells,
    comments_xml,
    merged_comments,
    merged_vml,
    vml_xml,
)
from reconciler.outputs.register_columns import (
    COMMENT_WIDTH,
    SheetPlan,
    by_severity,
    finding_comment,
)
from reconciler.outputs.sheet_stream import column_letter
from reconciler.outputs.xlsx_package import PENDING, Package
from reconciler.outputs.xml_parts import find_start, root_prefix


@dataclass(frozen=True)
class CommentParts:
    """Where one register sheet's finding comments go, named and related in the package (their
    content PENDING until make_comments gives it). Sent from annotate's worker: plain data."""

    sheet: str  # the register sheet's name, as its findings name it
    rows: tuple[int, ...]  # the rows commented, in the plan's order
    column: int  # our last column: the commented cells
    taken: frozenset[str]  # cells their own comments hold: ours left out there
    comments: str  # the comments part
    merge_comments: bool  # it is theirs: ours are added into it
    vml: str  # the VML drawing
    merge_vml: bool


def name_comment_parts(
    package: Package, part: str, xml: bytes, tail_start: int, sheet: str, plan: SheetPlan
) -> CommentParts | None:
    """Our comments' parts on sheet `part` named: its own comments part and VML drawing when it
    has them (theirs kept, ours added), else new ones related to the sheet (the legacy drawing's
    id set in `plan`). None when theirs are not in a shape we can add to: theirs are then left
    alone, and ours not written."""
    prefix = root_prefix(xml)
    relationships = package.relationships(part)
    kinds = {kind: target for _rid, kind, target, mode in relationships if not mode}
    theirs = kinds.get(COMMENTS_REL)
    vml = None
    drawing = find_start(xml, prefix, "legacyDrawing", tail_start)
    if drawing is not None:  # the VML the sheet shows: the one its legacyDrawing names
        rid = re.search(rb'\s[\w]+:id="([^"]*)"', drawing.group())
        by_id = {r: target for r, _kind, target, _m in relationships}
        vml = by_id.get(rid.group(1).decode()) if rid else None
        if vml is None or not package.has(vml):
            return None
    # Theirs in a shape we can add to: tried with nothing added, as make_comments will add.
    if theirs and merged_comments(package.read(theirs), []) is None:
        return None
    if vml and merged_vml(package.read(vml), []) is None:
        return None
    taken = frozenset(commented_cells(package.read(theirs))) if theirs else frozenset()
    if theirs:
        package.replace(theirs, PENDING)
        comments = theirs
    else:
        comments = package.unused_name("xl/comments{n}.xml")
        package.add_part(comments, PENDING, COMMENTS_TYPE)
        package.add_relationship(part, COMMENTS_REL, comments)
    drawn = vml
    if drawn:
        package.replace(drawn, PENDING)
    else:
        drawn = package.unused_name("xl/drawings/vmlDrawing{n}.vml")
        package.add_part(drawn, PENDING, None)
        package.add_default("vml", VML_TYPE)
        plan.edit.legacy_drawing_rid = package.add_relationship(part, VML_REL, drawn)
    return CommentParts(
        sheet,
        tuple(plan.comment_rows),
        plan.edit.last,
        taken,
        comments,
        bool(theirs),
        drawn,
        bool(vml),
    )


def make_comments(
    package: Package,
    parts: CommentParts,
    by_row: Mapping[tuple[str, int], list[Finding]],
    language: str,
) -> None:
    """The content of `parts` given to the package: each commented row's findings in words
    (register_columns.finding_comment), as comments and as the VML shapes Excel shows them in."""
    letters = column_letter(parts.column)
    notes: list[tuple[str, str]] = []
    shapes: list[tuple[int, int, int, int]] = []
    for r in parts.rows:
        ref = f"{letters}{r}"
        if ref in parts.taken:
            continue
        found = by_row[(parts.sheet, r)]  # most rows have one finding: nothing to sort
        body, height = finding_comment(found if len(found) == 1 else by_severity(found), language)
        notes.append((ref, body))
        shapes.append((r, parts.column, COMMENT_WIDTH, height))
    if parts.merge_comments:
        merged = merged_comments(package.read(parts.comments), notes)
        assert merged is not None  # its shape was checked when the part was named
        package.give(parts.comments, merged)
    else:
        package.give(parts.comments, comments_xml(notes))
    if parts.merge_vml:
        drawn = merged_vml(package.read(parts.vml), shapes)
        assert drawn is not None
        package.give(parts.vml, drawn)
    else:
        package.give(parts.vml, vml_xml(shapes))
