"""An exported sheet (xlsx/xls/ods/csv, HTML saved as .xls) as the inventory: read with the
register's sheets/header machinery, using the `inventory` synonyms of columns.yaml."""

from __future__ import annotations

from operator import itemgetter

from reconciler.config import InventoryConfig
from reconciler.inventory.records import INVENTORY_IDENTITY, INVENTORY_KEYS, Loaded, Record
from reconciler.read.header import data_rows, is_total_row, synonym_index
from reconciler.read.register import extra_columns, find_tables
from reconciler.read.sheets import open_workbook
from reconciler.rules import Rules


def load_sheet_records(source: InventoryConfig, rules: Rules) -> Loaded:
    """An xlsx/xls/ods/csv (or HTML-as-xls) export: the first sheet with a recognisable header."""
    index = synonym_index(rules.columns.inventory)
    path = source.require_path()
    book = open_workbook(path, file_name=str(path))
    ((grid, table),) = find_tables(
        book,
        index,
        identity=INVENTORY_IDENTITY,
        purpose="inventory",
        rules_key="inventory",
        only_sheet=source.sheet,
        first_only=True,  # the inventory is one table: the first sheet with a header
    )
    columns = [(f, c - 1) for f, c in table.columns.items()]
    headers = {f: table.headers.get(c, f) for f, c in table.columns.items()}
    extras = extra_columns(table, set(table.columns.values()))
    key_cols = [table.columns[f] - 1 for f in INVENTORY_KEYS if f in table.columns]
    markers = rules.columns.total_markers
    # A line as wide as the table (nearly all of them) takes its fields in one C call.
    names = [f for f, _c in columns]
    reach = max((c for _f, c in columns), default=-1) + 1
    take = itemgetter(*(c for _f, c in columns), 0, 0)  # two spare: always a tuple
    records = []
    for data in data_rows(grid, table):
        line = data.cells
        width = len(line)
        if is_total_row(data, key_cols, markers):
            continue
        if width >= reach:
            fields = dict(zip(names, take(line), strict=False))
        else:
            fields = {f: line[c] for f, c in columns if c < width}
        extra = {k: line[c] for k, c in extras if c < width and line[c] not in ("", None)}
        records.append(
            Record(
                where=f"sheet '{table.sheet}' row {data.row}",
                ref=f"{table.sheet}!{data.row}",
                fields=fields,
                headers=headers,
                extra=extra,
            )
        )
    return Loaded(records, str(path), book.notes)
