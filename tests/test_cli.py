"""The command line as a user meets it: exit codes, messages, the run folder on the last line."""

from __future__ import annotations

import gc
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from msoffcrypto.format.ooxml import OOXMLFile

from reconciler.cli import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A demo workspace (synthetic inventory + a 1C register with planted discrepancies)."""
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def demo_register(workspace: Path) -> Path:
    return next(p for p in (workspace / "inbox").rglob("*") if p.is_file())


def test_run_writes_the_run_folder_and_prints_it_last(workspace: Path, tmp_path: Path) -> None:
    register = demo_register(workspace)
    copy = tmp_path / register.name
    shutil.copy(register, copy)
    before = copy.read_bytes()
    result = CliRunner().invoke(
        cli, ["run", str(copy), "--config", str(workspace / "config.yaml"), "--no-mail"]
    )
    assert result.exit_code == 1, result.output  # the demo plants discrepancies
    *_, summary, last = result.output.strip().splitlines()
    run_dir = Path(last)
    assert run_dir.parent == workspace / "outbox"
    # The summary in report.language (the demo's: Russian), the run folder alone last.
    assert re.fullmatch(
        rf"{register.name}: строк \d+, сопоставлено \d+, на проверку \d+, не найдено \d+, "
        r"расхождений и примечаний \d+",
        summary,
    ), summary
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert doc["version"] == 1
    assert doc["source"]["file"] == register.name
    assert doc["summary"]["rows"] == len(doc["rows"]) > 0
    assert copy.read_bytes() == before  # the input is left untouched
    # A run outside main() (here, in the test's process) turns the collector back on.
    assert gc.isenabled()


def test_a_file_that_is_no_spreadsheet_exits_2_with_the_file_named(
    workspace: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "ведомость.xlsx"
    bad.write_bytes(b"this is not a workbook at all\n")
    result = CliRunner().invoke(
        cli, ["run", str(bad), "--config", str(workspace / "config.yaml"), "--no-mail"]
    )
    assert result.exit_code == 2
    assert "ведомость.xlsx" in result.output
    assert "Traceback" not in result.output
    errors = list((workspace / "outbox").glob("*/error.txt"))
    assert len(errors) == 1  # nothing but the error report is written
    assert "ведомость.xlsx" in errors[0].read_text(encoding="utf-8")


def _check_or_run(workspace: Path, command: str) -> list[str]:
    """`check`, or `run` of the demo's register without mail, on the workspace's config."""
    args = [command, "--config", str(workspace / "config.yaml")]
    if command == "run":
        args += [str(demo_register(workspace)), "--no-mail"]
    return args


@pytest.mark.parametrize("command", ["check", "run"])
def test_an_inventory_that_cannot_be_loaded_tells_the_terminal_why(
    workspace: Path, command: str
) -> None:
    """The sender's mail says IT's source is not theirs to fix; the person at the terminal
    is the one who can, and is told what the loader found."""
    (workspace / "inventory.xlsx").write_bytes(b"PK\x03\x04 a broken zip")
    result = CliRunner().invoke(cli, _check_or_run(workspace, command))
    assert result.exit_code == 2, result.output
    assert "Ваш файл здесь ни при чём" in result.output
    assert "Подробности: " in result.output and "inventory.xlsx" in result.output


def test_check_reports_a_good_setup(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--config", str(workspace / "config.yaml")])
    assert result.exit_code == 0, result.output
    # In report.language (the demo's: Russian), each part said to be in order.
    assert "Настройки " in result.output and ": в порядке" in result.output
    assert re.search(r"ИТ-учет .*inventory\.xlsx: записей \d+", result.output), result.output


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_misspelt_finding_code_in_checks_yaml_fails_check_and_run(
    workspace: Path, command: str
) -> None:
    """Before: silently accepted, and the code kept its shipped severity and message."""
    (workspace / "rules" / "checks.yaml").write_text(
        "codes:\n  BELOW_CAPITALISATION_THRESHOLD:\n    enabled: false\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, _check_or_run(workspace, command))
    assert result.exit_code == 2, result.output
    assert "BELOW_CAPITALISATION_THRESHOLD" in result.output
    assert "возможно, имелся в виду «BELOW_CAPITALIZATION_THRESHOLD»" in result.output


def test_check_reports_every_problem_at_once(workspace: Path) -> None:
    config = workspace / "config.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("inventory.xlsx", "no-such-inventory.xlsx")
    (workspace / "rules" / "matching.yaml").write_text("auto: high\n", encoding="utf-8")
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code == 2
    assert "matching.yaml" in result.output
    assert "auto" in result.output


def test_a_missing_config_exits_2_and_says_how_to_make_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--config", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "reconciler demo" in result.output


def test_the_bundled_example_runs_from_the_repo_config(tmp_path: Path) -> None:
    """What the README's first command does, with the outbox moved to a temp folder."""
    config = tmp_path / "config.yaml"
    text = (REPO / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("examples/inventory.xlsx", str(REPO / "examples" / "inventory.xlsx"))
    text = text.replace("rules: rules", f"rules: {REPO / 'rules'}")
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["run", str(REPO / "examples" / "register-1c.xlsx"), "--config", str(config)]
    )
    assert result.exit_code == 1, result.output
    run_dir = Path(result.output.strip().splitlines()[-1])
    assert (run_dir / "results.json").is_file()


