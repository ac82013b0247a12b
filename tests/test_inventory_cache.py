"""inventory/cache.py: a file inventory is parsed once per content, kept in state/, and parsed
again when the file, its settings or the rules change. Real files from synth, a real state
folder."""

from __future__ import annotations

import pickle
from pathlib import Path

from reconciler import synth
from reconciler.config import InventoryConfig
from reconciler.inventory.cache import CACHE_DIR
from reconciler.inventory.load import load_inventory
from reconciler.rules import Rules


def _inventory_file(path: Path, rows: int, seed: int) -> Path:
    return synth.write_inventory(synth.generate(rows, int(rows * 1.5), seed=seed), path)


def test_a_second_load_of_the_same_file_takes_the_kept_parse(tmp_path: Path, rules: Rules) -> None:
    path = _inventory_file(tmp_path / "inventory.xlsx", 40, seed=3)
    source = InventoryConfig(path=path)
    state = tmp_path / "state"
    first = load_inventory(source, rules, state=state)
    (entry,) = (state / CACHE_DIR).glob("*.pickle")
    # Planted in the kept parse: a second load shows it only if it takes the kept parse.
    kept = pickle.loads(entry.read_bytes())
    kept.assets[0].name = "planted by the test"
    entry.write_bytes(pickle.dumps(kept))
    second = load_inventory(source, rules, state=state)
    assert second.assets[0].name == "planted by the test"
    assert [a.asset_id for a in second.assets] == [a.asset_id for a in first.assets]
    assert second.snapshot is not None and second.snapshot.sha256 == first.snapshot.sha256  # type: ignore[union-attr]


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
