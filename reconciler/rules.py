"""rules/*.yaml, the tables users edit: column synonyms, statuses, normalisation, matching, checks.

Each file is validated by its own model below; every problem across all files is reported at
once. The shipped files are the one source of defaults (the models have none of their own for
what those files set): a user's file is merged over the shipped one, key by key, so it needs
only the keys it changes, and a file missing from the configured folder is the shipped one.
Mappings merge; a list or a value replaces the shipped one whole.
"""

from __future__ import annotations

import re
import string
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from reconciler.config import yaml_problem
from reconciler.errors import ConfigError, Problem
from reconciler.models import FindingCode


class _Rules(BaseModel):
    # An unknown key is an error naming the closest valid one (load_rules): a misspelt key
    # would otherwise leave its setting at the shipped value without a word.
    model_config = ConfigDict(extra="forbid")


class ColumnRules(_Rules):
    """columns.yaml: header synonyms for the register (`book`) and the inventory (`inventory`).

    Matching is on normalised header text (case, spacing, punctuation and ё folded).
    """

    book: dict[str, list[str]]
    inventory: dict[str, list[str]]
    # First-cell texts that mark a total or group row, not a data row.
    total_markers: list[str]
    # Group captions that name a kind of asset ("Машины и оборудование"), not a place: they are
    # never carried into the rows' location (a caption starting with one of these counts).
    category_captions: list[str]


class StatusRules(_Rules):
    """statuses.yaml: inventory status words -> in_service / in_stock / repair / disposed."""

    in_service: list[str]
    in_stock: list[str]
    repair: list[str]
    disposed: list[str]


class ModelRewrite(_Rules):
    """One regex rewrite of folded model text, e.g. 'gen\\s*(\\d+)' -> 'g\\1'."""

    pattern: str
    replace: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"not a valid regular expression ({e}); fix or quote it") from None
        return value


