"""What the terminal says of a run and of a setup, ru and en: the progress line of a long run
(one line per stage, with the counts known by then), the run's summary line, and what
`reconciler check` reports when all is well; in report.language like every other word the CLI
prints.
"""

from __future__ import annotations

from collections.abc import Mapping

# The stages as pipeline.py times them (results.json "timings"), plus the delivery that
# `reconciler run` does after them.
STAGES = ("read", "inventory", "match", "checks", "annotate", "reports", "mail")

_STAGE_WORDS: dict[str, dict[str, str]] = {
    "ru": {
        "read": "Чтение ведомости «{file}»",
        "inventory": "Загрузка ИТ-учета",
        "match": "Сопоставление строк ведомости ({rows}) с записями ИТ-учета ({assets})",
        "checks": "Проверка пар: сопоставлено {matched}, на проверку {review}",
        "annotate": "Запись копии ведомости с пометками (расхождений и замечаний: {findings})",
        "reports": "Запись отчета о расхождениях",
        "mail": "Отправка писем",
    },
    "en": {
        "read": "Reading the register “{file}”",
        "inventory": "Loading the IT inventory",
        "match": "Matching the register rows ({rows}) with the IT records ({assets})",
        "checks": "Checking the pairs: {matched} matched, {review} to review",
        "annotate": "Writing the annotated register (discrepancies and notes: {findings})",
        "reports": "Writing the discrepancy report",
        "mail": "Sending the emails",
    },
}


class _Unknown(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def _number(value: object, language: str) -> str:
    """1 234 in Russian (a no-break space between thousands), 1,234 in English."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
        return text.replace(",", "\u00a0") if language == "ru" else text
    return str(value)


def stage_line(stage: str, counts: Mapping[str, object], language: str) -> str:
    """'Matching the register rows (1,234) with the IT records (5,678)'."""
    words = _STAGE_WORDS.get(language, _STAGE_WORDS["en"])
    template = words.get(stage, stage)
    values = _Unknown({k: _number(v, language) for k, v in counts.items()})
    return template.format_map(values)


_SAID: dict[str, dict[str, str]] = {
    "ru": {
        "summary": "{file}: строк {rows}, сопоставлено {matched}, на проверку {review}, "
        "не найдено {unmatched}, расхождений и примечаний {findings}",
        "config_ok": "Настройки {path}: в порядке",
        "rules_ok": "Правила {path}: в порядке",
        "inventory": "ИТ-учет {source}: записей {assets}",
        "warning": "  внимание: {text}",
        "scope": "scope.by_folder.{folder}: {size} из {total} записей",
        "revoked": "Решение №{id} ({what}) отменено {when}",
    },
    "en": {
        "summary": "{file}: {rows} rows, {matched} matched, {review} to review, "
        "{unmatched} unmatched, {findings} findings",
        "config_ok": "config {path}: ok",
        "rules_ok": "rules {path}: ok",
        "inventory": "inventory {source}: {assets} assets",
        "warning": "  warning: {text}",
        "scope": "scope.by_folder.{folder}: {size} of {total} assets",
        "revoked": "decision {id} ({what}) revoked at {when}",
    },
}


def said(key: str, language: str, **values: object) -> str:
    """One line the CLI prints (`key` of the table above), counts written out for the language."""
    words = _SAID.get(language, _SAID["en"])
    return words[key].format_map(_Unknown({k: _number(v, language) for k, v in values.items()}))
