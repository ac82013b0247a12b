"""Finding, reading and validating config.yaml: `load_config` for the commands, `check_config`
for `reconciler check` (every problem, and the config with the bad values at their defaults).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from reconciler.config.problems import (
    drop_value,
    semantic_problems,
    validation_problems,
    yaml_problem,
)
from reconciler.config.sections import DEFAULT_CONFIG_NAME, Config
from reconciler.errors import ConfigError, Problem

CONFIG_ENV = "RECONCILER_CONFIG"


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else (base / p).resolve()

    updates = {
        k: resolve(getattr(config, k))
        for k in ("inbox", "outbox", "archive", "quarantine", "state", "rules")
    }
    inv = config.inventory
    inventory = inv.model_copy(
        update={
            "path": resolve(inv.path) if inv.path is not None else None,
            "mapping": resolve(inv.mapping) if inv.mapping is not None else None,
        }
    )
    return config.model_copy(update={**updates, "inventory": inventory})


def config_path(explicit: str | Path | None = None) -> Path:
    """--config, else $RECONCILER_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def read_raw(source: Path) -> dict[str, Any]:
    """The file's YAML as a mapping; ConfigError when there is no such file or no mapping."""
    if not source.is_file():
        raise ConfigError(
            Problem(
                f"no config file at {source}; pass --config PATH, set {CONFIG_ENV}, "
                "or create one with 'reconciler demo DIR'",
                "NO_CONFIG_FILE",
                {"file": str(source), "env": CONFIG_ENV},
            )  # no source: the message names the file already
        )
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(yaml_problem(e), source=str(source)) from None
    if not isinstance(raw, dict):
        raise ConfigError(
            Problem("expected a mapping of keys at the top level", "NOT_A_MAPPING"),
            source=str(source),
        )
    return raw


def check_config(path: str | Path | None = None) -> tuple[Config | None, list[Problem]]:
    """Every problem of the file in one pass, and the config with the wrong values left out
    (their defaults instead) so the checks that follow still run: `reconciler check` then says
    the rules' and the environment's problems too, not only the first of three passes.

    ConfigError only when nothing can be checked: no file, or no YAML mapping in it.
    """
    source = config_path(path)
    raw = read_raw(source)
    problems: list[Problem] = []
    for _attempt in range(20):  # each pass drops the values in error; a few passes suffice
        try:
            config = Config.model_validate(raw)
        except ValidationError as e:
            found = validation_problems(e)
            problems += [p for p in found if p not in problems]
            if not any(drop_value(raw, tuple(err["loc"])) for err in e.errors()):
                return None, problems
            continue
        config = _resolve_paths(config, source.resolve().parent)
        config = config.model_copy(update={"source": source.resolve()})
        return config, problems + semantic_problems(config)
    return None, problems


def load_config(path: str | Path | None = None) -> Config:
    """The config, or ConfigError naming every problem of the file at once."""
    config, problems = check_config(path)
    if problems or config is None:
        raise ConfigError(problems, source=str(config_path(path)))
    return config
