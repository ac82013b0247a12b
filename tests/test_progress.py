"""The progress line of `reconciler run`: on a terminal, each stage with its counts, in the
report's language, on stderr only; nothing at all when stderr is not a terminal.

The runs are real CLI runs in a child process, with stderr on a real pseudo-terminal (pty) or a
pipe. The only thing changed is the few seconds the line waits before it appears (0 here, so
the demo's short run shows it).
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
RUN_NOW = (
    "import sys\n"
    "from reconciler.service import run_progress\n"
    "run_progress.SHOW_AFTER_SECONDS = 0\n"
    "from reconciler.cli import main\n"
    "sys.argv = ['reconciler', *sys.argv[1:]]\n"
    "main()\n"
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The demo workspace: a 1C register in inbox/ and a synthetic inventory."""
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def _config(workspace: Path, language: str) -> Path:
    path = workspace / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.setdefault("report", {})["language"] = language
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _run(workspace: Path, language: str, *, terminal: bool) -> tuple[str, str, int]:
    """`reconciler run <register> --no-mail`: (stdout, stderr without colour codes, exit)."""
    register = next(p for p in (workspace / "inbox").rglob("*") if p.is_file())
    args = [sys.executable, "-c", RUN_NOW, "run", str(register), "--no-mail"]
    args += ["--config", str(_config(workspace, language))]
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    if not terminal:
        done = subprocess.run(args, capture_output=True, env=env, timeout=120)
        return done.stdout.decode(), ANSI.sub("", done.stderr.decode()), done.returncode
    controller, terminal_end = pty.openpty()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=terminal_end, env=env)
    os.close(terminal_end)
    seen = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the child closed its end: EIO on Linux
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert child.stdout is not None
    out = child.stdout.read().decode()
    code = child.wait(timeout=120)
    return out, ANSI.sub("", seen.decode(errors="replace")), code


@pytest.mark.parametrize(
    ("language", "stages"),
    [
        (
            "ru",
            [
                "Чтение ведомости «",
                "Загрузка ИТ-учета",
                "Сопоставление строк ведомости (",
                "Проверка пар: сопоставлено ",
                "Запись копии ведомости с пометками (расхождений и замечаний: ",
                "Запись отчета о расхождениях",
            ],
        ),
        (
            "en",
            [
                "Reading the register “",
                "Loading the IT inventory",
                "Matching the register rows (",
                "Checking the pairs: ",
                "Writing the annotated register (discrepancies and notes: ",
                "Writing the discrepancy report",
            ],
        ),
    ],
)
def test_a_run_on_a_terminal_shows_each_stage_with_its_counts_on_stderr_in_the_report_language(
    workspace: Path, language: str, stages: list[str]
) -> None:
    out, err, code = _run(workspace, language, terminal=True)
    assert code == 1, (out, err)  # the demo plants discrepancies
    positions = [err.find(stage) for stage in stages]
    assert all(p >= 0 for p in positions), (positions, err)
    assert positions == sorted(positions)  # in the order the run goes through them
    doc_dir = Path(out.strip().splitlines()[-1])
    rows = len(yaml.safe_load((doc_dir / "results.json").read_text(encoding="utf-8"))["rows"])
    counted = re.search(r"\((\d[\d\u00a0,]*)\) [^(]*\((\d[\d\u00a0,]*)\)", err)
    assert counted is not None, err
    assert int(re.sub(r"\D", "", counted.group(1))) == rows  # the register's rows, counted
    assert not any(stage in out for stage in stages)  # stdout stays the summary and the path
    # Log lines print above the line, each on a line of its own, never glued to the spinner.
    logged = [m.start() for m in re.finditer(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO", err)]
    assert logged and all(err[at - 1] in "\r\n" for at in logged), err


def test_a_run_whose_stderr_is_no_terminal_shows_no_progress(workspace: Path) -> None:
    """A pipe, a log file, cron: the same run says nothing of its stages."""
    out, err, code = _run(workspace, "en", terminal=False)
    assert code == 1, (out, err)
    assert "Reading the register" not in err and "Matching" not in err, err
    assert Path(out.strip().splitlines()[-1]).is_dir()
