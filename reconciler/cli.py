"""The command line. The one place that turns errors into exit codes:

0  the books and IT agree (or the command succeeded)
1  the run found discrepancies, review rows or unmatched rows
2  bad input or configuration (a ReconcilerError: the message says what and how to fix it)
Anything else is a bug and keeps its traceback (exit 3 with the traceback on stderr).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.config import Config, config_path, load_config, read_raw
from reconciler.errors import ConfigError, InventoryError, Problem, ReconcilerError
from reconciler.logs import setup_logging
from reconciler.text import error_catalogue, errors_config
from reconciler.text import progress as terminal
from reconciler.text.errors_config import sentence_case

log = logging.getLogger("reconciler")

# The finished run, set by `run` once its run folder and ledger rows are written: main()
# then ends the process at once. Python otherwise frees the run's millions of objects one by
# one, as `run`'s frame unwinds and again at exit: about 2 s of a 100k-row run (BENCHMARKS.md,
# issue 16); the system takes the memory back whole. Holding the result here keeps the
# unwinding from freeing it. Only main() ends the process, so a run called in-process
# (tests, CliRunner) exits as usual, and only the last run is held.
_leave_at_once: list[object] = []
# Set while main() runs: the process is ours and ends with the command, so a `run` never
# turns the collector back on (see run()).
_as_main: list[bool] = []


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """ReconcilerError -> its one-line message on stderr and exit 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ReconcilerError as e:
            language = _language(kwargs.get("config_file"))
            click.echo(error_message(e, language), err=True)
            sys.exit(e.exit_code)

    return wrapper


def _language(config_file: Path | None) -> str:
    """report.language as the file says it, even when other settings in it are wrong (the
    problems are then told in it); else Russian, the config's own default."""
    try:
        raw = read_raw(config_path(config_file))
    except (ReconcilerError, OSError):
        return "ru"
    report = raw.get("report")
    language = report.get("language") if isinstance(report, dict) else None
    return language if language in ("ru", "en") else "ru"


def error_message(error: ReconcilerError, language: str) -> str:
    """The error for the person at the terminal, in their language: a config's problems each
    with its key and fix (text/errors_config.py), a coded error from the catalogue, else the
    English one-liner; in sentence case, said once."""
    if isinstance(error, ConfigError):
        text = errors_config.describe(error, language)
    else:
        text = sentence_case(error_catalogue.describe(error, language))
    # The sender is told IT's source is not theirs to fix; at the terminal sits the person
    # who can fix it, who needs what went wrong (the loader's own words).
    detail = error.params.get("detail") if isinstance(error, InventoryError) else None
    if detail:
        words = errors_config.WORDS["ru" if language == "ru" else "en"]
        text += " " + words["detail"].format(detail=detail)
    return f"{'Ошибка' if language == 'ru' else 'Error'}: {text}"


def _group_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """A subcommand's --config, else the one given before the subcommand."""
    if value is not None:
        return value
    found = (ctx.find_root().obj or {}).get("config_file")
    return found if isinstance(found, Path) else None


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    callback=_group_config,
    help="config.yaml to use (default: $RECONCILER_CONFIG, else ./config.yaml).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="config.yaml to use; also accepted after the subcommand.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, config_file: Path | None) -> None:
    """Reconcile the accounting fixed-asset register with the IT hardware inventory."""
    ctx.obj = {"config_file": config_file}
    setup_logging(verbose)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@click.option("--no-mail", is_flag=True, help="Write the run folder but send no email.")
@reports_errors
def run(file: Path, config_file: Path | None, no_mail: bool) -> None:
    """Reconcile FILE (an accounting export) against the IT inventory.

    Writes <outbox>/<run_id>/ and prints its path as the last line. FILE is left untouched.
    """
    from reconciler import pipeline
    from reconciler.decisions import apply as decisions_apply

    config = load_config(config_file)
    reply = decisions_apply.apply_reply_file(file, config, send_mail=not no_mail)
    if reply is not None:  # a reviewer's reply to an earlier run: applied, not reconciled
        for line in reply.lines(config.report.language):
            click.echo(line)
        sys.exit(1 if reply.problems else 0)
    from reconciler.service.run_progress import RunProgress

    # The cycle collector is off for the whole run: a run makes millions of objects that live
    # to its end and almost no cycles (20 objects collected at 100k rows), and each time the
    # collector came back on between the stages it walked all of them again, up to the
    # oldest generation: 3.8 s of a 100k run (BENCHMARKS.md, issue 16). A `run` under main()
    # ends the process at once, so the collector stays off; called in-process (tests) it is
    # turned back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with RunProgress(config.report.language) as progress:
            result = pipeline.process_file(
                file,
                config,
                send_mail=not no_mail,
                on_stage=progress,
                startup=pipeline.process_age(),
            )
    finally:
        if collecting and not _as_main:
            gc.enable()
    s = result.match.rows
    click.echo(
        terminal.said(
            "summary",
            config.report.language,
            file=result.register.file_name,
            rows=len(s),
            matched=sum(m.status == "matched" for m in s),
            review=sum(m.status == "review" for m in s),
            unmatched=sum(m.status == "unmatched" for m in s),
            findings=len(result.findings),
        )
    )
    click.echo(str(result.run_dir))
    _leave_at_once[:] = [result]
    sys.exit(result.exit_code)


