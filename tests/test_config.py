"""config.yaml and rules/*.yaml: every problem reported at once, with its key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.config import load_config
from reconciler.errors import ConfigError
from reconciler.models import FindingCode
from reconciler.rules import RULE_FILES, default_rules_dir, load_rules


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.yaml", "inventory: {path: inv.xlsx}\ninbox: drop\n")
    config = load_config(cfg)
    assert config.inbox == tmp_path / "drop"
    assert config.inventory.path == tmp_path / "inv.xlsx"
    assert config.ledger_path == tmp_path / "state" / "ledger.sqlite"


def test_every_problem_is_reported_at_once_with_its_key(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "config.yaml",
        "inventory: {path: inv.xlsx}\nwatch: {settle_seconds: -1, polling: maybe}\nmial: {}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    text = str(caught.value)
    assert "watch.settle_seconds" in text
    assert "watch.polling" in text
    assert "mial" in text
    assert len(caught.value.problems) == 3


def test_address_outside_allowed_domains_is_a_config_error(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "config.yaml",
        "inventory: {path: inv.xlsx}\n"
        "mail: {allowed_domains: [corp.ru], reviewers: [it@corp.ru, boss@gmail.com]}\n",
    )
    with pytest.raises(ConfigError, match=r"mail\.reviewers\[1\].*boss@gmail.com.*allowed_domains"):
        load_config(cfg)


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="reconciler demo"):
        load_config(tmp_path / "nope.yaml")


def test_shipped_rules_load() -> None:
    rules = load_rules()
    assert rules.checks.capitalization_threshold == 40000
    assert "serial" in rules.columns.book


def test_a_users_rules_folder_overrides_only_the_files_it_has(tmp_path: Path) -> None:
    write(tmp_path / "matching.yaml", "auto: 95\nreview: 80\nmargin: 3\n")
    rules = load_rules(tmp_path)
    assert rules.matching.auto == 95
    assert "serial" in rules.columns.book  # from the shipped default


def test_a_rules_file_setting_one_key_keeps_every_other_shipped_key(tmp_path: Path) -> None:
    """Before: a matching.yaml of only `auto: 85` loaded with no comparison levels at all (0
    fuzzy matches) and review/margin from code defaults (70/5), not the shipped 65/8."""
    shipped = load_rules().matching
    write(tmp_path / "matching.yaml", "auto: 85\n")
    write(tmp_path / "checks.yaml", "codes:\n  COST_MISMATCH:\n    severity: high\n")
    rules = load_rules(tmp_path)
    assert rules.matching.auto == 85
    assert rules.matching.model_dump(exclude={"auto"}) == shipped.model_dump(exclude={"auto"})
    assert (rules.matching.review, rules.matching.margin) == (shipped.review, shipped.margin)
    cost = rules.checks.codes[FindingCode.COST_MISMATCH]
    assert cost.severity == "high"
    assert cost.message == load_rules().checks.codes[FindingCode.COST_MISMATCH].message


def test_the_shipped_files_are_the_only_defaults_of_the_keys_they_set() -> None:
    """A code default beside the shipped value is a second source that drifts (70 vs 65)."""
    for name, model in RULE_FILES.items():
        shipped = yaml.safe_load((default_rules_dir() / f"{name}.yaml").read_text("utf-8"))
        assert shipped, name
        defaulted = {k for k, f in model.model_fields.items() if not f.is_required()}
        assert defaulted & set(shipped) == set(), name


def test_a_misspelt_key_or_finding_code_is_an_error_naming_the_closest_valid_one(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "checks.yaml", "codes:\n  BELOW_CAPITALISATION_THRESHOLD:\n    severity: high\n"
    )
    write(tmp_path / "matching.yaml", "blocking:\n  max_blok_size: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path)
    problems = caught.value.problems
    assert any(
        "checks.yaml: key 'codes.BELOW_CAPITALISATION_THRESHOLD': not a finding code; "
        "did you mean 'BELOW_CAPITALIZATION_THRESHOLD'?" in p
        for p in problems
    ), problems
    assert any(
        "matching.yaml: key 'blocking.max_blok_size': unknown key; did you mean 'max_block_size'?"
        in p
        for p in problems
    ), problems


def test_a_broken_rules_file_names_the_file_and_key(tmp_path: Path) -> None:
    write(tmp_path / "matching.yaml", "auto: high\n")
    with pytest.raises(ConfigError, match=r"matching.yaml: key 'auto'"):
        load_rules(tmp_path)


def test_an_api_inventory_source_needs_its_url_and_the_name_of_its_token_variable(
    tmp_path: Path,
) -> None:
    cfg = write(tmp_path / "config.yaml", "inventory: {source: glpi}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    keys = " ".join(caught.value.problems)
    for key in ("inventory.url", "inventory.token_env", "inventory.app_token_env"):
        assert key in keys
    cfg = write(
        tmp_path / "config.yaml",
        "inventory: {source: snipeit, url: 'http://127.0.0.1:8', token_env: SNIPE_TOKEN}\n",
    )
    assert load_config(cfg).inventory.path is None


def test_a_file_inventory_source_still_needs_its_path(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.yaml", "inventory: {source: agent-files}\n")
    with pytest.raises(ConfigError, match=r"inventory\.path"):
        load_config(cfg)
