"""Keys and name forms: one value written many ways becomes one string."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import ConfigError
from reconciler.match import fold, name_keys, place_keys, unit_keys
from reconciler.rules import NormalizeRules, Rules, default_rules_dir, load_rules

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
        ("зав. № 123О5", "123O5"),  # Cyrillic О is the letter O, as a Latin O would be
        ("СZJ7132ОXQ", "CZJ7132OXQ"),  # the 2000-row seed-3 case: О after a digit
        ("SN1234", "SN1234"),  # 'SN' glued to digits is part of the serial, not a label
        ("", ""),
        (None, ""),
    ],
)
def test_serial_key_folds_labels_lookalikes_case_and_punctuation(written, key) -> None:
    assert unit_keys.serial_key(written) == key


def test_a_cell_listing_several_serials_splits_into_each() -> None:
    assert unit_keys.split_serials("S/N CZJ111, czj112; CZJ113\nCZJ114") == [
        "CZJ111",
        "CZJ112",
        "CZJ113",
        "CZJ114",
    ]


def test_a_serial_written_with_spaces_inside_stays_one_serial() -> None:
    assert unit_keys.split_serials("CZJ 1234 ABC") == ["CZJ1234ABC"]


def test_serials_separated_only_by_spaces_split_when_each_looks_whole() -> None:
    assert unit_keys.split_serials("CZJ11111 CZJ11112") == ["CZJ11111", "CZJ11112"]


@pytest.mark.parametrize(
    "written", ["Инв. № 000123", "ИНВ-123", "123", "00000123", "инв.№ 0123", "№ 00-12 3"]
)
def test_inventory_number_spellings_share_one_key(written: str) -> None:
    assert unit_keys.inventory_key(written) == "123"


def test_inventory_number_series_letters_are_kept_and_lookalikes_folded() -> None:
    assert unit_keys.inventory_key("ОС-00045") == unit_keys.inventory_key("OC-45") == "OC45"
    assert unit_keys.inventory_key("BP-45") != unit_keys.inventory_key("OC-45")


@pytest.mark.parametrize(
    "written",
    ["Иванов И.И.", "Иванов И. И.", "Иванов Иван Иванович", "И.И. Иванов", "ИВАНОВ иван иванович"],
)
def test_person_spellings_reduce_to_surname_and_initials(written: str) -> None:
    assert place_keys.person_key(written) == "иванов и.и."


def test_different_people_with_one_surname_stay_apart() -> None:
    assert place_keys.person_key("Иванов И.И.") != place_keys.person_key("Иванов П.И.")


def test_places_compare_without_case_spacing_punctuation_and_with_aliases(rules: Rules) -> None:
    plain = rules.normalize
    assert place_keys.place_key("Москва, ЦОД-1", plain) == place_keys.place_key(
        "москва цод 1", plain
    )
    aliased = plain.model_copy(update={"places": {"msk-dc1": ["Москва ЦОД-1", "ЦОД1 Москва"]}})
    assert place_keys.place_key("ЦОД1, Москва", aliased) == place_keys.place_key("msk dc1", aliased)


def test_lookalikes_fold_inside_latin_tokens_and_russian_words_stay_russian() -> None:
    assert fold.fold_lookalikes("Сервер НР DL38О") == "сервер hp dl380"


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
    a = name_keys.name_key(book, rules.normalize)
    b = name_keys.name_key(it, rules.normalize)
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
        key = name_keys.name_key(text, rules.normalize)
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
    for key in (unit_keys.serial_key, unit_keys.inventory_key, place_keys.person_key):
        once = key(text)
        assert key(once) == once, key.__name__
    once = fold.fold_lookalikes(text)
    assert fold.fold_lookalikes(once) == once
    place = place_keys.place_key(text)
    assert place_keys.place_key(place) == place


@settings(max_examples=300, deadline=None)
@given(REGISTER_TEXT, st.sampled_from([{}, {"і": "i"}, {"0": "o"}]))
def test_a_keys_alphabet_is_its_texts_characters_latin_upper_case_and_alphanumeric(
    text: str, extra: dict[str, str]
) -> None:
    """key_chars folds a number's head once and appends its digits: the same as folding the
    whole text character by character, whatever the look-alike table."""
    keys = fold._make_key_tables({**fold.DEFAULT_LOOKALIKES, **extra}, [])
    whole = "".join(ch for ch in text.translate(keys.translate) if ch.isalnum()).upper()
    assert fold.key_chars(text, keys) == whole
    digits = "0042".translate(keys.translate).upper()  # '0' may be a look-alike too
    assert fold.key_chars(text + "0042", keys) == whole + digits


@settings(max_examples=200, deadline=None)
@given(REGISTER_TEXT)
def test_name_keys_are_stable_under_renormalisation(text: str) -> None:
    once = name_keys.name_key(text, SHIPPED)
    assert name_keys.name_key(once.text, SHIPPED).text == once.text


# --- look-alikes and serial labels come from the rules ------------------------------------

LATIN_TWIN = {latin.upper(): cyr.upper() for cyr, latin in fold.DEFAULT_LOOKALIKES.items()}


def users_rules(folder, **changes: object) -> NormalizeRules:
    """A user's rules folder: the shipped normalize.yaml with `changes` merged into it."""
    shipped = yaml.safe_load((default_rules_dir() / "normalize.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        shipped[key] = {**shipped[key], **value} if isinstance(value, dict) else value
    (folder / "normalize.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True), "utf-8")
    return load_rules(folder).normalize


def test_the_module_defaults_are_the_shipped_lookalikes_and_serial_prefixes() -> None:
    shipped = fold.key_tables(SHIPPED)
    assert SHIPPED.lookalikes == fold.DEFAULT_LOOKALIKES
    assert shipped.translate == fold.DEFAULT_KEYS.translate
    assert shipped.serial_prefixes == fold.DEFAULT_KEYS.serial_prefixes


def test_a_lookalike_added_in_the_users_rules_folds_serials_places_and_names(tmp_path) -> None:
    """Plants the Ukrainian 'і' (U+0456) as a twin of the Latin 'i' in a user's rules."""
    mine = users_rules(tmp_path, lookalikes={"і": "i"})
    assert unit_keys.serial_key("CZJ1і34", mine) == unit_keys.serial_key("CZJ1I34") == "CZJ1I34"
    assert unit_keys.serial_key("CZJ1і34") != "CZJ1I34"  # the shipped rules do not know it
    assert unit_keys.split_serials("CZJ1і34, CZJ5і55", mine) == ["CZJ1I34", "CZJ5I55"]
    assert unit_keys.inventory_key("Nі-45", mine) == "NI45"
    assert name_keys.name_key("Ноутбук Lenovo ThіnkPad T14", mine).text == "thinkpad t14"
    assert name_keys.name_key("Ноутбук Lenovo ThіnkPad T14", SHIPPED).text != "thinkpad t14"


def test_a_serial_label_added_in_the_users_rules_is_stripped(tmp_path) -> None:
    """Plants the German label 'Serien-Nr.' in a user's serial_prefixes."""
    mine = users_rules(tmp_path, serial_prefixes=[*SHIPPED.serial_prefixes, "serien-nr."])
    assert unit_keys.serial_key("Serien-Nr. CZJ1234", mine) == "CZJ1234"
    assert unit_keys.split_serials("Serien-Nr. CZJ1234; CZJ1235", mine) == ["CZJ1234", "CZJ1235"]
    assert unit_keys.serial_key("Serien-Nr. CZJ1234") != "CZJ1234"


def test_a_lookalike_that_is_not_one_letter_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="lookalikes: 'ш' -> 'sh' must map one letter"):
        users_rules(tmp_path, lookalikes={"ш": "sh"})


def test_trade_marks_name_no_product(rules) -> None:
    """NFKC turns '™' into the letters 'TM' glued to the word ('officetm')."""
    for marked, plain in [
        ("Office™ 2007", "Office 2007"),
        ("Ноутбук Lenovo ThinkPad® T14", "Ноутбук Lenovo ThinkPad T14"),
        ("Сервер Dell PowerEdge™ R750", "Сервер Dell PowerEdge R750"),
    ]:
        assert name_keys.name_key(marked, rules.normalize) == name_keys.name_key(
            plain, rules.normalize
        ), marked


def test_a_vat_rate_written_as_percent_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"vat_rates: 20(\.0)? is no rate; write 20% as 0\.20"):
        users_rules(tmp_path, vat_rates=[20])


# A serial as IT records it: Latin capitals and digits, at least one digit (a serial is never
# only a label such as 'SN'), and not a placeholder ('0', '0000', '12345': no serial at all).
LATIN_SERIAL = st.text(alphabet="ABCEHKMOPTXYZDFGJ0123456789", min_size=1, max_size=14).filter(
    lambda s: any(c.isdigit() for c in s) and not fold.DEFAULT_KEYS.is_placeholder(s)
)


@settings(max_examples=400, deadline=None)
@given(LATIN_SERIAL, st.data())
def test_a_serial_typed_with_any_cyrillic_twins_has_the_latin_serials_key(serial, data) -> None:
    twins = [i for i, ch in enumerate(serial) if ch in LATIN_TWIN]
    swap = set(data.draw(st.lists(st.sampled_from(twins), unique=True)) if twins else [])
    typed = "".join(LATIN_TWIN[ch] if i in swap else ch for i, ch in enumerate(serial))
    assert unit_keys.serial_key(typed) == unit_keys.serial_key(serial) == serial
    assert unit_keys.serial_key(typed.lower()) == serial


@settings(max_examples=400, deadline=None)
@given(LATIN_SERIAL, LATIN_SERIAL)
def test_two_serials_that_differ_in_more_than_lookalikes_never_share_a_key(a, b) -> None:
    assert (unit_keys.serial_key(a) == unit_keys.serial_key(b)) == (a == b)


# --- HP Inc. and HPE ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "vendor"),
    [
        ("Сервер НР ProLiant DL380 G10", "hpe"),  # Cyrillic НР, family word
        ("HP ProLiant DL380 Gen10", "hpe"),
        ("Сервер HP DL380", "hpe"),  # no family word: a server is HPE's
        ("HP DL360 Gen11", "hpe"),  # the model family alone
        ("Hewlett Packard Enterprise DL380G10", "hpe"),
        ("HPE ProLiant DL380 Gen10", "hpe"),
        ("HP EliteBook 840 G9", "hp"),
        ("Ноутбук НР EliteBook 840 G9", "hp"),
        ("Системный блок HP ProDesk 400 G9 SFF", "hp"),
        ("МФУ HP LaserJet Enterprise MFP M528dn", "hp"),
        ("Монитор HP E24 G5", "hp"),
    ],
)
def test_hp_is_hp_inc_unless_the_family_or_category_says_hpe(written, vendor, rules) -> None:
    assert name_keys.name_key(written, rules.normalize).vendor == vendor