@cli.group()
def decisions() -> None:
    """Reviewers' decisions from annotated workbooks dropped back (README: Decisions)."""


@decisions.command("list")
@click.option("--folder", default=None, help="One department (inbox subfolder) only.")
@click.option("--active", is_flag=True, help="Leave out revoked decisions.")
@config_option
@reports_errors
def decisions_list(folder: str | None, active: bool, config_file: Path | None) -> None:
    """Show the decisions: id, folder, row key, asset, kind, who, when, comment, revoked."""
    from reconciler.decisions import store as deciding
    from reconciler.ledger.schema import open_ledger

    with open_ledger(load_config(config_file)) as conn:
        found = deciding.list_decisions(conn, folder=folder, include_revoked=not active)
    for line in deciding.table_lines(found):
        click.echo(line)


@decisions.command("revoke")
@click.argument("decision_id", metavar="ID", type=int)
@config_option
@reports_errors
def decisions_revoke(decision_id: int, config_file: Path | None) -> None:
    """Withdraw decision ID: runs from now on no longer apply it."""
    import getpass

    from reconciler.decisions import store as deciding
    from reconciler.ledger.schema import open_ledger

    config = load_config(config_file)
    with open_ledger(config) as conn:
        d = deciding.revoke(conn, decision_id, why=f"revoked by cli:{getpass.getuser()}")
    what = " ".join(str(x) for x in (d.kind, d.book_key or d.finding_identity, d.asset_id) if x)
    click.echo(
        terminal.said("revoked", config.report.language, id=d.id, what=what, when=d.revoked_at)
    )


@cli.command()
@config_option
@reports_errors
def check(config_file: Path | None) -> None:
    """Validate config, rules and the inventory source; report every problem at once."""
    from reconciler import pipeline

    report = pipeline.check_setup(config_file)
    click.echo(report)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=7, show_default=True, help="Seed of the synthetic generator.")
@click.option("--rows", default=60, show_default=True, help="Register rows to generate.")
@reports_errors
def demo(directory: Path, seed: int, rows: int) -> None:
    """Write a self-contained example workspace into DIRECTORY."""
    from reconciler import synth

    written = synth.write_demo_workspace(directory, seed=seed, rows=rows)
    click.echo(f"demo workspace in {directory}:")
    for path in written:
        click.echo(f"  {path}")
    register = next(p for p in written if p.parent.name == "inbox" or "inbox" in p.parts)
    click.echo(f"try: reconciler run --config {directory / 'config.yaml'} {register}")


@cli.command()
@config_option
@reports_errors
def watch(config_file: Path | None) -> None:
    """Run the service: watch the inbox until SIGINT/SIGTERM."""
    from reconciler.service import loop as watcher

    config: Config = load_config(config_file)
    setup_logging(logging.getLogger("reconciler").level == logging.DEBUG, config.log_path)
    watcher.serve(config)


@cli.group()
def inventory() -> None:
    """The IT inventory source (README: IT inventory sources)."""


@inventory.command("pull")
@config_option
@reports_errors
def inventory_pull(config_file: Path | None) -> None:
    """Fetch the configured inventory now and say what came: assets, fields filled, snapshot.

    An API source's fetch is kept as the last good snapshot for runs whose fetch fails.
    """
    from reconciler.inventory import load as inventory_load
    from reconciler.rules import load_rules

    config = load_config(config_file)
    got = inventory_load.load_inventory(
        config.inventory, load_rules(config.rules), state=config.state
    )
    total = len(got.assets)
    click.echo(f"inventory {got.source}: {total} assets")
    if got.snapshot is not None:
        s = got.snapshot
        reused = " (the last good snapshot: this fetch failed)" if s.reused else ""
        click.echo(f"snapshot: {s.kind}, {s.fetched_at}, sha256 {s.sha256}{reused}")
    click.echo("fields filled:")
    for name, count in inventory_load.filled_fields(got.assets):
        click.echo(f"  {name:<17}{count:>8} of {total} ({count / total:.0%})")
    for warning in got.warnings:
        click.echo(f"warning: {warning}")


