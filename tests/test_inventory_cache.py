"""inventory/cache.py: a file inventory is parsed once per content, kept in state/, and parsed
again when the file, its settings or the rules change. Real files from synth, a real state
folder."""

from __future__ import annotations

import pickle
from dataclasses import fields, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from reconciler import synth
from reconciler.config import InventoryConfig
from reconciler.inventory.cache import CACHE_DIR, load_cached, save_cached
from reconciler.inventory.load import load_inventory
from reconciler.models import Asset, AssetStatus, Inventory
from reconciler.rules import Rules


def _inventory_file(path: Path, rows: int, seed: int) -> Path:
    return synth.write_inventory(synth.generate(rows, int(rows * 1.5), seed=seed), path)


def test_a_second_load_of_the_same_file_takes_the_kept_parse(tmp_path: Path, rules: Rules) -> None:
    path = _inventory_file(tmp_path / "inventory.xlsx", 40, seed=3)
    source = InventoryConfig(path=path)
    state = tmp_path / "state"
    first = load_inventory(source, rules, state=state)
    (entry,) = (state / CACHE_DIR).glob("*.pickle")
    kept = load_cached(state, entry.stem)
    assert kept is not None and kept.assets == first.assets
    # Planted in the kept parse: a second load shows it only if it takes the kept parse.
    kept.assets[0].name = "planted by the test"
    save_cached(state, entry.stem, kept)
    second = load_inventory(source, rules, state=state)
    assert second.assets[0].name == "planted by the test"
    assert second.assets[1:] == first.assets[1:]
    assert second.snapshot is not None and second.snapshot.sha256 == first.snapshot.sha256  # type: ignore[union-attr]


def test_a_kept_inventory_comes_back_equal_value_for_value_in_type_and_order(
    tmp_path: Path,
) -> None:
    """Dates, amounts (with their trailing zeros), statuses, texts and `extra` in its key order
    come back as they were; a column mixing dates and times is kept as it is."""
    assets = [
        Asset(
            "A-1",
            name="Ноутбук",
            status=AssetStatus.IN_SERVICE,
            status_raw="Deployed",
            purchased_on=date(2024, 1, 31),
            warranty_until=date(2027, 1, 31),
            purchase_cost=Decimal("1500.10"),
            extra={"Комментарий": "ок", "Этаж": 3.0},
        ),
        Asset("A-2", name="Сервер", purchase_cost=Decimal("-0"), warranty_until=None),
        Asset(
            "A-3",
            name="Ноутбук",
            purchased_on=date(2024, 1, 31),
            warranty_until=datetime(2027, 1, 31, 12, 30),  # a date with a time: kept whole
            purchase_cost=Decimal("NaN"),
            extra={"Этаж": 1, "Комментарий": None},
        ),
    ]
    inventory = Inventory("inventory.xlsx", assets, snapshot=None)
    save_cached(tmp_path, "key", inventory)
    back = load_cached(tmp_path, "key")
    assert back is not None and back.source == "inventory.xlsx"
    for was, now in zip(assets, back.assets, strict=True):
        for name in (f.name for f in fields(Asset)):
            old, new = getattr(was, name), getattr(now, name)
            assert (type(new), str(new)) == (type(old), str(old)), (was.asset_id, name)
        assert list(now.extra.items()) == list(was.extra.items())
    assert back.assets[0].extra is not back.assets[2].extra
    assert back.assets[0].purchased_on == back.assets[2].purchased_on
    save_cached(tmp_path, "none", Inventory("empty", []))
    assert load_cached(tmp_path, "none") == Inventory("empty", [])


def test_a_kept_inventory_of_other_asset_fields_is_parsed_again(tmp_path: Path) -> None:
    save_cached(tmp_path, "key", Inventory("inventory.xlsx", [Asset("A-1", name="Стол")]))
    entry = tmp_path / CACHE_DIR / "key.pickle"
    kept = pickle.loads(entry.read_bytes())
    entry.write_bytes(pickle.dumps(replace(kept, fields=("asset_id", *kept.fields[2:]))))
    assert load_cached(tmp_path, "key") is None


def test_a_changed_file_or_rule_is_parsed_again(tmp_path: Path, rules: Rules) -> None:
    path = tmp_path / "inventory.xlsx"
    _inventory_file(path, 40, seed=3)
    source = InventoryConfig(path=path)
    state = tmp_path / "state"
    first = load_inventory(source, rules, state=state)
    _inventory_file(path, 50, seed=4)  # IT dropped a new export under the same name
    second = load_inventory(source, rules, state=state)
    assert len(second.assets) != len(first.assets)
    changed = rules.model_copy(deep=True)
    changed.statuses.disposed = [*changed.statuses.disposed, "сдан в утиль"]
    load_inventory(source, changed, state=state)
    assert len(list((state / CACHE_DIR).glob("*.pickle"))) == 3


def test_a_torn_cache_entry_is_parsed_again_and_no_state_means_no_cache(
    tmp_path: Path, rules: Rules
) -> None:
    path = _inventory_file(tmp_path / "inventory.xlsx", 40, seed=3)
    source = InventoryConfig(path=path)
    state = tmp_path / "state"
    first = load_inventory(source, rules, state=state)
    (entry,) = (state / CACHE_DIR).glob("*.pickle")
    entry.write_bytes(b"torn")
    again = load_inventory(source, rules, state=state)
    assert [a.asset_id for a in again.assets] == [a.asset_id for a in first.assets]
    assert load_inventory(source, rules).assets  # `reconciler check` passes no state
