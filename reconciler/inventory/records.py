"""What every inventory loader produces: Records (a source row's canonical fields, as raw
values, with where it came from), before load.py parses them into Assets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.models import ReadingNote

# A table naming none of these is not an inventory; these identify a record's row as an item.
INVENTORY_IDENTITY = ("asset_id", "inventory_number", "serial", "hostname", "name")
INVENTORY_KEYS = ("asset_id", "inventory_number", "serial", "hostname")
TEXT_FIELDS = (
    "inventory_number",
    "serial",
    "barcode",
    "hostname",
    "vendor",
    "model",
    "name",
    "category",
    "cpu",
    "ram",
    "storage",
    "ip",
    "location",
    "rack",
    "custodian",
    "kit",
)
# Columns that say something beside the asset without being one of its compared fields: kept
# in `extra` under their header; a site leads the location ("DC1, Hall A"), a first and last name an
# empty custodian. A login (GLPI's "Alternate username") is who last logged on, not a person.
SIDE_FIELDS = ("site", "login", "email", "first_name", "last_name")


@dataclass
class Record:
    """One source row before it becomes an Asset: where it was, its fields, the rest."""

    where: str  # "sheet 'Assets' row 7", "table assets row 7": for messages
    ref: str  # a stable reference for a derived ID: "Assets!7"
    fields: dict[str, Any]  # canonical field -> raw value
    headers: dict[str, str]  # canonical field -> the source's column name
    extra: dict[str, Any]


@dataclass
class Loaded:
    """What a loader read: its records, the source's label for reports, and what reading
    decided that a person should know (a guessed encoding)."""

    records: list[Record]
    label: str
    notes: list[ReadingNote]
