"""Cell values as accountants and exports write them -> Decimal, int, date, text.

Each parser takes a raw cell (text, number, date, or "") and returns the value or None for an
empty-looking cell; text it cannot read raises CellValueError (a ValueError) with what was
expected, and the caller (layout, inventory) turns that into an InputError with file, sheet
and row.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

# What people type into a cell to mean "nothing here".
EMPTY_WORDS = {"", "-", "--", "—", "–", "нет", "n/a", "na", "none", "null", "#н/д", "#n/a"}

SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009']+")
CURRENCY = re.compile(
    r"(руб(лей|ля|ль)?\.?|р\.|₽|rub\.?|rur|usd|eur|\$|€|коп\.?|шт\.?|pcs\.?|ед\.?)",
    re.IGNORECASE,
)
MONTHS_RU = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,  # мая, май
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
MONTHS_EN = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
EXCEL_EPOCH = date(1899, 12, 30)


_LONGEST_EMPTY = max(map(len, EMPTY_WORDS))


class CellValueError(ValueError):
    """A cell that does not hold what its column needs. `expected` is a key of
    text/errors_reading.EXPECTED_VALUES (number, whole_number, date, useful_life), `value` the
    cell as written, so the sender is told in their own language."""

    def __init__(self, message: str, *, expected: str, value: Any) -> None:
        super().__init__(message)
        self.expected = expected
        self.value = value


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:
        text = value.strip()
        return not text or (len(text) <= _LONGEST_EMPTY and text.lower() in EMPTY_WORDS)
    return False


def looks_like_number(value: Any) -> bool:
    """A number, or text that parse_decimal reads as one ("1 234,56 руб.")."""
    try:
        return parse_decimal(value) is not None
    except ValueError:
        return False


def parse_text(value: Any) -> str | None:
    """Identifiers and names as written; integral numbers without ".0"."""
    if type(value) is str:  # the common case first: this runs for every text cell
        text = value.strip()
        if not text or (len(text) <= _LONGEST_EMPTY and text.lower() in EMPTY_WORDS):
            return None
        return text
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, date):  # a datetime too: an identifier keeps only the day
        return f"{value:%d.%m.%Y}"
    text = str(value).strip()
    return text or None


def parse_decimal(value: Any) -> Decimal | None:
    """ "1 234 567,89", "1,234,567.89", "(123,45)", "12 345 руб.", 1234.5 -> Decimal."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellValueError(f"expected a number, found {value!r}", expected="number", value=value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value.is_integer():
            return Decimal(int(value))
        # repr is the shortest text that round-trips: 0.1 stays 0.1, not 0.1000000000000000055.
        return Decimal(repr(value))
    if isinstance(value, (date, timedelta)):
        raise CellValueError(
            f"expected a number, found a date {value}", expected="number", value=value
        )
    return _decimal_from_text(str(value).strip())


@lru_cache(maxsize=65536)
def _decimal_from_text(value: str) -> Decimal:
    """Cached: prices and costs repeat across the rows of an export. Decimal is immutable."""
    text = value
    negative = False
    text = CURRENCY.sub("", text)
    text = SPACES.sub("", text).replace("−", "-")
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    if text.endswith("-"):  # 1C prints credit balances as "123,45-" in some reports
        negative, text = not negative, text[:-1]
    text = _decimal_point(text)
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", text):
        raise CellValueError(
            f"expected a number such as 1 234 567,89, found {value!r}",
            expected="number",
            value=value,
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellValueError(
            f"expected a number, found {value!r}", expected="number", value=value
        ) from None
    return -number if negative else number


def _decimal_point(text: str) -> str:
    """Decide which of , and . is the decimal separator; drop the other as grouping."""
    has_comma, has_dot = "," in text, "." in text
    if has_comma and has_dot:
        # The later one is the decimal separator: 1.234.567,89 or 1,234,567.89.
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if has_comma:
        parts = text.split(",")
        # "1,234,567" and "1,234" group thousands (English); "1234,5" and "0,125" are decimal.
        if (len(parts) > 2 or len(parts[1]) == 3) and parts[0] != "0" and _is_grouping(parts):
            return "".join(parts)
        return text.replace(",", ".") if len(parts) == 2 else text
    if text.count(".") > 1:
        parts = text.split(".")
        if _is_grouping(parts):
            return "".join(parts)
    return text


def _is_grouping(parts: list[str]) -> bool:
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def parse_quantity(value: Any) -> int | None:
    """ "3 шт.", 3, 3.0 -> 3. A fraction is not a count of items."""
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value() or number < 0:
        raise CellValueError(
            f"expected a whole number of items, found {value!r}",
            expected="whole_number",
            value=value,
        )
    return int(number)


_DAY_MONTH = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?!\d)")


def month_first_column(cells: Iterable[Any]) -> bool:
    """Whether a column's numeric dates are month first ("4/5/16" April 5, a US export).

    Decided once from all the column's values, never per cell: a second part over 12
    ("1/23/23") means month first, a first part over 12 ("23.01.2023") day first; the more
    frequent wins, and without either the Russian day-first reading stands.
    """
    month_first = day_first = 0
    for value in cells:
        if type(value) is not str:
            continue
        m = _DAY_MONTH.match(value)
        if m is None:
            continue
        first, second = int(m[1]), int(m[2])
        if second > 12 >= first:
            month_first += 1
        elif first > 12 >= second:
            day_first += 1
    return month_first > day_first


