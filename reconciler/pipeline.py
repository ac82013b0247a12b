"""run_file(path) -> RunResult: the only place that knows the order of the stages.

read register -> load inventory -> match -> checks -> outputs into a temp run folder -> rename.
The run folder appears under its final name only when every file in it is complete, so a crash
never leaves partial output that looks finished.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from reconciler.checks import accounting as checks
from reconciler.checks import scope as scoping
from reconciler.config import Config, check_config, config_path
from reconciler.decisions import store as decisions
from reconciler.errors import ConfigError, InputError, Problem, ReconcilerError
from reconciler.inventory import load as inventory
from reconciler.ledger import runs as ledger_runs
from reconciler.ledger.db import new_run_id
from reconciler.ledger.schema import open_ledger
from reconciler.match import engine as match
from reconciler.models import RunResult
from reconciler.outputs import annotate, report, run_folder
from reconciler.outputs.figures import run_figures
from reconciler.outputs.table_writer import SharedTables
from reconciler.read import register as layout
from reconciler.rules import Rules, load_rules
from reconciler.text import error_catalogue as error_text
from reconciler.text import progress as terminal
from reconciler.text import reading_notes

log = logging.getLogger(__name__)

# Told as each stage starts, with the counts known by then (rows, assets, matched, review,
# findings): the CLI's progress line on a terminal. The stage names are the timings' keys.
StageListener = Callable[[str, Mapping[str, object]], None]


def _quiet(stage: str, counts: Mapping[str, object]) -> None:
    """No one is watching: the service's child and every test."""


@contextmanager
def timed(timings: dict[str, float], stage: str, *, collector: bool = True) -> Iterator[None]:
    """Seconds per stage, for results.json and the benchmarks. A stage timed twice (the
    decisions, read before matching and written after the checks) adds up.

    `collector=False` pauses Python's cycle collector for the stage: the stages make hundreds
    of thousands of long-lived objects and few cycles, and the collector walking every object
    of the run again at each threshold was a fifth of the inventory's time at 150k assets and
    about 5 CPU seconds of the outputs at 100k rows (BENCHMARKS.md, issue 16). What cycles a
    stage leaves (openpyxl's sheets) are collected once it ends."""
    collecting = gc.isenabled()
    if not collector:
        gc.disable()
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(timings.get(stage, 0.0) + time.perf_counter() - started, 3)
        if collecting:
            gc.enable()


# glibc raises its mmap threshold each time a large block is freed (up to 32 MB), after which
# the stages' large transient buffers (a sheet's XML, a table's chunks, calamine's grids) come
# from the heap and stay in the process once freed: at 100k rows the reports stage began 110 MB
# higher for what annotate had freed. A fixed threshold (which also stops that raising) keeps
# each block of 256 KB or more in its own mapping, given back when freed: the run's peak
# 1,034 -> 1,010 MB (BENCHMARKS.md, issue 16).
M_MMAP_THRESHOLD = -3  # glibc's malloc.h
LARGE_BLOCK = 256 * 1024


