"""How accountants write what IT writes: names, serials, people, inventory numbers, numbers.

Every function takes the generator's random.Random and returns a variant that a correct
normaliser folds back to the same key (look-alikes, spacing, initials) or, for the name, one
that only fuzzy matching recovers (dropped family, typos, other model spellings).
"""

from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal

from reconciler.synth.catalog import BOOK_WORD, KIT_WORD, Person, Product

# Latin capital -> Cyrillic look-alike, the letters someone on a Russian layout types.
_TO_CYRILLIC = str.maketrans("ABCEHKMOPTX", "АВСЕНКМОРТХ")
_TO_CYRILLIC_LOWER = str.maketrans("aceopxy", "асеорху")
NBSP = "\u00a0"


def cyrillic_lookalikes(rng: random.Random, text: str, share: float = 0.5) -> str:
    """Replace some Latin letters by their Cyrillic twins; at least one if any can be."""
    positions = [i for i, ch in enumerate(text) if ch.translate(_TO_CYRILLIC) != ch]
    if not positions:
        return text
    chosen = {i for i in positions if rng.random() < share} or {rng.choice(positions)}
    return "".join(ch.translate(_TO_CYRILLIC) if i in chosen else ch for i, ch in enumerate(text))


def book_serial(rng: random.Random, serial: str, lookalike: float) -> str:
    """A serial as typed into 1C: look-alikes, sometimes a 'S/N' label or lower case."""
    text = serial
    if rng.random() < lookalike:
        text = cyrillic_lookalikes(rng, text)
    roll = rng.random()
    if roll < 0.04:
        text = "S/N " + text
    elif roll < 0.07:
        text = "зав. № " + text
    elif roll < 0.10:
        text = text.lower()
    return text


def _typo(rng: random.Random, text: str) -> str:
    """One slip of the finger on a letter (never a digit: that would be another model)."""
    letters = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i - 1].isalpha()]
    if not letters:
        return text
    i = rng.choice(letters)
    kind = rng.random()
    if kind < 0.4 and text[i + 1].isalpha():  # swap with the next letter
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.7:  # doubled
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1 :]  # dropped


# Vendors as a Russian text spells them out; each folds back to the same vendor.
TRANSLITERATED = {
    "Dell": ("Делл", "Дэлл"),
    "Lenovo": ("Леново",),
    "HP": ("Хьюлетт-Паккард", "Хьюлетт Паккард"),
    "Cisco": ("Циско", "Сиско"),
    "Kyocera": ("Киосера",),
}


def _glue(rng: random.Random, family: str, model: str) -> str:
    """'Latitude5430', 'PowerEdgeR750', 'ProBook450 G9': the family run into the model."""
    return f"{family.replace(' ', '')}{model}" if family else model.replace(" ", "", 1)


def _camel(family: str, model: str) -> str:
    """'ThinkPadT14Gen3': every word glued and capitalised as it was (or from the first letter)."""
    words = f"{family} {model}".split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def _split_model(rng: random.Random, model: str) -> str:
    """'R750 xs', 'M3145 dn', 'T 14': a space typed inside the model, between letter and digit."""
    spots = [
        i
        for i in range(1, len(model))
        if model[i - 1] != " " and model[i] != " " and model[i - 1].isalpha() != model[i].isalpha()
    ]
    if not spots:
        return model
    i = rng.choice(spots)
    return f"{model[:i]} {model[i:]}"


_INNER_CAPITAL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


def _split_family(family: str) -> str:
    """'Think Pad', 'Power Edge', 'Laser Jet Enterprise': a glued family word written as the
    two words it is made of (the same family to IT, which writes it glued)."""
    return _INNER_CAPITAL.sub(" ", family)


# The marks a supplier's invoice carries into the books: 'ThinkPad®', 'PowerEdge™'.
_MARKS = ("®", "™")


