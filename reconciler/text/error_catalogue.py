"""Why a file could not be read, told to the person who sent it, in their language.

An InputError carries a stable `code` and the `params` its message names (errors.py); the
catalogue holds, per code and language, the reason and what to do about it (one module per
stage that raises them: errors_opening, errors_reading, errors_service), and this module writes
it out for a person. The English one-liner (str(e)) stays for logs, the CLI and the ledger;
what a person reads (the quarantine email, the `.error.txt` notes) comes from here. An error
without a code falls back to its English message with a general piece of advice, so nothing is
ever left unsaid.

An error crosses the process boundary (isolation.py) and waits in the ledger until the email is
composed, so it travels as an ErrorRecord: JSON with the message, the code and the params.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.text.errors_commands import COMMANDS
from reconciler.text.errors_opening import FOUND_KINDS, OPENING
from reconciler.text.errors_reading import EXPECTED_VALUES, READING
from reconciler.text.errors_service import SERVICE

LANGUAGES = ("ru", "en")

# code -> language -> (what is wrong, what to do), by the stage that raises it. Placeholders are
# params (file, sheet, row, value ...) and the values _derived() writes out for the language
# (where, found_text ...).
CATALOGUE: dict[str, dict[str, tuple[str, str]]] = {**OPENING, **READING, **SERVICE, **COMMANDS}

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
