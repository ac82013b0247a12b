"""Keys and name forms: one value written many ways becomes one string."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import normalize
from reconciler.errors import ConfigError
from reconciler.rules import NormalizeRules, Rules, load_rules

SHIPPED: NormalizeRules = load_rules().normalize

# Letters people really type into registers: both layouts, digits, the usual punctuation.
REGISTER_TEXT = st.text(
    alphabet="АВЕКМНОРСТУХавекмнорстухИБПФЖЁёABCDEHKMOPTXYZabcdehkmoptxyz0123456789 .,;:-/№#()",
    max_size=30,
)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("S/N: CZJ1234ABC", "CZJ1234ABC"),
        ("сер. № czj-1234-abc", "CZJ1234ABC"),
        ("СZJ 1234 АВС", "CZJ1234ABC"),  # Cyrillic С, А, В, С typed on the Russian layout
        ("зав. № 123О5", "12305"),  # Cyrillic О between digits is a zero
        ("SN1234", "SN1234"),  # 'SN' glued to digits is part of the serial, not a label
        ("", ""),
        (None, ""),
    ],
)
def test_serial_key_folds_labels_lookalikes_case_and_punctuation(written, key) -> None:
    assert normalize.serial_key(written) == key


def test_a_cell_listing_several_serials_splits_into_each() -> None:
    assert normalize.split_serials("S/N CZJ111, czj112; CZJ113\nCZJ114") == [
        "CZJ111",
        "CZJ112",
        "CZJ113",
        "CZJ114",
    ]


def test_a_serial_written_with_spaces_inside_stays_one_serial() -> None:
    assert normalize.split_serials("CZJ 1234 ABC") == ["CZJ1234ABC"]


def test_serials_separated_only_by_spaces_split_when_each_looks_whole() -> None:
    assert normalize.split_serials("CZJ11111 CZJ11112") == ["CZJ11111", "CZJ11112"]


@pytest.mark.parametrize(
    "written", ["Инв. № 000123", "ИНВ-123", "123", "00000123", "инв.№ 0123", "№ 00-12 3"]
)
def test_inventory_number_spellings_share_one_key(written: str) -> None:
    assert normalize.inventory_key(written) == "123"


def test_inventory_number_series_letters_are_kept_and_lookalikes_folded() -> None:
    assert normalize.inventory_key("ОС-00045") == normalize.inventory_key("OC-45") == "OC45"
    assert normalize.inventory_key("BP-45") != normalize.inventory_key("OC-45")


@pytest.mark.parametrize(
    "written",
    ["Иванов И.И.", "Иванов И. И.", "Иванов Иван Иванович", "И.И. Иванов", "ИВАНОВ иван иванович"],
)
def test_person_spellings_reduce_to_surname_and_initials(written: str) -> None:
    assert normalize.person_key(written) == "иванов и.и."


def test_different_people_with_one_surname_stay_apart() -> None:
    assert normalize.person_key("Иванов И.И.") != normalize.person_key("Иванов П.И.")


def test_places_compare_without_case_spacing_punctuation_and_with_aliases(rules: Rules) -> None:
    plain = rules.normalize
    assert normalize.place_key("Москва, ЦОД-1", plain) == normalize.place_key("москва цод 1", plain)
    aliased = plain.model_copy(update={"places": {"msk-dc1": ["Москва ЦОД-1", "ЦОД1 Москва"]}})
    assert normalize.place_key("ЦОД1, Москва", aliased) == normalize.place_key("msk dc1", aliased)


def test_lookalikes_fold_inside_latin_tokens_and_russian_words_stay_russian() -> None:
    assert normalize.fold_lookalikes("Сервер НР DL38О") == "сервер hp dl380"


@pytest.mark.parametrize(
    ("book", "it"),
    [
        ("Сервер НР ProLiant DL380 G10", "HPE ProLiant DL380 Gen10"),  # look-alike vendor, model
        ("Сервер Hewlett Packard Enterprise DL380G10", "HP DL380 Gen 10"),
        ("Сервер Dell EMC PowerEdge R740", "Dell PowerEdge R740"),
        ("Сервер HPE DL38О Gen10 Plus", "HPE DL380 G10+"),
    ],
)
def test_name_spellings_of_one_model_compare_equal(book: str, it: str, rules: Rules) -> None:
    a = normalize.name_key(book, rules.normalize)
    b = normalize.name_key(it, rules.normalize)
    assert a.vendor == b.vendor
    assert a.model_tokens == b.model_tokens


def test_russian_category_words_become_categories_not_noise(rules: Rules) -> None:
    cases = {
        "Сервер HPE DL380": "server",
        "Ноутбук Lenovo T14": "laptop",
        "Коммутатор Cisco C9200": "switch",
        "Системный блок Dell OptiPlex 7090": "desktop",
        "ИБП APC Smart-UPS 3000": "ups",
        "МФУ Kyocera M2040dn": "mfp",
    }
    for text, category in cases.items():
        key = normalize.name_key(text, rules.normalize)
        assert key.category == category, text
        assert category not in key.text


def test_a_model_rewrite_that_is_not_a_regex_is_reported_with_its_key(tmp_path) -> None:
    (tmp_path / "normalize.yaml").write_text(
        "lookalikes: {}\nvendors: {}\ncategories: {}\n"
        "model_rewrites: [{pattern: 'gen(\\d+', replace: 'g'}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"model_rewrites\.0\.pattern.*regular expression"):
        load_rules(tmp_path)


@settings(max_examples=300, deadline=None)
@given(REGISTER_TEXT)
def test_normalising_twice_equals_normalising_once(text: str) -> None:
    for key in (normalize.serial_key, normalize.inventory_key, normalize.person_key):
        once = key(text)
        assert key(once) == once, key.__name__
    once = normalize.fold_lookalikes(text)
    assert normalize.fold_lookalikes(once) == once
    place = normalize.place_key(text)
    assert normalize.place_key(place) == place


@settings(max_examples=200, deadline=None)
@given(REGISTER_TEXT)
def test_name_keys_are_stable_under_renormalisation(text: str) -> None:
    once = normalize.name_key(text, SHIPPED)
    assert normalize.name_key(once.text, SHIPPED).text == once.text
