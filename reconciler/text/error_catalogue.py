"""Why a file could not be read, told to the person who sent it, in their language.

An InputError carries a stable `code` and the `params` its message names (errors.py); this
module holds, per code and language, the reason and what to do about it. The English one-liner
(str(e)) stays for logs, the CLI and the ledger; what a person reads (the quarantine email, the
`.error.txt` notes) comes from here. An error without a code falls back to its English message
with a general piece of advice, so nothing is ever left unsaid.

An error crosses the process boundary (isolation.py) and waits in the ledger until the email is
composed, so it travels as an ErrorRecord: JSON with the message, the code and the params.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("ru", "en")

# code -> language -> (what is wrong, what to do). Placeholders are params (file, sheet, row,
# value ...) and the values _derived() writes out for the language (where, found_text ...).
CATALOGUE: dict[str, dict[str, tuple[str, str]]] = {
    "PASSWORD_PROTECTED": {
        "ru": (
            "Файл «{file}» защищён паролем, поэтому служба сверки не может его открыть.",
            "Сохраните его без пароля (Файл → Сведения → Защита книги → Зашифровать с "
            "использованием пароля → очистите поле) и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is protected by a password, so the reconciliation service "
            "cannot open it.",
            "Save it without a password (File → Info → Protect Workbook → Encrypt with "
            "Password → clear the field) and drop it into the folder again.",
        ),
    },
    "NOT_A_SPREADSHEET": {
        "ru": (
            "Файл «{file}» — не таблица Excel: это {found_text}.",
            "Выгрузите ведомость из учетной системы в Excel (.xlsx) и положите в папку этот файл.",
        ),
        "en": (
            "The file “{file}” is not a spreadsheet: it is {found_text}.",
            "Export the register from your accounting system as Excel (.xlsx) and drop that "
            "file into the folder.",
        ),
    },
    "EMPTY_FILE": {
        "ru": (
            "Файл «{file}» пустой: в нём нет ни одного заполненного значения.",
            "Выгрузите ведомость заново вместе с данными и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is empty: it holds no value at all.",
            "Export the register again with its data and drop it into the folder again.",
        ),
    },
    "HALF_WRITTEN": {
        "ru": (
            "Файл «{file}» повреждён или скопирован не до конца.",
            "Скопируйте его в папку ещё раз; если не поможет, откройте его в Excel, "
            "сохраните заново и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is damaged or was not copied completely.",
            "Copy it into the folder again; if that does not help, open it in Excel, save it "
            "again and drop it into the folder again.",
        ),
    },
    "DAMAGED_FILE": {
        "ru": (
            "Файл «{file}» повреждён и не читается.",
            "Откройте его в Excel (или LibreOffice), сохраните как книгу Excel (.xlsx) и "
            "положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is damaged and cannot be read.",
            "Open it in Excel (or LibreOffice), save it as an Excel workbook (.xlsx) and drop "
            "it into the folder again.",
        ),
    },
    "UNSAFE_XML": {
        "ru": (
            "Файл «{file}» — таблица XML со ссылками на внешние определения (DTD); из "
            "соображений безопасности такие файлы не читаются.",
            "Откройте его в Excel, сохраните как книгу Excel (.xlsx) и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” is an XML spreadsheet that declares a DTD or entities; such "
            "files are not read, for safety.",
            "Open it in Excel, save it as an Excel workbook (.xlsx) and drop it into the "
            "folder again.",
        ),
    },
    "UNREADABLE_FILE": {
        "ru": (
            "Файл «{file}» (формат {format}) не удаётся прочитать.",
            "Откройте его в Excel (или LibreOffice), сохраните как книгу Excel (.xlsx) и "
            "положите в папку снова.",
        ),
        "en": (
            "The file “{file}” ({format}) cannot be read.",
            "Open it in Excel (or LibreOffice), save it as an Excel workbook (.xlsx) and drop "
            "it into the folder again.",
        ),
    },
    "UNREADABLE_SHEET": {
        "ru": (
            "В файле «{file}» не удаётся прочитать лист «{sheet}».",
            "Откройте файл в Excel, сохраните как книгу Excel (.xlsx) и положите в папку снова.",
        ),
        "en": (
            "The sheet “{sheet}” of the file “{file}” cannot be read.",
            "Open the file in Excel, save it as an Excel workbook (.xlsx) and drop it into "
            "the folder again.",
        ),
    },
    "UNKNOWN_ENCODING": {
        "ru": (
            "Текстовый файл «{file}» записан в неизвестной кодировке (ожидалась UTF-8 или "
            "Windows-1251).",
            "Сохраните его как книгу Excel (.xlsx) или как «CSV UTF-8» и положите в папку снова.",
        ),
        "en": (
            "The text file “{file}” is in an unknown encoding (expected UTF-8 or Windows-1251).",
            "Save it as an Excel workbook (.xlsx) or as “CSV UTF-8” and drop it into the "
            "folder again.",
        ),
    },
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
    "CANNOT_OPEN": {
        "ru": (
            "Файл «{file}» не открывается: возможно, он занят другой программой.",
            "Закройте его у всех, кто его открыл, и положите в папку снова.",
        ),
        "en": (
            "The file “{file}” cannot be opened: another program may be holding it.",
            "Close it wherever it is open and drop it into the folder again.",
        ),
    },
    "FILE_NOT_FOUND": {
        "ru": (
            "Файл «{file}» не найден.",
            "Проверьте, что файл на месте, и положите его в папку снова.",
        ),
        "en": (
            "The file “{file}” is not found.",
            "Check that the file is there and drop it into the folder again.",
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
    "LINK_REFUSED": {
        "ru": (
            "«{file}» — не сам файл, а ссылка на файл в другом месте (символическая или жёсткая "
            "ссылка, ярлык) либо не обычный файл, поэтому служба сверки его не открывала.",
            "Скопируйте в папку сам файл ведомости, а не ссылку или ярлык на него.",
        ),
        "en": (
            "“{file}” is not a file itself but a link to a file elsewhere (a symbolic or hard "
            "link, a shortcut) or not an ordinary file, so the service did not open it.",
            "Copy the register file itself into the folder, not a link or a shortcut to it.",
        ),
    },
    "NOT_READABLE": {
        "ru": (
            "Служба сверки не может прочитать файл «{file}»: права доступа к нему не дают "
            "ей читать его.",
            "Скопируйте файл в папку заново (копия получает права папки) или попросите "
            "администратора дать службе сверки право чтения.",
        ),
        "en": (
            "The reconciliation service may not read the file “{file}”: its permissions do "
            "not let the service read it.",
            "Copy the file into the folder again (a copy gets the folder's permissions), or "
            "ask the administrator to let the service read it.",
        ),
    },
    "FILE_TOO_LARGE": {
        "ru": (
            "Файл «{file}» слишком большой: {size_mb} МБ, а служба принимает файлы не "
            "больше {limit_mb} МБ.",
            "Разделите ведомость на несколько файлов поменьше (например, по подразделениям) "
            "или попросите администратора увеличить предел (limits.max_file_mb).",
        ),
        "en": (
            "The file “{file}” is too large: {size_mb} MB, and the service takes files of "
            "at most {limit_mb} MB.",
            "Split the register into smaller files (by department, say) or ask the "
            "administrator to raise the limit (limits.max_file_mb).",
        ),
    },
    "TOO_SLOW": {
        "ru": (
            "Обработка файла «{file}» заняла больше допустимых {limit_seconds} с и была "
            "остановлена.",
            "Разделите ведомость на несколько файлов поменьше или попросите администратора "
            "увеличить предел (limits.max_seconds).",
        ),
        "en": (
            "Processing the file “{file}” took longer than the allowed {limit_seconds} s and "
            "was stopped.",
            "Split the register into smaller files or ask the administrator to raise the "
            "limit (limits.max_seconds).",
        ),
    },
    "TOO_MUCH_MEMORY": {
        "ru": (
            "Для обработки файла «{file}» понадобилось больше памяти, чем разрешено "
            "({limit_mb} МБ), и обработка была остановлена.",
            "Разделите ведомость на несколько файлов поменьше или попросите администратора "
            "увеличить предел (limits.max_memory_mb).",
        ),
        "en": (
            "Processing the file “{file}” needed more memory than allowed ({limit_mb} MB) "
            "and was stopped.",
            "Split the register into smaller files or ask the administrator to raise the "
            "limit (limits.max_memory_mb).",
        ),
    },
    "READER_CRASHED": {
        "ru": (
            "Файл «{file}» не удалось прочитать: программа чтения аварийно завершилась на нём.",
            "Откройте файл в Excel, сохраните как книгу Excel (.xlsx) и положите в папку "
            "снова. Если не поможет, сообщите администратору службы сверки.",
        ),
        "en": (
            "The file “{file}” could not be read: the reader crashed on it.",
            "Open the file in Excel, save it as an Excel workbook (.xlsx) and drop it into "
            "the folder again. If that does not help, tell the service's administrator.",
        ),
    },
    "INVENTORY_UNAVAILABLE": {
        "ru": (
            "Сверка не выполнена: не удалось загрузить учет оборудования ИТ. Ваш файл здесь "
            "ни при чём.",
            "Сообщите администратору службы сверки; когда учет ИТ будет исправлен, положите "
            "файл в папку снова.",
        ),
        "en": (
            "Not reconciled: the IT inventory could not be loaded. Your file is not the cause.",
            "Tell the service's administrator; once the IT inventory is fixed, drop the file "
            "into the folder again.",
        ),
    },
}

# What arrived instead of a spreadsheet (NOT_A_SPREADSHEET's `found`).
FOUND_KINDS: dict[str, dict[str, str]] = {
    "pdf": {"ru": "документ PDF", "en": "a PDF document"},
    "png": {"ru": "картинка PNG", "en": "a PNG image"},
    "jpeg": {"ru": "картинка JPEG", "en": "a JPEG image"},
    "gif": {"ru": "картинка GIF", "en": "a GIF image"},
    "rar": {"ru": "архив RAR", "en": "a RAR archive"},
    "7z": {"ru": "архив 7-Zip", "en": "a 7-Zip archive"},
    "gzip": {"ru": "архив gzip", "en": "a gzip archive"},
    "rtf": {"ru": "документ RTF", "en": "an RTF document"},
    "binary": {"ru": "двоичные данные неизвестного вида", "en": "binary data of no known kind"},
    "opendocument": {
        "ru": "документ OpenDocument, но не таблица",
        "en": "an OpenDocument file that is not a spreadsheet",
    },
    "zip": {
        "ru": "архив ZIP без книги Excel внутри (документ Word или архив?)",
        "en": "a zip archive without a workbook in it (a Word file or an archive?)",
    },
    "old_office": {
        "ru": "старый файл Office, но не книга Excel",
        "en": "an old-style Office file that is not an Excel workbook",
    },
    "word_or_powerpoint": {
        "ru": "документ Word или PowerPoint",
        "en": "a Word or PowerPoint file",
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

WORDS: dict[str, dict[str, str]] = {
    "ru": {
        "sheet": "лист «{}»",
        "row": "строка {}",
        "header_at": "лист «{}», заголовок в строке {}",
        "no_text": "нет текста",
        "nothing": "ничего",
        "not_read": "Файл «{file}» не обработан.",
        "not_read_unnamed": "Файл не обработан.",
        "reason": "Причина",
        "what_to_do": "Что сделать",
        "general_fix": "Исправьте файл (или выгрузите его заново) и положите в папку снова.",
        "technical": "Подробности для ИТ",
    },
    "en": {
        "sheet": "sheet “{}”",
        "row": "row {}",
        "header_at": "sheet “{}”, header at row {}",
        "no_text": "no text",
        "nothing": "nothing",
        "not_read": "The file “{file}” was not processed.",
        "not_read_unnamed": "The file was not processed.",
        "reason": "Reason",
        "what_to_do": "What to do",
        "general_fix": "Fix the file (or export it again) and drop it into the folder again.",
        "technical": "Details for IT",
    },
}


@dataclass(frozen=True)
class Explanation:
    """What is wrong and what to do, in one language."""

    reason: str
    fix: str

    def __str__(self) -> str:
        return f"{self.reason} {self.fix}"


@dataclass(frozen=True)
class ErrorRecord:
    """An error as it travels: from the child process, through the ledger, into the email."""

    message: str  # the English one-liner, str(error)
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, error: BaseException) -> ErrorRecord:
        code = getattr(error, "code", None)
        params = getattr(error, "params", None)
        return cls(str(error), code if isinstance(code, str) else None, dict(params or {}))

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.code, "params": self.params}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ErrorRecord:
        code, params = body.get("code"), body.get("params")
        return cls(
            str(body.get("message", "")),
            code if isinstance(code, str) else None,
            params if isinstance(params, dict) else {},
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> ErrorRecord:
        """Also reads a plain reason (as ledgers before codes hold it): message only."""
        try:
            body = json.loads(text)
        except ValueError:
            return cls(text)
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            return cls(text)
        return cls.from_dict(body)


def _language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def _number(value: Any, language: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return text.replace(".", ",") if language == "ru" else text
    return str(value)


def _quoted(items: list[Any], language: str) -> str:
    return ", ".join(f"«{i}»" if language == "ru" else f"“{i}”" for i in items)


def _derived(params: dict[str, Any], language: str) -> dict[str, Any]:
    """The params plus the phrases the templates need, written out for the language."""
    w = WORDS[language]
    values: dict[str, Any] = dict(params)
    where = []
    if params.get("sheet"):
        where.append(w["sheet"].format(params["sheet"]))
    if params.get("row"):
        where.append(w["row"].format(params["row"]))
    values["where"] = ", ".join(where)
    for key in ("size_mb", "limit_mb", "limit_seconds"):
        if key in params:
            values[key] = _number(params[key], language)
    found = params.get("found")
    if isinstance(found, str):
        values["found_text"] = FOUND_KINDS.get(found, {}).get(language, found)
    elif isinstance(found, list):  # NO_HEADER: [{"sheet": ..., "texts": [...]}]
        parts = [
            w["sheet"].format(f.get("sheet", "?"))
            + ": "
            + (_quoted(list(f.get("texts") or [])[:12], language) or w["no_text"])
            for f in found
            if isinstance(f, dict)
        ]
        values["found_text"] = "; ".join(parts) or w["nothing"]
    expected = params.get("expected")
    if isinstance(expected, str):
        values["expected_text"] = EXPECTED_VALUES.get(expected, {}).get(language, expected)
    elif isinstance(expected, list):
        values["expected_text"] = _quoted(expected, language)
    sheets = params.get("sheets")
    if isinstance(sheets, list):  # NO_DATA_ROWS: where each header is; NO_SUCH_SHEET: names
        values["sheets_text"] = "; ".join(
            w["header_at"].format(s.get("sheet"), s.get("header_row"))
            for s in sheets
            if isinstance(s, dict)
        ) or _quoted(sheets, language)
    return values


class _Missing(dict[str, Any]):
    """A template never fails for a param its raise site did not know: it shows '?'."""

    def __missing__(self, key: str) -> str:
        return "?"


def explain(
    code: str | None, params: dict[str, Any], language: str, *, message: str = ""
) -> Explanation:
    """The reason and the fix for `code` in `language` (ru or en; anything else is en)."""
    language = _language(language)
    entry = CATALOGUE.get(code or "")
    if entry is None:  # an error without a code still says what it can, in English
        return Explanation(message or (code or "?"), WORDS[language]["general_fix"])
    reason, fix = entry[language]
    values = _Missing(_derived(params, language))
    return Explanation(reason.format_map(values), fix.format_map(values))


def render(code: str, params: dict[str, Any], language: str) -> str:
    """Reason and what to do, one paragraph."""
    return str(explain(code, params, language))


def explain_record(record: ErrorRecord, language: str) -> Explanation:
    return explain(record.code, record.params, language, message=record.message)


def describe(error: BaseException, language: str) -> str:
    """Any ReconcilerError for a person; str(error) where it carries no code."""
    record = ErrorRecord.of(error)
    if record.code not in CATALOGUE:
        return record.message
    return str(explain_record(record, language))


def note(record: ErrorRecord, file_name: str, language: str) -> str:
    """The text of `<name>.error.txt`: the configured language first, then the other one
    (IT reads these too), then the English one-liner for the service log's readers."""
    first = _language(language)
    blocks = []
    for lang in (first, *(other for other in LANGUAGES if other != first)):
        w = WORDS[lang]
        said = explain_record(record, lang)
        head = w["not_read"].format(file=file_name) if file_name else w["not_read_unnamed"]
        blocks.append(f"{head}\n{w['reason']}: {said.reason}\n{w['what_to_do']}: {said.fix}\n")
    technical = " / ".join(WORDS[lang]["technical"] for lang in LANGUAGES)
    blocks.append(f"{technical}: {record.message}\n")
    return "\n".join(blocks)
