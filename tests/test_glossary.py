"""text/glossary.py: one term per thing in every text we write; serials shown without labels;
IT statuses in the reader's words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.decisions.answer import TEXT as ANSWER_TEXT
from reconciler.models import Asset, AssetStatus
from reconciler.rules import default_rules
from reconciler.text.glossary import (
    _SERIAL_LABEL,
    AVOID,
    LABEL_STARTS,
    display_serial,
    status_word,
)
from reconciler.text.labels import CODE_LABELS, NOTE_KINDS
from reconciler.text.mail import STRINGS
from reconciler.text.report import LABELS


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings_in(v)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_no_text_names_a_glossary_term_a_second_way(language: str) -> None:
    messages = [rule.message.get(language, "") for rule in default_rules().checks.codes.values()]
    texts = [
        *strings_in(LABELS[language]),
        *strings_in(STRINGS[language]),
        *strings_in(CODE_LABELS[language]),
        *strings_in(NOTE_KINDS[language]),
        *strings_in(ANSWER_TEXT[language]),
        *messages,
    ]
    assert len(texts) > 100
    for text in texts:
        for word in AVOID[language]:
            assert word.casefold() not in text.casefold(), (word, text)


def test_serial_labels_are_stripped_for_display_and_a_serial_that_starts_like_one_is_kept() -> None:
    assert display_serial("с/н сер. № C8TFXQ163725") == "C8TFXQ163725"
    assert display_serial("S/N: CZJ1234ABC") == "CZJ1234ABC"
    assert display_serial("Serial No. X1") == "X1"
    assert display_serial("зав. № 5512") == "5512"
    assert display_serial("SN12345") == "SN12345"  # the serial itself, not a label
    assert display_serial("CZJ 1234 ABC") == "CZJ 1234 ABC"
    assert display_serial(None) is None


def test_a_serial_whose_first_character_no_label_starts_with_is_shown_as_written() -> None:
    # display_serial skips the label pattern for such serials: LABEL_STARTS must hold every
    # character a label's first letter matches under IGNORECASE, and the pattern's labels
    # must all start with one of them.
    firsts = "".join(sorted({chr(i) for i in range(0x110000)} - {"\n"}))
    starting = {ch for ch in firsts if re.fullmatch("(?i)[сsз№#]", ch)}
    assert starting == LABEL_STARTS
    for label in ("с/н", "s/n", "sn", "с.н.", "сер", "зав. №", "serial", "№", "#"):
        assert _SERIAL_LABEL.match(label + " X1") and label[0] in LABEL_STARTS
    assert display_serial(" ᲃ/н X1 ") == "X1" and display_serial("  ") is None
    assert display_serial(" CZJ1 ") == "CZJ1"


def test_it_statuses_are_shown_in_the_readers_words_through_statuses_yaml() -> None:
    in_use = Asset("A-1", status=AssetStatus.IN_SERVICE, status_raw="In use")
    assert status_word(in_use, "ru") == "в эксплуатации"
    assert status_word(in_use, "en") == "in service"
    odd = Asset("A-2", status=AssetStatus.UNKNOWN, status_raw="Квантовый")
    assert status_word(odd, "ru") == "Квантовый"  # unknown: shown as IT wrote it, not guessed