def book_product_text(rng: random.Random, product: Product, noise: NameNoise) -> str:
    """'НР ProLiant DL380 G10', 'Latitude 7430', 'Dell EMC PowerEdge R750': vendor, family, model."""
    if rng.random() < noise.vendor_spelling:
        vendor = rng.choice((*product.book_vendors, ""))
    else:
        vendor = product.book_vendors[0]
    if product.vendor in TRANSLITERATED and rng.random() < noise.translit_vendor:
        vendor = rng.choice(TRANSLITERATED[product.vendor])
    family = product.family
    if family and rng.random() < noise.dropped_family:
        # "Latitude 7430" without Dell, or "HPE DL380 Gen10" without ProLiant; never both.
        if rng.random() < 0.5:
            vendor = ""
        else:
            family = ""
    if not family:
        vendor = vendor or product.book_vendors[0]  # a bare "P2422H" names nothing
    model = product.model
    if product.model_spellings and rng.random() < noise.model_spelling:
        model = rng.choice(product.model_spellings)
    if rng.random() < noise.lookalike:
        model = cyrillic_lookalikes(rng, model, share=0.3)
        if "0" in model and rng.random() < 0.3:  # "DL38О": a Cyrillic О typed for a zero
            i = model.rindex("0")
            model = model[:i] + "О" + model[i + 1 :]
    roll = rng.random()
    if roll < noise.glued:
        parts = [vendor, _glue(rng, family, model)]
    elif roll < noise.glued + noise.camel:
        parts = [vendor, _camel(family, model)]
    elif roll < noise.glued + noise.camel + noise.split_model:
        parts = [vendor, family, _split_model(rng, model)]
    elif roll < noise.glued + noise.camel + noise.split_model + noise.split_family:
        # the same roll as the other spellings: rows outside this band draw as before
        parts = [vendor, _split_family(family), model]
    elif roll < (
        noise.glued + noise.camel + noise.split_model + noise.split_family + noise.trademark
    ):
        mark = _MARKS[int(roll * 1000) % len(_MARKS)]  # from the same roll: no draw added
        parts = [vendor, f"{family}{mark}", model] if family else [f"{vendor}{mark}", model]
    else:
        parts = [vendor, family, model]
    text = " ".join(p for p in parts if p)
    if rng.random() < noise.typo:
        text = _typo(rng, text)
    return text


class NameNoise:
    """The share of the NoiseConfig that shapes names (kept apart to avoid an import cycle)."""

    def __init__(
        self,
        vendor_spelling: float,
        dropped_family: float,
        model_spelling: float,
        lookalike: float,
        typo: float,
        glued: float = 0.0,
        camel: float = 0.0,
        split_model: float = 0.0,
        split_family: float = 0.0,
        trademark: float = 0.0,
        letter_case: float = 0.0,
        translit_vendor: float = 0.0,
        specs: float = 0.0,
        habit: float = 0.0,
    ) -> None:
        self.vendor_spelling = vendor_spelling
        self.dropped_family = dropped_family
        self.model_spelling = model_spelling
        self.lookalike = lookalike
        self.typo = typo
        self.glued = glued
        self.camel = camel
        self.split_model = split_model
        self.split_family = split_family
        self.trademark = trademark
        self.letter_case = letter_case
        self.translit_vendor = translit_vendor
        self.specs = specs
        self.habit = habit


# What a purchase order puts after a computer's name, as 1C keeps it: numbers that are no model.
_SPECS = {
    "laptop": ("(i5-1245U/16GB/512GB SSD)", "i7-1265U 16Gb 512Gb", "/Core i5/8GB/256SSD/"),
    "desktop": ("(i5-12500/16GB/512GB SSD)", "i5 8Gb 256Gb SSD", "/Core i7/32GB/1TB/"),
    "server": (
        "(2xXeon Gold 6330, 512GB, 4x1.92TB SSD)",
        "2*Xeon Silver 4314/256GB",
        "2 CPU 384 ГБ",
    ),
}


