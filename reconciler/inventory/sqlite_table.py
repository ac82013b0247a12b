"""A table (or view) of a SQLite database as the inventory: columns named by the same
`inventory` synonyms as a sheet's headings, the database opened read-only."""

from __future__ import annotations

import sqlite3

from reconciler.config import InventoryConfig
from reconciler.errors import InventoryError
from reconciler.inventory.records import INVENTORY_IDENTITY, Loaded, Record
from reconciler.read.header import assign_columns, synonym_index
from reconciler.rules import Rules

SQLITE_MAGIC = b"SQLite format 3\x00"


def load_sqlite_records(source: InventoryConfig, rules: Rules) -> Loaded:
    """A table (or view) of a SQLite database, opened read-only; columns named by synonyms."""
    path = source.require_path()
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise InventoryError(f"cannot open the SQLite database ({e})", file=str(path)) from None
    try:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        table = source.table
        if table is None:
            if len(tables) != 1:
                raise InventoryError(
                    f"the database holds {len(tables)} tables ({', '.join(tables) or 'none'}) "
                    "and inventory.table does not say which one is the inventory",
                    file=str(path),
                    hint="set inventory.table in config.yaml",
                )
            table = tables[0]
        elif table not in tables:
            raise InventoryError(
                f"no table '{table}' in the database; it holds {', '.join(tables) or 'none'}",
                file=str(path),
                hint="fix inventory.table in config.yaml",
            )
        quoted = '"' + table.replace('"', '""') + '"'
        cursor = db.execute(f"SELECT * FROM {quoted}")  # the name is checked against the schema
        names = [d[0] for d in cursor.description]
        # Column names as a one-row header: each field to its best column, as in a sheet.
        mapped = assign_columns(
            {i: ("", name) for i, name in enumerate(names)},
            synonym_index(rules.columns.inventory),
        )
        if not any(f in mapped for f in INVENTORY_IDENTITY):
            raise InventoryError(
                f"table '{table}' has no column naming an asset (found {', '.join(names)}); "
                "expected columns such as asset_tag, serial_number, hostname, name",
                file=str(path),
                hint="add your column names to inventory: in rules/columns.yaml",
            )
        used = set(mapped.values())
        headers = {f: names[i] for f, i in mapped.items()}
        extra_cols = [(names[i], i) for i in range(len(names)) if i not in used]
        records = [
            Record(
                where=f"table '{table}' row {n}",
                ref=f"{table}!{n}",
                fields={f: row[i] for f, i in mapped.items()},
                headers=headers,
                extra={k: row[i] for k, i in extra_cols if row[i] is not None},
            )
            for n, row in enumerate(cursor, start=1)
        ]
    except sqlite3.DatabaseError as e:
        raise InventoryError(
            f"the SQLite database cannot be read ({e})",
            file=str(path),
            hint="check it is a complete copy of the inventory database",
        ) from None
    finally:
        db.close()
    return Loaded(records, f"{path}#{table}", [])