def test_the_lookalike_hp_server_still_reads_as_the_hpe_model(rules) -> None:
    book = name_keys.name_key("Сервер НР ProLiant DL380 G10", rules.normalize)
    it = name_keys.name_key("HPE ProLiant DL380 Gen10", rules.normalize)
    assert (book.vendor, book.category, book.text) == ("hpe", "server", it.text)


def test_a_vendor_split_naming_an_unknown_vendor_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"vendor_splits.hp: 'hpq' is not a vendor"):
        users_rules(tmp_path, vendor_splits={"hp": [{"vendor": "hpq", "families": ["x"]}]})


# --- shortcuts that keep the name keys the same -------------------------------------------

NAME_TEXT = st.text(
    alphabet='АВЕКМНОРСТУХавекмнорстухABCDEGHKMOPTXYZabcdeghkmoptvxyz0123456789 .,-+"/()Gg',
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(NAME_TEXT)
def test_skipping_rewrites_that_cannot_apply_never_changes_a_name_key(text: str) -> None:
    fast = name_keys._tables(SHIPPED)
    slow = dataclasses.replace(fast, any_rewrite=None, cache={})
    assert name_keys._name_key(text, fast) == name_keys._name_key(text, slow)


def test_rewrites_with_backreferences_are_each_tried_rather_than_combined(tmp_path) -> None:
    mine = users_rules(tmp_path, model_rewrites=[{"pattern": r"(\w)\1", "replace": r"\1"}])
    assert name_keys._tables(mine).any_rewrite is None
    assert name_keys.name_key("Ноутбук ZZ 55", mine).text == "z 5"


# --- spacing, case, repeated words, placeholders, vendors from the data --------------------


@pytest.mark.parametrize(
    ("glued", "spaced"),
    [
        ("Ноутбук Dell Latitude5420", "Dell Latitude 5420"),
        ("Latitude-5420", "latitude 5420"),
        ("Сервер Dell EMC PowerEdgeR750xs", "Dell PowerEdge R750xs"),
        ("Ноутбук HP ProBook450G9", "HP ProBook 450 G9"),
        ("HPE DL380G10", "HPE ProLiant DL380 Gen10"),
        ("Sony Turntable - PSLX350H", "Sony PS-LX350H Belt-Drive Turntable"),
    ],
)
def test_a_model_written_glued_has_the_model_of_the_spaced_one(rules, glued, spaced) -> None:
    assert (
        name_keys.name_key(glued, rules.normalize).model
        == name_keys.name_key(spaced, rules.normalize).model
    )


def test_the_squashed_name_survives_any_spacing_and_case(rules) -> None:
    forms = ["Latitude5420", "latitude 5420", "LATITUDE-5420", "Latitude 54 20", "АFFА250"]
    squashed = {name_keys.name_key(f, rules.normalize).squashed for f in forms[:4]}
    assert squashed == {"latitude5420"}
    assert (
        name_keys.name_key("АFFА250", rules.normalize).squashed
        == name_keys.name_key("AFF A250", rules.normalize).squashed
    )


def test_a_word_written_twice_is_one_token_of_the_key(rules) -> None:
    key = name_keys.name_key("ИБП APC Smart-UPS SRT 1500 TU1500RD TU1500RD", rules.normalize)
    assert key.model == name_keys.name_key("APC SRT1500 TU1500RD", rules.normalize).model
    assert key.text.split().count("tu1500rd") == 1


@pytest.mark.parametrize(
    "filler",
    [
        "To Be Filled By O.E.M.",
        "Default string",
        "0123456789",
        "XXXXXXXXXX",
        "0",
        "0000000000",
        "No Asset Information",
        "System Serial Number",
    ],
)
def test_a_placeholder_is_no_serial_tag_or_barcode(filler) -> None:
    assert unit_keys.serial_key(filler) == ""
    assert unit_keys.split_serials(filler) == []
    assert unit_keys.inventory_key(filler) == ""
    assert unit_keys.barcode_key(filler) == ""


def test_real_serials_and_padded_inventory_numbers_are_no_placeholders() -> None:
    assert unit_keys.serial_key("CZJ1234ABC") == "CZJ1234ABC"
    assert unit_keys.serial_key("S/N: 00000000") == ""  # the label goes, the filler stays none
    assert unit_keys.inventory_key("00000111") == "111"
    assert unit_keys.inventory_key("ВА-000123") == "BA123"


def test_the_module_defaults_are_the_shipped_placeholders() -> None:
    assert tuple(SHIPPED.placeholders or ()) == fold.DEFAULT_PLACEHOLDERS
    assert tuple(SHIPPED.placeholder_patterns or ()) == fold.DEFAULT_PLACEHOLDER_PATTERNS


def test_a_placeholder_added_in_the_users_rules_is_no_serial(tmp_path) -> None:
    mine = users_rules(tmp_path, placeholders=["NOSERIAL"])
    assert unit_keys.serial_key("no-serial", mine) == ""
    assert unit_keys.serial_key("no-serial") == "NOSERIAL"


def test_manufacturers_of_the_inventory_become_vendors_of_the_names(rules) -> None:
    learned = name_keys.with_vendors(rules.normalize, ["Bose Corp.", "Dell Inc.", None, "Denon"])
    key = name_keys.name_key("Bose SoundTouch 300", learned)
    assert (key.vendor, key.text) == ("bose", "soundtouch 300")
    assert name_keys.name_key("Denon AVR-X1700H", learned).vendor == "denon"
    assert name_keys.name_key("Dell Latitude 5420", learned).vendor == "dell"
    assert name_keys.with_vendors(rules.normalize, ["Dell Inc."]) is rules.normalize


def test_rules_with_learned_vendors_fold_keys_with_the_same_tables(rules, tmp_path) -> None:
    """The matcher's copy of the rules (vendors added) reuses the serials already folded."""
    learned = name_keys.with_vendors(rules.normalize, ["Bose Corp."])
    assert learned is not rules.normalize
    assert fold.key_tables(learned) is fold.key_tables(rules.normalize)
    mine = users_rules(tmp_path, placeholders=["NOSERIAL"])
    assert fold.key_tables(mine) is not fold.key_tables(rules.normalize)
    assert unit_keys.serial_key("no-serial", mine) == ""
    assert unit_keys.serial_key("no-serial", learned) == "NOSERIAL"


def test_transliterated_vendors_are_their_vendor(rules) -> None:
    for text, vendor in [
        ("Ноутбук Леново ThinkPad T14", "lenovo"),
        ("Ноутбук Делл Latitude 5420", "dell"),
        ("Принтер Хьюлетт-Паккард LaserJet M428", "hp"),
    ]:
        assert name_keys.name_key(text, rules.normalize).vendor == vendor


def test_a_maker_the_names_begin_with_is_a_vendor_and_a_common_word_is_not(rules) -> None:
    """Plants 'Sony' (not in normalize.yaml, no manufacturer column) at the start of names on
    both sides, and 'The' starting some names but standing inside as many others."""
    books = ["Sony Turntable - PSLX350H", "The Sims 2", "Ноутбук Dell Latitude 5420"]
    assets = [
        "Sony PS-LX350H Belt-Drive Turntable",
        "Sony Walkman NW-A45",
        "The Print Shop 22",
        "The Sims 2 Expansion",
        "Maxis The Sims 2",
        "Encore The Oregon Trail",
        "Riverdeep The Print Shop",
        "Ноутбук Dell Latitude 5420",
    ]
    found = name_keys.first_word_vendors(books, assets, rules.normalize)
    assert "sony" in found
    assert "the" not in found
    vendors = name_keys.with_vendors(rules.normalize, found).vendors
    assert "sony" in vendors
    assert "ноутбук" not in vendors


# --- whole columns at once (what blocking and the exact keys read) --------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(REGISTER_TEXT | st.none(), max_size=8))
def test_a_column_keyed_at_once_equals_each_cell_keyed_alone(texts: list[str | None]) -> None:
    for rules in (None, SHIPPED):
        assert unit_keys.serial_keys(texts, rules) == [
            unit_keys.serial_key(t, rules) for t in texts
        ]
        assert unit_keys.inventory_keys(texts, rules) == [
            unit_keys.inventory_key(t, rules) for t in texts
        ]
        assert unit_keys.split_serials_each(texts, rules) == [
            tuple(unit_keys.split_serials(t, rules)) for t in texts
        ]
        assert place_keys.place_keys(texts, rules) == [
            place_keys.place_key(t, rules) for t in texts
        ]
    assert place_keys.person_keys(texts) == [place_keys.person_key(t) for t in texts]
    assert name_keys.name_keys(texts, SHIPPED) == [name_keys.name_key(t, SHIPPED) for t in texts]


def test_a_label_alone_is_no_key_even_in_plain_letters() -> None:
    """'SN' or 'INV' typed alone is the label with nothing after it, not a serial or a tag;
    plain letters and digits otherwise are the key as they are."""
    for label in ("SN", "sn", "Serial"):
        assert unit_keys.serial_key(label) == ""
        assert unit_keys.split_serials(label) == []
    assert unit_keys.inventory_key("INV") == ""
    assert unit_keys.serial_key("czj1234abc") == "CZJ1234ABC"
    assert unit_keys.split_serials("CZJ1234ABC") == ["CZJ1234ABC"]
    assert unit_keys.inventory_key("000123") == "123"