# What an accountant adds to many names by habit and IT never writes: the asset's class,
# its state, how it was taken into service.
_HABITS = ("(ОС)", "б/у", "в сборе", "(основное средство)", "инв.")


def book_name(rng: random.Random, product: Product, noise: NameNoise) -> str:
    word = BOOK_WORD[product.category][0 if rng.random() < 0.8 else 1]
    text = f"{word} {book_product_text(rng, product, noise)}"
    if product.category in _SPECS and rng.random() < noise.specs:
        text = f"{text} {rng.choice(_SPECS[product.category])}"
    if rng.random() < noise.habit:
        text = f"{text} {rng.choice(_HABITS)}"
    if rng.random() < noise.letter_case:
        text = text.upper() if rng.random() < 0.5 else text.lower()
    return text


# What agents and people write where no serial or tag is known.
PLACEHOLDER_SERIALS = (
    "To Be Filled By O.E.M.",
    "Default string",
    "0123456789",
    "XXXXXXXXXX",
    "0",
    "System Serial Number",
)
PLACEHOLDER_TAGS = ("0000000000", "No Asset Information", "Default string", "N/A")


def tag_typo(rng: random.Random, tag: str, taken: set[int]) -> str:
    """The tag with one digit mistyped (changed or two swapped), never another line's number."""
    digits = [i for i, ch in enumerate(tag) if ch.isdigit()]
    for _ in range(20):
        i = rng.choice(digits)
        chars = list(tag)
        if (
            rng.random() < 0.5
            and i + 1 < len(tag)
            and tag[i + 1].isdigit()
            and tag[i] != tag[i + 1]
        ):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice([d for d in "0123456789" if d != tag[i]])
        typed = "".join(chars)
        number = int("".join(ch for ch in typed if ch.isdigit()) or 0)
        if number not in taken and number > 0:
            return typed
    return tag


def kit_name(rng: random.Random, product: Product, quantity: int, noise: NameNoise) -> str:
    """'Комплект серверов Dell PowerEdge R750 (3 шт.)'."""
    text = book_product_text(rng, product, noise)
    suffix = rng.choice((f"({quantity} шт.)", f"({quantity} шт)", f"- {quantity} шт."))
    return f"{KIT_WORD[product.category]} {text} {suffix}"


def book_person(rng: random.Random, person: Person, person_format: float) -> str:
    """'Иванов Иван Иванович' as 1C prints a МОЛ, or a short form someone typed."""
    if rng.random() >= person_format:
        return person.full
    i, o = person.name[0], person.patronymic[0]
    return rng.choice(
        (
            f"{person.surname} {i}.{o}.",
            f"{person.surname} {i}. {o}.",
            f"{i}.{o}. {person.surname}",
            f"{person.surname} {i}.{o}",
        )
    )


def book_inventory_number(number: int, acquired_on: date) -> str:
    """1C numbering: '00000456' until 2021, then a series prefix 'ВА-000123' (Cyrillic ВА)."""
    if acquired_on.year < 2021:
        return f"{number:08d}"
    return f"ВА-{number:06d}"


def it_asset_tag(rng: random.Random, book_number: str) -> str:
    """The same number as IT typed it: Latin 'BA-', or leading zeros lost in a spreadsheet."""
    if book_number.startswith("ВА-"):
        return "BA-" + book_number[3:] if rng.random() < 0.7 else book_number
    if rng.random() < 0.3:
        return str(int(book_number))
    return book_number


def money_text(value: Decimal) -> str:
    """'1 234 567,89' with no-break spaces, as a 1C print stores numbers."""
    whole, _, frac = f"{value:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return f"{sign}{NBSP.join(groups)},{frac}"


def date_text(value: date) -> str:
    return f"{value:%d.%m.%Y}"


def parse_money_text(text: str) -> Decimal:
    """The inverse of money_text; for tests and make_register's self-check."""
    return Decimal(text.replace(NBSP, "").replace(" ", "").replace(",", "."))