def _all_compile(patterns: list[str]) -> list[str]:
    """`patterns` unchanged when every one is a valid regular expression."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as e:
            raise ValueError(
                f"'{pattern}' is not a valid regular expression ({e}); fix or quote it"
            ) from None
    return patterns


class VendorSplit(_Rules):
    """A spelling two companies share ('HP'): the model family or the category decides."""

    vendor: str  # the canonical vendor it becomes
    # Regular expressions matched against whole folded words: 'proliant', 'dl\\d+\\w*'.
    families: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)  # canonical categories

    @field_validator("families")
    @classmethod
    def _families_compile(cls, value: list[str]) -> list[str]:
        return _all_compile(value)


class NormalizeRules(_Rules):
    """normalize.yaml: look-alike letters, vendor aliases, category words, model spellings."""

    # Cyrillic letter -> Latin look-alike, applied inside tokens holding Latin letters or digits.
    lookalikes: dict[str, str]
    # Canonical vendor -> spellings (lower case).
    vendors: dict[str, list[str]]
    # Canonical vendor -> the vendors it becomes when the family or category says so.
    vendor_splits: dict[str, list[VendorSplit]]
    # Canonical category -> words that name it in registers and inventories (lower case).
    categories: dict[str, list[str]]
    # Regex rewrites applied to model text after folding, in order: [{pattern, replace}].
    model_rewrites: list[ModelRewrite]
    # Prefixes stripped from serial cells ("S/N", "сер. №").
    serial_prefixes: list[str]
    # Serials, tags and barcodes that stand for "none known" ('To Be Filled By O.E.M.',
    # '0000000000'): never exact keys. Literal values, and regular expressions over the key
    # (alphanumerics in upper case, look-alikes folded). None: the built-in lists.
    placeholders: list[str] | None
    placeholder_patterns: list[str] | None

    @field_validator("placeholder_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _all_compile(value)

    # VAT rates that may stand between the books' cost (without VAT) and a total IT took from
    # the invoice (with it): such costs are the same money, in matching and in the checks.
    vat_rates: list[float]
    # Canonical place -> aliases.
    places: dict[str, list[str]]
    # Words that carry no meaning for matching ("инв", "шт", "комплект" is kept for kits).
    stopwords: list[str]

    @field_validator("vat_rates")
    @classmethod
    def _rates_are_shares(cls, value: list[float]) -> list[float]:
        wrong = [r for r in value if not 0 < r < 1]
        if wrong:
            raise ValueError(f"vat_rates: {wrong[0]} is no rate; write 20% as 0.20")
        return value

    @model_validator(mode="after")
    def _splits_name_known_vendors(self) -> NormalizeRules:
        problems = [
            f"vendor_splits.{name}: '{vendor}' is not a vendor; add it under vendors"
            for name, splits in self.vendor_splits.items()
            for vendor in [name, *(s.vendor for s in splits)]
            if vendor not in self.vendors
        ]
        problems += [
            f"vendor_splits.{name}: '{category}' is not a category; use one of "
            + ", ".join(self.categories)
            for name, splits in self.vendor_splits.items()
            for s in splits
            for category in s.categories
            if category not in self.categories
        ]
        problems += [
            f"lookalikes: '{k}' -> '{v}' must map one letter to one letter"
            for k, v in self.lookalikes.items()
            if len(k) != 1 or len(v) != 1
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class MatchLevel(_Rules):
    """One level of a comparison: the first level whose condition holds gives its points.

    `min` (similarity 0-100, at or above) or `max` (relative cost difference, or days between
    the dates, at or below) narrow a level; a level without either applies whenever its outcome is the comparison's.
    """

    outcome: str
    points: float  # the prior weight, in fifths of a bit, where the run cannot learn one
    weight: float | None = None  # pinned weight in bits: never learned from the data
    min: float | None = Field(default=None, ge=0, le=100)
    max: float | None = Field(default=None, ge=0)


# comparison -> outcomes match.py can produce for it; every one must have a level, except
# those of OPTIONAL_OUTCOMES, read as the comparison's `similar` where none has one (a
# matching.yaml written before the outcome existed keeps working).
COMPARISON_OUTCOMES: dict[str, tuple[str, ...]] = {
    "name": ("similar", "missing"),
    "model": ("exact", "prefix", "part", "similar", "missing"),
    "vendor": ("agree", "differ", "missing"),
    "category": ("agree", "differ", "missing"),
    "serial": ("similar", "missing"),
    "inventory_number": ("agree", "differ", "missing"),
    "location": ("agree", "differ", "missing"),
    "custodian": ("agree", "differ", "missing"),
    "cost": ("within", "missing"),
    "date": ("within", "missing"),
    "status": ("agree", "differ", "missing"),
    "words": ("similar", "missing"),
    "edition": ("agree", "part", "differ", "missing"),
}
OPTIONAL_OUTCOMES: dict[str, tuple[str, ...]] = {"model": ("part",)}


class BlockingRules(_Rules):
    """Which pairs are scored at all (never the whole N x M matrix)."""

    # A blocking key (a model token, a rare name word, token + place ...) shared by more
    # assets than this says too little to score them all: the row uses narrower keys instead.
    max_block_size: int = Field(ge=1)
    # Pairs scoring below this are never candidates, not even for review.
    min_score: float = Field(ge=0, le=100)
    # Name words shorter than this never block alone ("hp", "g3").
    min_token_length: int = Field(ge=1)
    # Besides the keys, each row's this-many nearest assets by character 3-grams of the
    # squashed name: candidates whatever the spacing ('Latitude5420'). 0 turns it off.
    ngram_candidates: int = Field(ge=0)


class MatchingRules(_Rules):
    """matching.yaml: thresholds, blocking and comparison levels (see the file's comments).

    A fuzzy pair's score is the sum of its levels' points, clamped to 0-99 (100 is kept for
    exact keys). Levels are ordered like splink's: per comparison the first that applies wins.
    """

    auto: float = Field(ge=0, le=100)  # at or above (and by margin): matched
    review: float = Field(ge=0, le=100)  # at or above (and below auto): review
    margin: float = Field(ge=0)  # the best must beat the runner-up by this much
    # A fuzzy pair with any unit evidence (serial, inventory number, location, custodian) is a
    # candidate only when the points of those and cost reach this: same model is not same unit.
    identity_min: float
    levels: dict[str, list[MatchLevel]]
    blocking: BlockingRules

    def level_indexes(self, comparison: str, *outcomes: str) -> list[int]:
        """The indexes of the comparison's levels that have one of `outcomes` (none when the
        file has no such comparison)."""
        levels = self.levels.get(comparison, ())
        return [i for i, lv in enumerate(levels) if lv.outcome in outcomes]

    @model_validator(mode="after")
    def _levels_are_complete(self) -> MatchingRules:
        problems: list[str] = []
        if self.review > self.auto:
            problems.append(f"review ({self.review}) must not be above auto ({self.auto})")
        for comparison, levels in self.levels.items():
            known = COMPARISON_OUTCOMES.get(comparison)
            if known is None:
                problems.append(
                    f"levels.{comparison}: unknown comparison; use one of "
                    + ", ".join(COMPARISON_OUTCOMES)
                )
                continue
            outcomes = [lv.outcome for lv in levels]
            for unknown in sorted(set(outcomes) - set(known)):
                problems.append(
                    f"levels.{comparison}: unknown outcome '{unknown}'; use one of "
                    + ", ".join(known)
                )
            optional = OPTIONAL_OUTCOMES.get(comparison, ())
            for missing in [o for o in known if o not in outcomes and o not in optional]:
                problems.append(f"levels.{comparison}: no level for outcome '{missing}'; add one")
            for outcome in set(outcomes):
                bounded = [lv for lv in levels if lv.outcome == outcome]
                if bounded[-1].min is not None or bounded[-1].max is not None:
                    problems.append(
                        f"levels.{comparison}: the last '{outcome}' level must have no min/max "
                        "so that every pair gets a level"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self


# The placeholders a finding message may use (checks.py fills them; a typo is a load error).
MESSAGE_FIELDS = frozenset(
    {"name", "inventory_number", "asset_id", "book", "it", "threshold", "quantity", "found"}
)
# Inventory fields the annotated workbook can add next to the accountant's columns.
EnrichColumn = Literal[
    "hostname",
    "vendor_model",
    "serial",
    "cpu",
    "ram",
    "storage",
    "ip",
    "rack",
    "location",
    "custodian",
    "status",
    "warranty_until",
    "inventory_number",
    "purchase_cost",
]


class CheckRule(_Rules):
    """One finding code: on or off, how serious, and its words in each report language."""

    enabled: bool = True
    severity: Literal["high", "medium", "low", "info"] = "medium"
    # language -> str.format text; placeholders from MESSAGE_FIELDS, e.g. "{book} vs {it}".
    message: dict[str, str] = Field(default_factory=dict)

    @field_validator("message")
    @classmethod
    def _known_placeholders(cls, v: dict[str, str]) -> dict[str, str]:
        for language, text in v.items():
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as e:
                raise ValueError(f"message.{language}: {e} in {text!r}") from None
            unknown = sorted(n for n in names if n not in MESSAGE_FIELDS)
            if unknown:
                raise ValueError(
                    f"message.{language}: unknown placeholder {{{unknown[0]}}}; "
                    f"use one of {', '.join(sorted(MESSAGE_FIELDS))}"
                )
        return v


class CheckRules(_Rules):
    """checks.yaml: accounting rules, the text of each finding code, the added columns.

    A user's file only needs the codes (and, within a code, the keys) it changes: it is
    merged over the shipped file (load_rules).
    """

    capitalization_threshold: float = Field(ge=0)  # per unit, in RUB
    cost_tolerance: float = Field(ge=0)  # relative
    codes: dict[FindingCode, CheckRule]  # a misspelt code is an error, not a silent no-op
    # Inventory fields added to the annotated workbook, in this order.
    annotate_columns: list[EnrichColumn]


class Rules(_Rules):
    columns: ColumnRules
    statuses: StatusRules
    normalize: NormalizeRules
    matching: MatchingRules
    checks: CheckRules


RULE_FILES: dict[str, type[_Rules]] = {
    "columns": ColumnRules,
    "statuses": StatusRules,
    "normalize": NormalizeRules,
    "matching": MatchingRules,
    "checks": CheckRules,
}


def default_rules_dir() -> Path:
    """The shipped defaults: the package's copy when installed, the repo's rules/ in a checkout.

    Found beside this file, not through importlib.resources: default_rules has no __init__
    (it is the users' rules/ folder), and files() of such a namespace package gave a path that
    did not exist, so an installed wheel looked for rules/ in site-packages."""
    here = Path(__file__).resolve().parent
    shipped = here / "default_rules"
    return shipped if (shipped / "columns.yaml").is_file() else here.parent / "rules"


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(yaml_problem(e), source=str(path)) from None


def merged_over(shipped: Any, user: Any) -> Any:
    """`user` over `shipped`: mappings merge key by key, anything else replaces."""
    if isinstance(shipped, dict) and isinstance(user, dict):
        out = dict(shipped)
        for key, value in user.items():
            out[key] = merged_over(shipped[key], value) if key in shipped else value
        return out
    return user


def _field_model(model: Any, loc: tuple[int | str, ...]) -> Any:
    """The model (class) or type that `loc` points into, walking fields, dict values and
    list items; None when the path leaves the rules models."""
    import typing

    current: Any = model
    for part in loc:
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif origin in (dict, list):
            current = typing.get_args(current)[-1]
        elif origin is not None:  # X | None
            inner = [a for a in typing.get_args(current) if a is not type(None)]
            current = inner[0] if len(inner) == 1 else None
            if current is None:
                return None
            return _field_model(current, (part,))
        else:
            return None
    while typing.get_origin(current) is not None and type(None) in typing.get_args(current):
        current = next(a for a in typing.get_args(current) if a is not type(None))
    return current


def _problem(path: Path, model: type[_Rules], err: Any) -> Problem:
    """One line per problem: the file, the key, what is wrong, and the closest valid name."""
    import difflib

    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc if p != "[key]")
    text = f"{path}: key '{key}': {err['msg']}"
    params: dict[str, Any] = {"file": str(path), "key": key}
    code = "RULES_BAD_VALUE"
    valid: list[str] = []
    if err["type"] == "extra_forbidden":
        parent = _field_model(model, loc[:-1])
        if isinstance(parent, type) and issubclass(parent, BaseModel):
            valid = list(parent.model_fields)
        text = f"{path}: key '{key}': unknown key"
        code = "RULES_UNKNOWN_KEY"
    elif loc and loc[-1] == "[key]" and err["type"] == "enum":
        valid = [c.value for c in FindingCode]
        text = f"{path}: key '{key}': not a finding code"
        code = "RULES_NOT_A_CODE"
    else:
        params.update(type=err["type"], msg=err["msg"])
        params.update({k: str(v) for k, v in (err.get("ctx") or {}).items()})
        if not isinstance(err.get("input"), (dict, list)):
            params["found"] = repr(err.get("input"))
    if valid:
        wrong = str(loc[-2] if loc[-1] == "[key]" else loc[-1])
        close = difflib.get_close_matches(wrong, valid, n=1, cutoff=0.6)
        text += f"; did you mean '{close[0]}'?" if close else f"; use one of {', '.join(valid)}"
        params["near"] = close[0] if close else None
        params["valid"] = ", ".join(valid)
    return Problem(text, code, params)


def load_rules(folder: Path | None = None) -> Rules:
    folder = folder or default_rules_dir()
    defaults = default_rules_dir()
    problems: list[Problem] = []
    parsed: dict[str, _Rules] = {}
    for name, model in RULE_FILES.items():
        shipped_path = defaults / f"{name}.yaml"
        path = folder / f"{name}.yaml"
        try:
            doc = _read_yaml(shipped_path)
            if path.is_file() and path.resolve() != shipped_path.resolve():
                user = _read_yaml(path)
                if not isinstance(user, dict):
                    problems.append(
                        Problem(
                            f"{path}: expected a mapping of keys, found {user!r}",
                            "RULES_NOT_A_MAPPING",
                            {"file": str(path)},
                        )
                    )
                    continue
                doc = merged_over(doc, user)
            else:
                path = shipped_path
            parsed[name] = model.model_validate(doc)
        except ConfigError as e:
            problems.extend(
                replace(p, text=f"{e.source}: {p.text}", params={"file": e.source, **p.params})
                if e.source is not None
                else p
                for p in e.coded
            )
        except ValidationError as e:
            problems.extend(_problem(path, model, err) for err in e.errors())
    if problems:
        raise ConfigError(problems, source=str(folder))
    return Rules.model_validate({k: v.model_dump() for k, v in parsed.items()})


@cache
def default_rules() -> Rules:
    """The shipped rules, parsed once: for tests and library use without a config."""
    return load_rules(default_rules_dir())
