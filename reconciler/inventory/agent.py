"""Agent inventories: GLPI agent native JSON and OCS / FusionInventory XML, one machine a file.

`inventory.source: agent-files` reads a folder of them; a single .json or OCS .xml file given
as an inventory file is read the same way. The XML is parsed with defusedxml (an inventory
file comes from the machine it describes: entity expansion must not be an attack surface).
XML elements become lower-case keys, repeated elements lists, so one mapping table
(sources.yaml `agent:`) serves both formats: REQUEST/CONTENT/BIOS/SSN is content.bios.ssn.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reconciler.config import InventoryConfig
from reconciler.errors import InventoryError
from reconciler.inventory.mapping import SourceMapping, load_mapping
from reconciler.inventory.records import Loaded, Record
from reconciler.models import ReadingNote
from reconciler.text.reading_notes import note

log = logging.getLogger(__name__)

AGENT_SUFFIXES = (".json", ".xml", ".ocs")
NOT_A_TABLE = "not a table: use the tool's CSV export or the connector (inventory.source)"


def is_agent_file(head: bytes) -> bool:
    """From a file's first bytes: JSON (an agent inventory, or refused as not a table) or an
    OCS XML REQUEST; an XML Spreadsheet or HTML export stays a sheet."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith((b"{", b"[")) or b"<REQUEST" in text[:1024].upper()


def agent_document(path: Path) -> dict[str, Any] | None:
    """The file as an agent inventory, None when it is JSON/XML of another kind; InventoryError
    when it cannot be parsed at all."""
    raw = path.read_bytes()
    text = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    try:
        if text.startswith((b"{", b"[")):
            doc = json.loads(raw.decode("utf-8-sig"))
            ok = isinstance(doc, dict) and isinstance(doc.get("content"), dict)
            return doc if ok else None
        root = fromstring(raw)
    except (ValueError, ParseError, DefusedXmlException) as e:
        raise InventoryError(
            f"the agent inventory cannot be parsed ({e})",
            file=str(path),
            hint="check the file is a complete GLPI agent JSON or OCS XML inventory",
        ) from None
    if root.tag.upper() != "REQUEST" or root.find("CONTENT") is None:
        return None
    converted = _element(root)
    return converted if isinstance(converted, dict) else None


def _element(node: Element) -> Any:
    children = list(node)
    if not children:
        return (node.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        key, value = child.tag.lower(), _element(child)
        if key in out:
            if not isinstance(out[key], list):
                out[key] = [out[key]]
            out[key].append(value)
        else:
            out[key] = value
    return out


def load_agent_files(source: InventoryConfig, mapping: SourceMapping | None = None) -> Loaded:
    """A folder of agent inventories (or one file): one record per machine."""
    path = source.require_path()
    mapping = mapping or load_mapping("agent", source)
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AGENT_SUFFIXES
        )
    elif path.is_file():
        files = [path]
    else:
        raise InventoryError(
            f"the agent inventory folder is not found at {path}",
            hint="set inventory.path to the folder the agents write to",
        )
    records: list[Record] = []
    notes: list[ReadingNote] = []
    for file in files:
        doc = agent_document(file)
        if doc is None:
            if file == path:
                raise InventoryError(
                    f"{NOT_A_TABLE}; the file is JSON/XML but not an agent inventory",
                    file=str(file),
                )
            notes.append(note("NOT_AN_AGENT_FILE", file=file.name))
            continue
        records.append(mapping.record(doc, where=f"file {file.name}", ref=file.name))
    log.info("agent inventories in %s: %d machines", path, len(records))
    return Loaded(records, str(path), notes)