def is_us_date(text: str) -> bool:
    """ "1/23/23": a numeric date only a month-first reading makes sense of."""
    m = _DAY_MONTH.match(text)
    return m is not None and int(m[2]) > 12 >= int(m[1])


def parse_date(value: Any, *, serials: bool = True, month_first: bool = False) -> date | None:
    """Real dates, "15.03.2019", "2019-03-15", "15 марта 2019 г.", Excel serial numbers.

    `month_first` reads numeric dates as a US export writes them: decided for the whole column
    by month_first_column."""
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if serials and 1 <= value < 2958466:  # Excel's own range, 1900-01-01 .. 9999-12-31
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise CellValueError(
            f"expected a date, found the number {value!r}", expected="date", value=value
        )
    found = _date_from_text(str(value).strip(), month_first)
    if found is None:
        raise CellValueError(
            f"expected a date such as 15.03.2019, found {value!r}", expected="date", value=value
        )
    return found


_PLAIN_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:[ T]00:00(?::00)?)?|(\d\d)\.(\d\d)\.(\d{4})")


@lru_cache(maxsize=65536)
def _date_from_text(text: str, month_first: bool = False) -> date | None:
    """Cached: an inventory of 150k rows holds a few thousand distinct dates."""
    m = _PLAIN_DATE.fullmatch(text)
    if m:  # the two shapes nearly every export uses, without the general search
        try:
            if m[1]:
                return date(int(m[1]), int(m[2]), int(m[3]))
            if month_first:
                return date(int(m[6]), int(m[4]), int(m[5]))
            return date(int(m[6]), int(m[5]), int(m[4]))
        except ValueError:
            return None
    return find_date(text, whole=True, month_first=month_first)


_NUMERIC_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?!\d)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORD_DATE = re.compile(r"(\d{1,2})\s+([A-Za-zА-Яа-яЁё]+)\.?,?\s+(\d{4})")
_EN_WORD_DATE = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")


def _month(word: str) -> int | None:
    word = word.lower().replace("ё", "е")
    for stem, number in MONTHS_RU.items():
        if word.startswith(stem) and (stem != "ма" or word in ("мая", "май")):
            return number
    return MONTHS_EN.get(word[:3])


def find_date(text: str, *, whole: bool = False, month_first: bool = False) -> date | None:
    """The first date written in `text`; with whole=True the text must be only a date."""
    candidates: list[tuple[int, int, date]] = []
    for m in _ISO_DATE.finditer(text):
        _add(candidates, m, int(m[1]), int(m[2]), int(m[3]))
    for m in _NUMERIC_DATE.finditer(text):
        year = int(m[3]) + (2000 if len(m[3]) == 2 and int(m[3]) < 70 else 0)
        year += 1900 if len(m[3]) == 2 and year < 100 else 0
        first, second = int(m[1]), int(m[2])
        _add(candidates, m, year, *((first, second) if month_first else (second, first)))
    for m in _WORD_DATE.finditer(text):
        month = _month(m[2])
        if month:
            _add(candidates, m, int(m[3]), month, int(m[1]))
    for m in _EN_WORD_DATE.finditer(text):
        month = MONTHS_EN.get(m[1].lower()[:3])
        if month:
            _add(candidates, m, int(m[3]), month, int(m[2]))
    if not candidates:
        return None
    candidates.sort()
    start, end, found = candidates[0]
    if whole:
        rest = (text[:start] + text[end:]).strip().lower()
        # "15.03.2019 0:00:00" from a text export, or a trailing "г." are still just a date.
        rest = re.sub(r"^(г\.?|года?|y\.?)", "", rest).strip()
        rest = re.sub(r"^t?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?z?$", "", rest).strip()
        if rest:
            return None
    return found


def _add(found: list[tuple[int, int, date]], m: re.Match[str], y: int, mo: int, d: int) -> None:
    with contextlib.suppress(ValueError):
        found.append((m.start(), m.end(), date(y, mo, d)))


def parse_months(value: Any, *, unit_hint: str = "") -> int | None:
    """Useful life: 60, "60 мес.", "5 лет", "5 years" -> months. `unit_hint` is the header."""
    if is_empty(value):
        return None
    text = str(value).strip().lower() if isinstance(value, str) else ""
    in_years = bool(re.search(r"\b(лет|год|года|years?|yrs?|г\.)", text))
    if not text:
        in_years = bool(re.search(r"(лет|годах|год|years)", unit_hint.lower()))
    if isinstance(value, str):
        m = re.search(r"\d+(?:[.,]\d+)?", text)
        if not m:
            raise CellValueError(
                f"expected a useful life such as 60 or '5 лет', found {value!r}",
                expected="useful_life",
                value=value,
            )
        number = Decimal(m[0].replace(",", "."))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        raise CellValueError(
            f"expected a useful life in months, found {value!r}",
            expected="useful_life",
            value=value,
        )
    months = number * 12 if in_years else number
    return int(months.to_integral_value())