def give_back_large_blocks() -> bool:
    """Tell glibc's malloc to return blocks of LARGE_BLOCK or more when freed; False where
    the C library has no such setting (not Linux, or not glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK))


def process_age() -> float | None:
    """Seconds since this process started (the interpreter, the imports, the config): the
    `startup` of a `reconciler run`, which a timer started in Python would miss. None where
    /proc is not there to tell (not Linux)."""
    try:
        stat = Path("/proc/self/stat").read_text()
    except OSError:
        return None
    # Field 22, after the command's name in parentheses (which may hold spaces): clock ticks
    # from boot to the process's start, on the clock CLOCK_BOOTTIME reads.
    started = int(stat[stat.rindex(")") + 2 :].split()[19]) / os.sysconf("SC_CLK_TCK")
    return round(time.clock_gettime(time.CLOCK_BOOTTIME) - started, 3)


def choose_report_date(config: Config, register_date: date | None) -> date:
    return config.report.date or register_date or date.today()


def run_file(
    path: Path,
    config: Config,
    rules: Rules | None = None,
    *,
    file_name: str | None = None,
    folder: str | None = None,
    run_id: str | None = None,
    duplicate_of: dict[str, str] | None = None,
    publish: bool = True,
    on_stage: StageListener = _quiet,
    timings: dict[str, float] | None = None,
) -> RunResult:
    """Reconcile one register file and write its run folder into the outbox.

    `publish=False` (the service's child) leaves the run staged in outbox/<run_id>.partial:
    the service publishes it once its findings are in the ledger (outputs/run_folder.py).

    `file_name` is the name as the user dropped it (the service renames files when it claims
    them); `folder` is the inbox subfolder it came from; `duplicate_of` names the earlier run
    of the same content (the service found it in the ledger) for results.json. `timings`:
    where the stages' seconds go, holding what the caller timed before (the CLI's startup).

    Every step is timed: the five stages, and the steps around them (the rules, the
    reviewers' decisions, the scope, the figures). results.json holds them all but the
    reports, written while results.json is; process_file logs every one, the reports and the
    ledger too.
    """
    timings = {} if timings is None else timings
    with timed(timings, "rules"):
        rules = rules or load_rules(config.rules)
    run_id = run_id or new_run_id()
    give_back_large_blocks()
    counts: dict[str, object] = {"file": file_name or path.name}
    on_stage("read", counts)
    with timed(timings, "read", collector=False):
        register = layout.read_register(path, rules.columns, file_name=file_name or path.name)
    counts["rows"] = len(register.rows)
    on_stage("inventory", counts)
    with timed(timings, "inventory", collector=False):
        assets = inventory.load_inventory(config.inventory, rules, state=config.state)
    counts["assets"] = len(assets.assets)
    # Reviewers' decisions for this folder's series (decisions.py): confirmed and rejected
    # pairs shape the matching, accepted findings are reported as accepted.
    with timed(timings, "decisions"):
        decided = decisions.load_active(config, folder or "")
    on_stage("match", counts)
    with timed(timings, "match"):
        matched = match.match_register(register, assets, rules, decisions=decided)
    # Which assets this register answers for: only those can be "not on the books".
    with timed(timings, "scope", collector=False):
        scope = scoping.resolve_scope(register, assets, matched, rules, config.scope, folder)
        matched = scoping.narrow(matched, scope)
    report_date = choose_report_date(config, register.report_date)
    for status in ("matched", "review"):
        counts[status] = sum(m.status == status for m in matched.rows)
    on_stage("checks", counts)
    with timed(timings, "checks", collector=False):
        findings = checks.run_checks(
            register,
            assets,
            matched,
            rules,
            report_date=report_date,
            language=config.report.language,
        )
    with timed(timings, "decisions", collector=False):
        decisions.mark_accepted(findings, register, decided)
        decisions.remember_rows(config, run_id, register)  # a reply is checked against it
    tmp_dir = run_folder.start(config.outbox, run_id)  # whatever an earlier attempt left
    result = RunResult(
        run_id=run_id,
        run_dir=tmp_dir,
        register=register,
        inventory=assets,
        match=matched,
        findings=findings,
        report_date=report_date,
        duplicate_of=duplicate_of,
        timings=timings,
        # What reading decided or left empty (a guessed encoding, month-first dates, a date
        # that could not be read) reaches results.json, the summary sheet and the email.
        warnings=[
            reading_notes.render(n, config.report.language)
            for n in [*register.warnings, *assets.warnings]
        ],
        scope=scope,
    )
    counts["findings"] = len(findings)
    on_stage("annotate", counts)
    # Computed once: both summary sheets, report.html and results.json show these.
    with timed(timings, "figures", collector=False):
        figures = run_figures(result, config.report.language)
    tables = SharedTables()  # the long tables both workbooks show, laid out once
    with timed(timings, "annotate", collector=False):
        annotated, lost_features = annotate.write_annotated_workbook(
            result, rules, config, figures, tables
        )
    result.outputs["annotated"] = annotated
    result.warnings += lost_features
    on_stage("reports", counts)
    with timed(timings, "reports", collector=False):
        result.outputs |= report.write_reports(
            result, config, folder=folder, figures=figures, shared=tables
        )
    if publish:
        final_dir = run_folder.publish(config.outbox, run_id)
        result.run_dir = final_dir
        result.outputs = {kind: final_dir / p.name for kind, p in result.outputs.items()}
    log.info(
        "processed %s: %d rows, %d findings in %.1f s (run %s)",
        register.file_name,
        len(register.rows),
        len(findings),
        sum(timings.values()),
        run_id,
    )
    return result


def write_error_report(config: Config, run_id: str, file_name: str, error: Exception) -> Path:
    """Bad input still leaves a trace in the outbox: a run folder holding only error.txt,
    the same note the service leaves beside a quarantined file (error_text.note)."""
    note = error_text.note(error_text.ErrorRecord.of(error), file_name, config.report.language)
    return run_folder.write_error_run(config.outbox, run_id, note)


def process_file(
    path: Path,
    config: Config,
    *,
    file_name: str | None = None,
    folder: str | None = None,
    send_mail: bool = True,
    on_stage: StageListener = _quiet,
    startup: float | None = None,
) -> RunResult:
    """One file end to end as `reconciler run` does it: run, record, deliver. `startup`: the
    seconds the process took before this (process_age), a timing like the stages'."""
    run_id = new_run_id()
    timings = {} if startup is None else {"startup": startup}
    try:
        result = run_file(
            path,
            config,
            file_name=file_name,
            folder=folder,
            run_id=run_id,
            on_stage=on_stage,
            timings=timings,
        )
    except InputError as e:
        write_error_report(config, run_id, file_name or path.name, e)
        record_in_ledger(config, None, run_id, path, file_name, folder, error=e)
        raise
    with timed(timings, "ledger"):
        record_in_ledger(config, result, run_id, path, file_name, folder)
    if send_mail:  # `--no-mail` writes the run folder only
        from reconciler.mail import send as mail_send  # SMTP and templates: only to send

        on_stage("mail", {})
        with timed(timings, "mail"), open_ledger(config) as conn:
            mail_send.deliver_run(conn, config, result.run_dir, folder or "")
    # Every step's seconds, those after results.json too, on one line (bench/bench_run.py).
    log.info("run %s timings: %s", run_id, json.dumps(timings))
    return result


def record_in_ledger(
    config: Config,
    result: RunResult | None,
    run_id: str,
    path: Path,
    file_name: str | None,
    folder: str | None,
    *,
    error: InputError | None = None,
) -> None:
    """`reconciler run` leaves the same trace in the ledger as the service: file, run, findings;
    a refused file's reason as the same error record, so it can be told in any language."""
    with open_ledger(config) as conn:
        ledger_runs.record_cli_run(
            conn,
            result,
            run_id=run_id,
            path=path,
            file_name=file_name or path.name,
            folder=folder or "",
            error=None if error is None else str(error),
            reason=None if error is None else error_text.ErrorRecord.of(error).to_json(),
        )


def check_setup(config_file: Path | None) -> str:
    """`reconciler check`: config, rules, the variables it names, the inventory and the scopes,
    in one pass: every problem at once (ConfigError), then a non-zero exit. A wrong value in
    the config is reported and its default used, so the checks after it still run."""
    config, problems = check_config(config_file)
    if config is None:
        raise ConfigError(problems, source=str(config_path(config_file)))
    rules_ok = config.rules.is_dir()
    if not rules_ok:
        problems.append(
            Problem(
                f"key 'rules': expected the folder of rules YAML, found nothing at "
                f"{config.rules}; copy the shipped rules/ there or fix the path",
                "NO_RULES_FOLDER",
                {"path": str(config.rules)},
            )
        )
    # The variables the config names must be set where the service runs (their values are
    # never shown).
    for key, name in (
        ("mail.smtp.password_env", config.mail.smtp.password_env),
        ("inventory.token_env", config.inventory.token_env),
        ("inventory.app_token_env", config.inventory.app_token_env),
        ("ledger.password_env", config.ledger.password_env),
    ):
        if name and not os.environ.get(name):
            problems.append(
                Problem(
                    f"key '{key}': names the environment variable {name}, which is not set "
                    f"here; set {name} for the service (its value never goes in the file)",
                    "VARIABLE_NOT_SET",
                    {"key": key, "name": name},
                )
            )
    rules: Rules | None = None
    try:
        rules = load_rules(config.rules if rules_ok else None)
    except ConfigError as e:
        problems += e.coded
    assets = None
    if rules is not None:
        try:
            assets = inventory.load_inventory(config.inventory, rules)
        except ConfigError as e:
            problems += e.coded
        except ReconcilerError as e:
            where = str(config.inventory.path or config.inventory.url)
            problems.append(
                Problem(
                    f"inventory {where}: {e}",
                    "INVENTORY_FAILED",
                    {"where": where, "error": error_text.ErrorRecord.of(e).to_dict()},
                )
            )
    for key in ("inbox", "outbox", "state"):
        folder_path: Path = getattr(config, key)
        if folder_path.exists() and not folder_path.is_dir():
            problems.append(
                Problem(
                    f"key '{key}': expected a folder, found a file at {folder_path}",
                    "FOLDER_IS_A_FILE",
                    {"key": key, "path": str(folder_path)},
                )
            )
    if assets is not None and rules is not None:
        # A scope already wrong in itself (a broken pattern) is said once, not tried.
        wrong_keys = {str(p.params.get("key", "")) for p in problems}
        checked_scopes = config.scope.model_copy(
            update={
                "by_folder": {
                    folder: scope
                    for folder, scope in config.scope.by_folder.items()
                    if not any(k.startswith(f"scope.by_folder.{folder}") for k in wrong_keys)
                }
            }
        )
        problems += scoping.scope_problems(checked_scopes, assets, rules)
    if problems:
        raise ConfigError(problems, source=str(config.source))
    assert assets is not None and rules is not None
    # What reading the inventory decided (an encoding, month-first dates) is said here too,
    # before the first run says it in every email.
    language = config.report.language
    total = len(assets.assets)
    lines = [
        terminal.said("config_ok", language, path=config.source),
        terminal.said("rules_ok", language, path=config.rules),
        terminal.said("inventory", language, source=assets.source, assets=total),
        *(
            terminal.said("warning", language, text=reading_notes.render(w, language))
            for w in assets.warnings
        ),
        *(
            terminal.said("scope", language, folder=folder, size=size, total=total)
            for folder, size in scoping.scope_sizes(config.scope, assets, rules)
        ),
    ]
    return "\n".join(lines)
