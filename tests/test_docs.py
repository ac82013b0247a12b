"""README is the manual: a setting, command or finding code it does not mention is a defect."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from reconciler.cli import cli
from reconciler.config import Config
from reconciler.models import FindingCode

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def config_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from config_keys(annotation, key + ".")
        else:
            yield key


@pytest.mark.parametrize("key", list(config_keys(Config)))
def test_every_config_key_is_documented(key: str) -> None:
    assert f"`{key}`" in README, f"README.md does not document config key `{key}`"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented(command: str) -> None:
    assert f"reconciler {command}" in README


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_finding_code_is_documented(code: str) -> None:
    assert f"`{code}`" in README


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    commands = [line for line in README.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) >= 2
    run_command, test_command = commands[0], commands[1]
    assert "reconciler run" in run_command
    assert "pytest" in test_command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_the_console_script_and_module_agree() -> None:
    """Both as a user runs them: the `reconciler` script pip installed beside this Python
    (before, only `python -m reconciler` ran, so a broken entry point passed)."""
    python = Path(sys.executable)
    script = python.with_name("reconciler")
    assert script.is_file(), f"{script}: the console script is not installed"
    by_script = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    by_module = subprocess.run(
        [str(python), "-m", "reconciler", "--version"], capture_output=True, text=True
    )
    assert by_script.returncode == by_module.returncode == 0, by_script.stderr
    assert by_script.stdout.startswith("reconciler, version")
    assert by_script.stdout == by_module.stdout
