"""The words for finding codes and the formats of money and dates, in one place: the reports,
the workbook and the emails all say them, and must say them alike (text/report.py and
text/mail.py both import from here; neither imports the other's labels)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# Human names of the stable finding codes (shared/DESIGN.md); an unknown code shows as itself.
CODE_LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "MISSING_IN_INVENTORY": "Нет в ИТ-учете",
        "MISSING_IN_BOOKS": "Нет в учете",  # the sheet, the messages and the mails say so too
        "LOCATION_MISMATCH": "Другое местонахождение",
        "CUSTODIAN_MISMATCH": "Другое МОЛ",
        "SERIAL_MISMATCH": "Другой серийный номер",
        "COST_MISMATCH": "Другая стоимость",
        "FULLY_DEPRECIATED_IN_SERVICE": "Полностью амортизирован, но в работе",
        "DISPOSED_STILL_ON_BOOKS": "Списан в ИТ, но числится на балансе",
        "BELOW_CAPITALIZATION_THRESHOLD": "Ниже порога капитализации",
        "DUPLICATE_ON_BOOKS": "Дубль в учете",
        "KIT_INCOMPLETE": "Комплект неполный",
        "NEEDS_REVIEW": "Нужна проверка сопоставления",
    },
    "en": {
        "MISSING_IN_INVENTORY": "Not in IT inventory",
        "MISSING_IN_BOOKS": "Not on the books",
        "LOCATION_MISMATCH": "Location differs",
        "CUSTODIAN_MISMATCH": "Custodian differs",
        "SERIAL_MISMATCH": "Serial differs",
        "COST_MISMATCH": "Cost differs",
        "FULLY_DEPRECIATED_IN_SERVICE": "Fully depreciated, still in service",
        "DISPOSED_STILL_ON_BOOKS": "Disposed in IT, still on the books",
        "BELOW_CAPITALIZATION_THRESHOLD": "Below capitalisation threshold",
        "DUPLICATE_ON_BOOKS": "Duplicate on the books",
        "KIT_INCOMPLETE": "Kit incomplete",
        "NEEDS_REVIEW": "Match needs review",
    },
}


# The kinds of note (models.Finding.is_note) that are no code: an accepted finding.
NOTE_KINDS: dict[str, dict[str, str]] = {
    "ru": {"ACCEPTED": "Принято как исключение"},
    "en": {"ACCEPTED": "Accepted as an exception"},
}


def code_label(code: str, language: str) -> str:
    """The finding code in words ("Другая стоимость"); an unknown code shows as itself."""
    kinds = NOTE_KINDS.get(language, NOTE_KINDS["ru"])
    return kinds.get(code) or CODE_LABELS.get(language, CODE_LABELS["ru"]).get(code, code)


def format_money(value: Decimal | float | None, language: str) -> str:
    """1 234 567,89 (ru, with no-break spaces as the accountant writes it) or 1,234,567.89."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    if language == "ru":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def format_date(value: date | None, language: str) -> str:
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y") if language == "ru" else value.isoformat()
