"""How noisy a synthetic company is: its own module because company.py (which lines are drawn)
and generate.py (which numbers and lays them out) both read it, and generate imports company."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class NoiseConfig:
    """Probabilities of each kind of noise and rates of each planted finding (per book row)."""

    missing_serial: float = 0.30  # book row has no serial
    lookalike: float = 0.15  # Cyrillic look-alike letters in serials/models
    vendor_spelling: float = 0.3  # "Hewlett Packard Enterprise" / "HP" / "НР" / none
    dropped_family: float = 0.3  # "Latitude 7430" without "Dell"; "DL380 Gen10" without "ProLiant"
    model_spelling: float = 0.2  # "DL380G10" vs "DL380 Gen10"
    typo: float = 0.05  # one-character typo in the name
    glued: float = 0.05  # "Latitude5420", "PowerEdgeR750": the family glued to the model
    split_model: float = 0.03  # "R750 xs", "T 14": a space inside the model
    camel: float = 0.03  # "ThinkPadT14Gen3": every word glued, each capitalised
    split_family: float = 0.03  # "Think Pad", "Power Edge", "Laser Jet": the family in two words
    trademark: float = 0.02  # "ThinkPad®", "PowerEdge™": the marks the supplier's invoice carries
    letter_case: float = 0.03  # "НОУТБУК DELL LATITUDE 5430" or all in small letters
    specs: float = 0.05  # the configuration after the name: "(i5-1245U/16GB/512GB SSD)"
    habit: float = 0.2  # what this accountant adds to names, IT never: "(ОС)", "б/у", "в сборе"
    translit_vendor: float = 0.05  # "Леново", "Делл", "Хьюлетт-Паккард"
    placeholder_serial: float = 0.02  # IT records "To Be Filled By O.E.M." as the serial
    placeholder_tag: float = 0.02  # IT records "0000000000" / "No Asset Information" as the tag
    tag_typo: float = 0.02  # IT typed the inventory number with one digit wrong
    it_cost_vat: float = 0.2  # share of sites whose IT writes invoices' totals, VAT included
    it_part_number: float = 0.05  # IT's model carries the part number: "DL380 Gen10 (P20174-B21)"
    it_date_missing: float = 0.15  # IT recorded no purchase date
    it_date_loaded: float = 0.10  # a unit bought before IT's system carries the day it was loaded
    person_format: float = 0.5  # "Иванов И.И." / "И.И. Иванов" instead of the full name
    kit: float = 0.02  # kit lines "Комплект ... (N шт.)"
    not_in_it: float = 0.03  # book rows with no IT asset -> MISSING_IN_INVENTORY
    # identical models: laptops/desktops bought in batches for one site on one date
    batch: float = 0.5  # share of office lines that start a batch
    max_batch: int = 50
    missing_tag: float = 0.10  # IT record of an ordinary line has no asset tag
    kit_incomplete: float = 0.3  # share of kits with a unit IT does not have -> KIT_INCOMPLETE
    # planted findings, per book row (pairs for duplicates; per row for missing_in_books)
    location_mismatch: float = 0.03
    custodian_mismatch: float = 0.03
    serial_mismatch: float = 0.02
    cost_mismatch: float = 0.03
    fully_depreciated: float = 0.03
    disposed_on_books: float = 0.02
    below_threshold: float = 0.02
    duplicate: float = 0.01
    missing_in_books: float = 0.03
    disposed_off_books: float = 0.3  # share of the off-book assets that are written off in IT too
    min_planted: int = 1  # at least this many of each code when the register has >= 30 rows
