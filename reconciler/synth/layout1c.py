"""The shape of a 1C "Ведомость основных средств" print, shared by the generator and the writer.

    row 1   organisation
    row 2   "Ведомость основных средств на 30.09.2026" (merged across the table)
    row 3   "Параметры: ..." (the report's settings, as 1C prints them)
    row 4-5 header; "Стоимость" merged over "Первоначальная" | "Остаточная", other cells merged
            down over both rows
    row 6   column numbers 1, 2, 3 ...
    row 7+  per location: a group row (the place, merged over columns 1-7, subtotals in 8-10),
            then its data rows
    last    "Итого" (merged over columns 1-7, totals in 8-10)

The generator numbers BookRows with `plan_rows`, so truth keys are the real Excel rows.
"""

from __future__ import annotations

SHEET = "TDSheet"
TITLE_ROW = 2
PARAMS_ROW = 3
HEADER_ROW = 4
HEADER_END_ROW = 6  # the numbering row counts as header
NUMBERING_ROW = 6
FIRST_BODY_ROW = 7
GROUP_LABEL_SPAN = 7  # group and total labels are merged over columns 1..7

# (canonical field or None, header text on row 4, header text on row 5 or None)
COLUMNS: tuple[tuple[str | None, str, str | None], ...] = (
    (None, "№ п/п", None),
    ("name", "Основное средство", None),
    ("inventory_number", "Инвентарный номер", None),
    ("serial", "Заводской номер", None),
    ("acquired_on", "Дата принятия к учету", None),
    ("useful_life_months", "Срок полезного использования (мес.)", None),
    ("account", "Счет учета", None),
    ("quantity", "Количество", None),
    ("cost", "Стоимость", "Первоначальная"),
    ("book_value", "Стоимость", "Остаточная"),
    ("custodian", "МОЛ", None),
    ("location", "Местонахождение", None),
)
N_COLUMNS = len(COLUMNS)
NUMBER_HEADER = "№ п/п"


def column_of(field: str) -> int:
    """1-based column of a canonical field."""
    for i, (name, _, _) in enumerate(COLUMNS, start=1):
        if name == field:
            return i
    raise KeyError(field)


def header_texts() -> dict[int, str]:
    """Column -> header text as shown, the two header rows joined by a space."""
    return {i: f"{top} {sub}" if sub else top for i, (_, top, sub) in enumerate(COLUMNS, start=1)}


def plan_rows(group_sizes: list[int]) -> tuple[list[int], list[list[int]], int]:
    """Excel rows for groups of data rows: (group rows, data rows per group, the Итого row)."""
    row = FIRST_BODY_ROW
    group_rows: list[int] = []
    data_rows: list[list[int]] = []
    for size in group_sizes:
        group_rows.append(row)
        data_rows.append(list(range(row + 1, row + 1 + size)))
        row += 1 + size
    return group_rows, data_rows, row