@cli.command("mail-test")
@config_option
@click.option("--to", "to", default=None, help="Address to send to (default: the reviewers).")
@reports_errors
def mail_test(config_file: Path | None, to: str | None) -> None:
    """Send a test message with the configured mail settings."""
    from reconciler.mail import send as mail_send

    config = load_config(config_file)
    where = mail_send.send_test_message(config, to)
    click.echo(f"test message sent: {where}")


@cli.command()
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day of the period, YYYY-MM-DD (default: 30 days before --to).",
)
@click.option(
    "--to",
    "end",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day (default: today, UTC).",
)
@click.option("--folder", default=None, help="One department (inbox subfolder) only.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: <outbox>/audit/).",
)
@click.option("--email", is_flag=True, help="Also send the pack to mail.auditors.")
@config_option
@reports_errors
def audit(
    start: Any,
    end: Any,
    folder: str | None,
    out: Path | None,
    email: bool,
    config_file: Path | None,
) -> None:
    """Write the audit pack from the ledger: audit-<from>-<to>.xlsx and .html.

    Runs, rows and match rates per department; findings opened, resolved and still open; the
    comparison statement of surpluses and shortages; the trend. Prints the paths written.
    """
    from reconciler.audit import pack as auditing

    config = load_config(config_file)
    written = auditing.audit_command(
        config,
        start=start.date() if start else None,
        end=end.date() if end else None,
        folder=folder,
        out=out,
        email=email,
    )
    for path in written:
        click.echo(str(path))


@cli.group()
def ledger() -> None:
    """The ledger's database: its schema version, and a move from SQLite to PostgreSQL."""


@ledger.command("migrate")
@config_option
@reports_errors
def ledger_migrate(config_file: Path | None) -> None:
    """Create or upgrade the ledger named by ledger.url (else state/ledger.sqlite)."""
    from reconciler.ledger import schema
    from reconciler.ledger.db import open_url, redact

    config = load_config(config_file)
    with open_url(config.ledger.url, config.ledger.password_env, config.ledger_path) as db:
        applied = schema.migrate(db)
        for version, applied_at, what in schema.applied_versions(db):
            mark = " (now)" if version in applied else ""
            click.echo(f"{version}  {applied_at}  {what}{mark}")
    where = redact(config.ledger.url) if config.ledger.url else str(config.ledger_path)
    click.echo(f"ledger {where}: schema version {schema.LATEST}")


@ledger.command("copy")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The SQLite ledger to copy (default: state/ledger.sqlite).",
)
@click.option("--to", "target", default=None, help="Target URL (default: ledger.url).")
@config_option
@reports_errors
def ledger_copy(source: Path | None, target: str | None, config_file: Path | None) -> None:
    """Copy a SQLite ledger into an empty PostgreSQL one; every table's count is checked."""
    from reconciler.ledger.copy import copy_ledger
    from reconciler.ledger.db import SqliteLedger, open_url, redact

    config = load_config(config_file)
    url = target or config.ledger.url
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            Problem(
                "ledger copy: expected a postgresql://user@host/db target in --to or "
                f"ledger.url, found {redact(url) or 'none'!r}",
                "COPY_TARGET_NOT_POSTGRES",
                {"found": redact(url) if url else None},
            )
        )
    sqlite_path = source or config.ledger_path
    if not sqlite_path.is_file():
        raise ConfigError(
            Problem(
                f"ledger copy: no SQLite ledger at {sqlite_path}; pass --from PATH",
                "COPY_NO_SOURCE",
                {"path": str(sqlite_path)},
            )
        )
    with (
        SqliteLedger(sqlite_path) as src,
        open_url(url, config.ledger.password_env, sqlite_path) as dst,
    ):
        for c in copy_ledger(src, dst, target_name=url):
            click.echo(f"{c.table:<17} {c.source:>8} -> {c.target:>8}")
    click.echo("ledger copied; set ledger.url in config.yaml and restart the services")


def main() -> None:
    _as_main.append(True)
    try:
        cli(prog_name="reconciler")
    except SystemExit as done:
        if _leave_at_once and isinstance(done.code, int):
            leave_at_once(done.code)
        raise
    except Exception:  # a bug: keep its traceback, and never exit 1, which means discrepancies
        traceback.print_exc()
        sys.exit(3)


def leave_at_once(code: int) -> None:
    """End the process now, every line said: what is buffered for stdout, stderr and the
    log handlers is written first (os._exit skips Python's own flushing)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
