"""The declared table that turns one source's records into canonical fields (rules/sources.yaml).

Each API or agent source has one section: canonical field -> dotted paths into the tool's
record. Users edit a copy and point `inventory.mapping` at it; nothing about a tool's field
names is hidden in code. Placeholder values ("To Be Filled By O.E.M.", "0000000000") are
dropped from key fields here, so an agent's default string never pairs two machines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.config import InventoryConfig, yaml_problem
from reconciler.errors import ConfigError, Problem
from reconciler.inventory.records import SIDE_FIELDS, TEXT_FIELDS, Record
from reconciler.read.header import fold_header
from reconciler.rules import default_rules_dir

MAPPING_FILE = "sources.yaml"
CANONICAL = {*TEXT_FIELDS, *SIDE_FIELDS, "asset_id", "status", "purchased_on"} | {
    "purchase_cost",
    "warranty_until",
}
KEY_FIELDS = ("serial", "inventory_number", "asset_id")
_ONE_CHARACTER = re.compile(r"(.)\1+")
_LOOPBACK = ("127.", "::1", "0.0.0.0", "fe80:")


@dataclass(frozen=True)
class SourceMapping:
    kind: str
    fields: dict[str, list[str]]  # canonical field -> dotted paths, first usable wins
    placeholders: frozenset[str]  # folded
    file: Path

    def is_placeholder(self, text: str) -> bool:
        folded = fold_header(text)
        squashed = folded.replace(" ", "")
        return (
            not squashed or folded in self.placeholders or bool(_ONE_CHARACTER.fullmatch(squashed))
        )

    def record(self, item: dict[str, Any], *, where: str, ref: str) -> Record:
        """One tool record as a Record: mapped fields, placeholders dropped from keys (kept in
        `extra` so a reviewer still sees what the agent said)."""
        fields: dict[str, Any] = {}
        headers: dict[str, str] = {}
        extra: dict[str, Any] = {}
        for name, paths in self.fields.items():
            for path in paths:
                value = self._first_usable(name, lookup(item, path), extra, path)
                if value is not None:
                    fields[name], headers[name] = value, path
                    break
        return Record(where=where, ref=ref, fields=fields, headers=headers, extra=extra)

    def _first_usable(self, name: str, found: list[Any], extra: dict[str, Any], path: str) -> Any:
        for value in found:
            if value is None or value == "" or isinstance(value, (dict, list)):
                continue
            text = str(value).strip()
            if text == "0" and path.endswith("_id"):
                continue  # GLPI's "no such dropdown value"
            if name in KEY_FIELDS and self.is_placeholder(text):
                extra[f"{path} (placeholder)"] = text
                continue
            if name == "ip" and text.startswith(_LOOPBACK):
                continue
            return value
        return None


def lookup(item: Any, path: str) -> list[Any]:
    """Every value at a dotted path; a list on the way is searched item by item."""
    found = [item]
    for part in path.split("."):
        found = [v for node in found for v in _step(node, part)]
    return [v for node in found for v in (node if isinstance(node, list) else [node])]


def _step(node: Any, part: str) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _step(item, part)
    elif isinstance(node, dict) and part in node:
        yield node[part]


def load_mapping(kind: str, source: InventoryConfig) -> SourceMapping:
    """The `kind` section of inventory.mapping, else of the shipped rules/sources.yaml."""
    file = source.mapping or default_rules_dir() / MAPPING_FILE
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise ConfigError(
            Problem(
                f"key 'inventory.mapping': cannot read {file} ({e.strerror}); "
                "point it at a copy of rules/sources.yaml",
                "MAPPING_UNREADABLE",
                {"path": str(file), "detail": e.strerror},
            )
        ) from None
    except yaml.YAMLError as e:
        raise ConfigError(yaml_problem(e), source=str(file)) from None
    section = raw.get(kind) if isinstance(raw, dict) else None
    if not isinstance(section, dict):
        shipped = default_rules_dir() / MAPPING_FILE
        raise ConfigError(
            Problem(
                f"{file}: no '{kind}:' section mapping the source's fields; copy it from {shipped}",
                "MAPPING_NO_SECTION",
                {"file": str(file), "kind": kind, "shipped": str(shipped)},
            )
        )
    problems = []
    fields: dict[str, list[str]] = {}
    for name, paths in section.items():
        if name not in CANONICAL:
            problems.append(
                f"{file}: '{kind}.{name}' is not an inventory field; "
                f"expected one of {', '.join(sorted(CANONICAL))}"
            )
            continue
        listed = [paths] if isinstance(paths, str) else paths
        if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
            problems.append(f"{file}: '{kind}.{name}' expected a path or a list of paths")
            continue
        fields[name] = listed
    if problems:
        raise ConfigError(problems)
    placeholders = raw.get("placeholders") or []
    return SourceMapping(
        kind=kind,
        fields=fields,
        placeholders=frozenset(fold_header(str(p)) for p in placeholders),
        file=file,
    )