def test_results_json_records_seconds_per_stage(workspace: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(demo_register(workspace)),
            "--config",
            str(workspace / "config.yaml"),
            "--no-mail",
        ],
    )
    run_dir = Path(result.output.strip().splitlines()[-1])
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert set(doc["timings"]) == {
        "startup",
        "rules",
        "read",
        "inventory",
        "decisions",
        "match",
        "scope",
        "checks",
        "figures",
        "annotate",
    }
    assert all(seconds >= 0 for seconds in doc["timings"].values())
    # The steps after results.json, and the whole, are on the run's last log line.
    logged = re.search(rf"run {doc['run_id']} timings: (\{{.*\}})", result.stderr)
    assert logged is not None, result.stderr
    every = json.loads(logged.group(1))
    assert set(every) == set(doc["timings"]) | {"reports", "ledger"}
    assert every["reports"] > 0 and every["ledger"] > 0
    assert doc["timings"].items() <= every.items()


def test_a_bug_exits_3_with_its_traceback_never_1_which_means_discrepancies(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scripts read exit 1 as "the run found discrepancies"; a crash must not look like one."""
    from reconciler import cli as cli_module
    from reconciler import pipeline

    def broken(config_file: Path | None) -> str:
        raise RuntimeError("a planted bug")

    monkeypatch.setattr(pipeline, "check_setup", broken)
    monkeypatch.setattr("sys.argv", ["reconciler", "check"])
    with pytest.raises(SystemExit) as exited:
        cli_module.main()
    assert exited.value.code == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a planted bug" in err


def test_a_refused_file_is_in_the_ledger_with_its_coded_reason_as_the_service_stores_it(
    workspace: Path, tmp_path: Path
) -> None:
    import sqlite3

    bad = tmp_path / "ведомость.xlsx"
    bad.write_bytes(b"this is not a workbook at all\n")
    CliRunner().invoke(
        cli, ["run", str(bad), "--config", str(workspace / "config.yaml"), "--no-mail"]
    )
    conn = sqlite3.connect(workspace / "state" / "ledger.sqlite")
    state, reason = conn.execute("SELECT state, reason FROM files").fetchone()
    error = conn.execute("SELECT error FROM runs").fetchone()[0]
    assert state == "quarantined"
    assert json.loads(reason)["code"] == "NO_HEADER"  # text is read as a CSV without a header
    assert "ведомость.xlsx" in error and not error.startswith("{")


def test_config_is_accepted_before_the_subcommand_as_after_it(workspace: Path) -> None:
    config = str(workspace / "config.yaml")
    before = CliRunner().invoke(cli, ["--config", config, "check"])
    after = CliRunner().invoke(cli, ["check", "--config", config])
    assert before.exit_code == after.exit_code == 0, before.output
    # The same report (log lines aside, which carry the time).
    lines = [[x for x in r.output.splitlines() if " INFO " not in x] for r in (before, after)]
    assert lines[0] == lines[1] and "записей" in before.output


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Error: ",
                "Unknown setting 'watch.interval_second': did you mean 'interval_seconds'? "
                "Fix the name.",
                "Setting 'mail.smtp.password' is not allowed: a secret never goes in the file.",
                "Setting 'mail.smtp.port': expected a whole number, found 'abc'. Fix the value.",
                "Setting 'mail.from': 'reconciler@@example.com' is not an email address.",
                "Setting 'mail.smtp.password_env' names the environment variable "
                "RECONCILER_TEST_SMTP_PASSWORD, which is not set here.",
                "The rules folder ",
            ],
        ),
        (
            "ru",
            [
                "Ошибка: ",
                "Неизвестная настройка «watch.interval_second»: возможно, имелась в виду "
                "«interval_seconds». Исправьте имя.",
                "Настройка «mail.smtp.password» не допускается: секрет в файл не пишется.",
                "Настройка «mail.smtp.port»: ожидалось целое число, указано 'abc'.",
                "Настройка «mail.from»: «reconciler@@example.com» — не адрес электронной почты.",
                "Настройка «mail.smtp.password_env» называет переменную окружения "
                "RECONCILER_TEST_SMTP_PASSWORD, но здесь она не задана.",
                "Папки правил ",
            ],
        ),
    ],
)
def test_check_says_every_problem_in_one_pass_in_plain_words_and_never_a_secret(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, language: str, expected: list[str]
) -> None:
    """One file with a problem of each kind: a misspelt key (with the key meant), a password
    written into the file (refused, its value never repeated), a value of the wrong type, a
    malformed sender, a password_env naming an unset variable, a missing rules folder. One
    `check` says them all, each once, in report.language, then exits 2."""
    monkeypatch.delenv("RECONCILER_TEST_SMTP_PASSWORD", raising=False)
    config = workspace / "config.yaml"
    text = _with_language(workspace, language).read_text(encoding="utf-8")
    assert "transport: file" in text and "from: reconciler@example.com" in text
    bad = text.replace(
        "transport: file",
        "transport: file\n  smtp:\n    password: hunter2\n    username: robot\n"
        "    password_env: RECONCILER_TEST_SMTP_PASSWORD\n    port: abc",
    )
    bad = bad.replace("from: reconciler@example.com", "from: reconciler@@example.com")
    bad = bad.replace("rules: rules", "rules: no-such-rules")
    bad += "\nwatch:\n  interval_second: 5\n"
    config.write_text(bad, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code == 2, result.output
    out = result.output
    assert "hunter2" not in out and "Extra inputs are not permitted" not in out
    for line in expected:
        assert out.count(line) == 1, (line, out)
    said = [x.strip() for x in out.splitlines() if x.strip().startswith("- ")]
    assert len(said) == len(expected) - 1 and all(x[2:3].isupper() for x in said), said
    assert ": ok" not in out


def _with_language(workspace: Path, language: str) -> Path:
    path = workspace / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.setdefault("report", {})["language"] = language
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Ошибка: Файл «закрыт.xlsx» защищён паролем"),
        ("en", "Error: The file “закрыт.xlsx” is protected by a password"),
    ],
)
def test_a_cli_error_is_said_once_in_the_report_language_in_sentence_case(
    workspace: Path, tmp_path: Path, language: str, expected: str
) -> None:
    """It was English only, lower case, and said "password protected" twice."""
    config = _with_language(workspace, language)
    locked = tmp_path / "закрыт.xlsx"
    with demo_register(workspace).open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    result = CliRunner().invoke(cli, ["run", str(locked), "--config", str(config), "--no-mail"])
    assert result.exit_code == 2, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith(("Ошибка", "Error"))]
    assert line.startswith(expected), line
    reason, fix, foreign = {
        "ru": ("защищён паролем", "Сохраните его без пароля", "password"),
        "en": ("protected by a password", "Save it without a password", "пароль"),
    }[language]
    assert line.count(reason) == 1 and fix in line and foreign not in line, line


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ru",
            [
                "Ошибка: Решения №999 нет в журнале. Номера решений показывает команда "
                "reconciler decisions list.",
                "Строка 3, позиция ",
                "Настройка «inventory.token_env» не задана.",
            ],
        ),
        (
            "en",
            [
                "Error: There is no decision #999 in the ledger. See the decision ids with "
                "reconciler decisions list.",
                "Line 3, column ",
                "Setting 'inventory.token_env' is not set.",
            ],
        ),
    ],
)
def test_the_other_commands_errors_are_said_in_the_report_language_with_the_fix(
    workspace: Path, language: str, expected: list[str]
) -> None:
    """They were English one-liners in lower case: a decision id that does not exist, a rules
    file that is not YAML (now with its line and column), an API source without its token."""
    config = _with_language(workspace, language)
    revoke = CliRunner().invoke(cli, ["decisions", "revoke", "999", "--config", str(config)])
    assert revoke.exit_code == 2
    assert revoke.output.strip().splitlines()[-1] == expected[0]
    (workspace / "rules" / "matching.yaml").write_text("auto: 90\nreview: [1,\n", "utf-8")
    check = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert check.exit_code == 2
    assert "matching.yaml: " + expected[1] in check.output, check.output
    shutil.rmtree(workspace / "rules")
    shutil.copytree(REPO / "rules", workspace / "rules")
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["inventory"] = {"source": "snipeit", "url": "http://127.0.0.1:9"}
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    check = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert check.exit_code == 2
    assert check.output.count(expected[2]) == 1, check.output
    assert "key 'inventory" not in check.output  # nothing left in the English one-liner


def test_mail_test_against_a_closed_port_says_the_server_and_what_to_check(
    workspace: Path,
) -> None:
    """An SMTP server that is not there: the terminal names it and says what to check, in
    report.language, and exits 2 (it was the English line of the socket error)."""
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = _with_language(workspace, "ru")
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["mail"]["transport"] = "smtp"
    raw["mail"]["smtp"] = {"host": "127.0.0.1", "port": port, "timeout_seconds": 5}
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["mail-test", "--config", str(config)])
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"Ошибка: Почтовый сервер 127.0.0.1:{port}"), line
    assert "не принял письмо" in line and "Проверьте mail.smtp: сервер, порт" in line, line


def test_a_run_tells_glibc_to_give_large_freed_blocks_back_on_linux() -> None:
    """The run's large transient buffers (sheet XML, table chunks) are returned to the system
    when freed instead of staying in the heap: glibc accepts the fixed mmap threshold."""
    import platform

    from reconciler.pipeline import give_back_large_blocks

    if platform.system() != "Linux" or "glibc" not in " ".join(platform.libc_ver()):
        pytest.skip("the setting is glibc's; other C libraries keep their own defaults")
    assert give_back_large_blocks() is True
