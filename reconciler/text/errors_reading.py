"""Why a workbook that opened could not be read as a register, and what to do: ru and en.

The codes raised while finding the table, the header and the rows, and reading the cells.
Placeholders are the error's params and the phrases error_catalogue derives from them (where,
expected_text, sheets_text ...).
"""

from __future__ import annotations

# code -> language -> (what is wrong, what to do)
READING: dict[str, dict[str, tuple[str, str]]] = {
    "NO_TABLE": {
        "ru": (
            "Файл «{file}» — веб-страница, сохранённая как таблица, но таблицы в ней нет.",
            "Выгрузите ведомость из учетной системы в Excel (.xlsx) и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is a web page saved as a spreadsheet, with no table in it.",
            "Export the register from your accounting system as Excel (.xlsx) and drop it "
            "into the folder again.",
        ),
    },
    "NO_SUCH_SHEET": {
        "ru": (
            "В файле «{file}» нет листа «{sheet}»; листы в файле: {sheets_text}.",
            "Имя листа задано в настройках службы (config.yaml): попросите администратора "
            "исправить его.",
        ),
        "en": (
            "The file “{file}” has no sheet “{sheet}”; its sheets are {sheets_text}.",
            "The sheet name is set in the service's config.yaml: ask the administrator to fix it.",
        ),
    },
    "NO_HEADER": {
        "ru": (
            "В файле «{file}» не найдена строка заголовков ведомости (просмотрены первые "
            "{rows} строк каждого листа). Найдено: {found_text}. Ожидались названия "
            "столбцов, например: {expected_text}.",
            "Проверьте, что отправлена нужная ведомость: над данными должна быть строка с "
            "названиями столбцов (инвентарный номер, наименование …). Если столбцы "
            "называются иначе, переименуйте их или попросите администратора добавить ваши "
            "названия в {rules_hint}.",
        ),
        "en": (
            "No register header was found in the file “{file}” (the first {rows} rows of "
            "every sheet were searched). Found: {found_text}. Expected column headings such "
            "as {expected_text}.",
            "Check that this is the right register: a row naming the columns (inventory "
            "number, name …) must stand above the data. If your columns are named "
            "differently, rename them or ask the administrator to add your headings to "
            "{rules_hint}.",
        ),
    },
    "NO_DATA_ROWS": {
        "ru": (
            "В файле «{file}» есть строка заголовков, но под ней нет ни одной строки с "
            "данными ({sheets_text}).",
            "Выгрузите ведомость вместе со строками или проверьте, что отправлен нужный файл.",
        ),
        "en": (
            "The file “{file}” has a header but no data rows under it ({sheets_text}).",
            "Export the register with its rows, or check that the right file was sent.",
        ),
    },
    "UNREADABLE_CELL": {
        "ru": (
            "Файл «{file}», {where}, столбец «{column}» ({column_letter}): записано "
            "«{value}», а нужно указать {expected_text}.",
            "Исправьте или очистите эту ячейку, сохраните файл и положите его в папку снова.",
        ),
        "en": (
            "The file “{file}”, {where}, column “{column}” ({column_letter}): it holds "
            "“{value}”, expected {expected_text}.",
            "Correct or clear that cell, save the file and drop it into the folder again.",
        ),
    },
}

# What a cell should have held (UNREADABLE_CELL's `expected`, values.CellValueError.expected);
# Russian in the accusative: "нужно указать дату".
EXPECTED_VALUES: dict[str, dict[str, str]] = {
    "number": {"ru": "число, например 1 234 567,89", "en": "a number such as 1 234 567.89"},
    "whole_number": {
        "ru": "целое число (количество штук)",
        "en": "a whole number (a count of items)",
    },
    "date": {"ru": "дату, например 15.03.2019", "en": "a date such as 15.03.2019"},
    "useful_life": {
        "ru": "срок полезного использования в месяцах (например, 60) или в годах («5 лет»)",
        "en": "a useful life such as 60 (months) or “5 years”",
    },
}
