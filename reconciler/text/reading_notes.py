"""What reading a register or an inventory decided or could not read, in Russian and English.

The readers make a ReadingNote (a code and its values) with `note`; the run's warnings, its
summary sheet and its email say it in the report's language with `render`. str() of a note is
the English line, for logs and the command line.
"""

from __future__ import annotations

from typing import Any

from reconciler.models import ReadingNote

ENCODINGS = {
    "cp1251": ("Windows-1251 (кириллица)", "Windows-1251 (Cyrillic)"),
    "cp1252": (
        "Windows-1252 (западноевропейская): проверьте буквы с диакритикой",
        "Windows-1252 (Western): check letters with accents",
    ),
    "mac_roman": (
        "Mac Roman (западноевропейская, старые строки Mac): проверьте буквы с диакритикой",
        "Mac Roman (Western, old-Mac line ends): check letters with accents",
    ),
}

# code -> (ru, en); placeholders are the note's params.
NOTES: dict[str, tuple[str, str]] = {
    "ENCODING_GUESSED": (
        "{file}: не UTF-8; прочитан как {encoding_ru}",
        "{file}: not UTF-8; read as {encoding_en}",
    ),
    "MONTH_FIRST_DATES": (
        "{source}: в колонке «{column}» даты записаны месяцем вперёд (как в США): «{sample}» — "
        "это {read}; так и прочитаны",
        "{source}: column '{column}' holds month-first dates ('{sample}' is {read}); read them so",
    ),
    "DATE_LEFT_EMPTY": (
        "лист «{sheet}», строка {row}, колонка «{column}» ({letter}): «{value}» не читается как "
        "дата; оставлено пустым",
        "sheet '{sheet}' row {row} column '{column}' ({letter}): {value!r} is not a date; "
        "left empty",
    ),
    "MORE_LEFT_EMPTY": (
        "лист «{sheet}», колонка «{column}»: ещё {count} таких ячеек оставлено пустыми",
        "sheet '{sheet}' column '{column}': {count} more cells like these left empty",
    ),
    "INVENTORY_CELLS_UNREADABLE": (
        "ИТ-учёт {source}: {count} ячеек не прочитано, оставлены пустыми: {cells}",
        "inventory {source}: {count} cell(s) could not be read and were left empty: {cells}",
    ),
    "LAST_GOOD_SNAPSHOT": (
        "ИТ-учёт: выгрузка из {kind} не удалась ({error}); взят последний удачный снимок от "
        "{fetched_at} ({count} записей)",
        "inventory: fetching from {kind} failed ({error}); used the last good snapshot of "
        "{fetched_at} ({count} records)",
    ),
    "SHORT_LAST_PAGE": (
        "ИТ-учёт: {tool} сообщил о {total} записях, а выдал {count}: пустая страница пришла раньше",
        "inventory: {tool} said {total} assets but returned {count}: an empty page came first",
    ),
    "NOT_AN_AGENT_FILE": (
        "ИТ-учёт: {file} — не инвентаризация агента, пропущен",
        "inventory: {file}: not an agent inventory, skipped",
    ),
}


def note(code: str, **params: Any) -> ReadingNote:
    """A note with its English line made now (the readers know no language)."""
    return ReadingNote(code=code, params=params, english=_fill(code, params, english=True))


def render(item: ReadingNote, language: str) -> str:
    return item.english if language == "en" else _fill(item.code, item.params, english=False)


def _fill(code: str, params: dict[str, Any], *, english: bool) -> str:
    values = dict(params)
    if "encoding" in values:
        values["encoding_ru"], values["encoding_en"] = ENCODINGS[str(values["encoding"])]
    return NOTES[code][1 if english else 0].format(**values)
