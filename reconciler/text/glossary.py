"""One term per thing, per language: the words every output uses for the same idea.

Accountants read the annotated copy, the email and the summary side by side; two words for
one thing ("ИТ-учет" here, "ИТ-инвентаризация" there) read as two things. TERMS holds the one
word; AVOID the synonyms that crept in before, which a test looks for in every text we write.
IT statuses are shown in the reader's words: statuses.yaml folds each inventory's own word
("In use", "Deployed", "в работе") into one of five states, and STATUS names those states.
"""

from __future__ import annotations

import re

from reconciler.models import Asset, AssetStatus

TERMS: dict[str, dict[str, str]] = {
    "ru": {
        "books": "учет",  # the fixed-asset register, as accountants say it
        "it_inventory": "ИТ-учет",
        "discrepancy": "расхождение",
        "note": "примечание",
        "custodian": "МОЛ",
        "location": "местонахождение",
        "serial": "серийный номер",
        "inventory_number": "инв. №",
        "duplicate": "дубль в учете",
        "accepted": "принято как исключение",
    },
    "en": {
        "books": "the books",
        "it_inventory": "IT inventory",
        "discrepancy": "discrepancy",
        "note": "note",
        "custodian": "custodian",
        "location": "location",
        "serial": "serial number",
        "inventory_number": "inventory No.",
        "duplicate": "duplicate on the books",
        "accepted": "accepted as an exception",
    },
}

# Words that name a TERMS idea a second way: never in what we write (test_glossary).
AVOID: dict[str, tuple[str, ...]] = {
    "ru": (
        "ИТ-инвентаризац",
        "дубль в ведомости",
        "ответственн",
        "учёт",
        "(In use)",
        "(Deployed)",
    ),
    "en": ("IT-inventory", "asset register of IT", "duplicate in the register"),
}

STATUS: dict[str, dict[str, str]] = {
    "ru": {
        AssetStatus.IN_SERVICE: "в эксплуатации",
        AssetStatus.IN_STOCK: "на складе",
        AssetStatus.REPAIR: "в ремонте",
        AssetStatus.DISPOSED: "списан",
        AssetStatus.UNKNOWN: "не указан",
    },
    "en": {
        AssetStatus.IN_SERVICE: "in service",
        AssetStatus.IN_STOCK: "in stock",
        AssetStatus.REPAIR: "in repair",
        AssetStatus.DISPOSED: "disposed",
        AssetStatus.UNKNOWN: "not stated",
    },
}


def term(name: str, language: str) -> str:
    return TERMS.get(language, TERMS["ru"])[name]


def status_word(asset: Asset, language: str) -> str:
    """The asset's IT status in the reader's words. A status statuses.yaml does not know is
    shown as IT wrote it (quoted by the caller's context), never guessed."""
    if asset.status is AssetStatus.UNKNOWN and asset.status_raw:
        return asset.status_raw
    return STATUS.get(language, STATUS["ru"])[asset.status]


# Labels people type before a serial: "с/н", "сер. №", "S/N:", "зав. №", "Serial No.". Shown
# values drop them; the serial is what is left ("с/н сер. № C8TFXQ163725" -> "C8TFXQ163725").
_SERIAL_LABEL = re.compile(
    r"^(?:\s*(?:с/н|s/n|sn|с\.н\.|сер(?:ийный)?\.?\s*(?:№|номер|no\.?)?|зав(?:одской)?\.?"
    r"\s*(?:№|номер)|serial(?:\s+(?:number|no\.?))?|№|#)\s*[:.]?\s*)+",
    re.IGNORECASE,
)

# The characters a label can start with, case folded as the pattern's IGNORECASE folds them
# (ſ is an s, ᲃ a Cyrillic с): a serial starting with any other has nothing to strip.
LABEL_STARTS = frozenset("сСᲃsSſзЗ№#")


def display_serial(text: str | None) -> str | None:
    """A serial as shown to people: its leading labels stripped, the rest as written."""
    if text is None:
        return None
    value = str(text).strip()
    if value[:1] not in LABEL_STARTS:  # most serials: no label can start here
        return value or None
    stripped = _SERIAL_LABEL.sub("", value)
    # A label must leave a serial behind: "SN12345" is a serial, not the label "sn".
    if not stripped or (stripped[:1].isalnum() and value[: len(value) - len(stripped)].isalpha()):
        return value or None
    return stripped
