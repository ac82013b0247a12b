"""One file, one child process, with limits: a runaway or crashing reader costs only that file.

The native readers can abort the whole process on a malformed file (an allocation failure is
not an exception), so the service never reads a register itself. The child (`python -m
reconciler.isolation REQUEST`) caps its address space (RLIMIT_AS), dies with its parent
(PR_SET_PDEATHSIG), and inherits the parent's lock on the file, so that no other instance can
resume the file while an orphaned child might still be writing. The parent kills it at
`limits.max_seconds`.

The child writes the run into outbox/<run_id>.partial/, records counts and findings in the
ledger, and only then renames the finished run folder to outbox/<run_id>: a run folder under its
final name is always complete and always in the ledger.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.config import Config
from reconciler.errors import InputError, InventoryError, LimitExceeded
from reconciler.models import RowStatus
from reconciler.outputs import run_folder
from reconciler.service import faults
from reconciler.text.error_catalogue import ErrorRecord

log = logging.getLogger(__name__)

CRASH_ENV = "RECONCILER_TEST_CRASH_AT"  # tests only: kill -9 at a named point
PROCESSOR_ENV = "RECONCILER_TEST_PROCESSOR"  # tests only: a name from PROCESSORS
# What the child may run, by name. A fixed list, not any "module:function" from the
# environment: whoever can set the service's environment must not choose code for it to run.
# `tiny` is tests/tiny_pipeline.py, importable only where the tests put it on the path.
PROCESSORS = {
    "": "reconciler.pipeline:run_file",
    "tiny": "tiny_pipeline:run_file",
}

EXIT_INPUT = 2  # the file cannot be read: summary carries the reason
EXIT_MEMORY = 4  # MemoryError under RLIMIT_AS
EXIT_FAULT = 5  # our fault, not the file's (environment or bug): summary carries the Fault
# Every limits.* refusal (size here and in lifecycle, time, memory) offers the same way out.
LIMIT_HINT = "Split the register into smaller files, or raise the limit"
# The refusals that come from the child being stopped or dying, not from what it read.
LIMIT_CODES = ("TOO_SLOW", "TOO_MUCH_MEMORY", "READER_CRASHED")


def crash_point(name: str, *, parent_too: bool = False) -> None:
    """Simulate a power cut at `name` when RECONCILER_TEST_CRASH_AT says so (tests only)."""
    if os.environ.get(CRASH_ENV) != name:
        return
    log.warning("test crash at %s", name)
    if parent_too:
        os.kill(os.getppid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


staging_dir = run_folder.staging_dir
publish = run_folder.publish


@dataclass
class Outcome:
    """What the parent learns from a child: a finished run, why the file is quarantined
    (`error`), or our own fault that kept it from finishing (`fault`: the file waits).

    `error` keeps the code and params, so the parent tells the sender in their language."""

    run_dir: Path | None = None
    error: ErrorRecord | None = None
    fault: faults.Fault | None = None
    replied: bool = False  # a reviewer's reply was applied (and its answer queued)
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """The English one-liner (logs, the ledger's runs.error)."""
        return None if self.error is None else self.error.message

    @property
    def ok(self) -> bool:
        return self.run_dir is not None or self.replied


def run_isolated(
    config: Config,
    *,
    path: Path,
    file_name: str,
    folder: str,
    run_id: str,
    duplicate_of: dict[str, str] | None,
    lock_fd: int,
    should_stop: Callable[[], bool],
    on_tick: Callable[[float], None] = lambda elapsed: None,
    reply_of_file: int | None = None,
) -> Outcome | None:
    """Process one file in a child; None when stopped (the file is left to be resumed).

    With `reply_of_file` (its ledger id) the child applies it as a reviewer's reply instead
    (decisions.apply), under the same limits: a reply is as untrusted as any register."""
    request = {
        "config": config.model_dump(mode="json", by_alias=True),
        "source": str(config.source),
        "path": str(path),
        "file_name": file_name,
        "folder": folder,
        "run_id": run_id,
        "duplicate_of": duplicate_of,
        "parent_pid": os.getpid(),
        "reply_of_file": reply_of_file,
    }
    env = dict(os.environ)
    # BLAS thread pools reserve address space per thread; one thread keeps RLIMIT_AS honest.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler.service.isolation", json.dumps(request)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        pass_fds=(lock_fd,),
        start_new_session=True,  # a Ctrl-C at the terminal is the parent's to handle
        env=env,
    )
    crash_point("running")
    limit = config.limits.max_seconds
    while True:
        try:
            out, _ = child.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if should_stop():
                _kill(child)
                return None
            if elapsed > limit:
                _kill(child)
                too_long = LimitExceeded(
                    f"processing took longer than limits.max_seconds = {limit:g} s and was stopped",
                    file=file_name,
                    hint=LIMIT_HINT,
                    code="TOO_SLOW",
                    params={"limit_seconds": limit},
                )
                return Outcome(error=ErrorRecord.of(too_long), seconds=elapsed)
            on_tick(elapsed)
    seconds = time.monotonic() - started
    summary = _last_json_line(out)
    code = child.returncode
    if code == 0 and summary.get("run_dir"):
        return Outcome(run_dir=Path(summary["run_dir"]), seconds=seconds, counts=summary)
    if code == 0 and reply_of_file is not None and ("reply_id" in summary or "own_file" in summary):
        return Outcome(replied=True, seconds=seconds, counts=summary)
    if code == EXIT_INPUT and isinstance(summary.get("error"), dict):
        return Outcome(error=ErrorRecord.from_dict(summary["error"]), seconds=seconds)
    if code == EXIT_FAULT and isinstance(summary.get("fault"), dict):
        return Outcome(fault=faults.Fault.from_dict(summary["fault"]), seconds=seconds)
    if code == EXIT_MEMORY:
        error: InputError = LimitExceeded(
            f"processing needed more than limits.max_memory_mb = {config.limits.max_memory_mb} "
            "MB and was stopped",
            file=file_name,
            hint=LIMIT_HINT,
            code="TOO_MUCH_MEMORY",
            params={"limit_mb": config.limits.max_memory_mb},
        )
    else:
        how = _how_it_ended(code)
        error = InputError(
            f"the reader {how} on this file (details in the service log)",
            file=file_name,
            hint="Save the file again from the accounting system as .xlsx and drop it again; "
            "if that does not help, report it",
            code="READER_CRASHED",
            params={"how": how},
        )
    return Outcome(error=ErrorRecord.of(error), seconds=seconds)


def _how_it_ended(code: int) -> str:
    if code >= 0:
        return f"failed (exit {code})"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


def _kill(child: subprocess.Popen[bytes]) -> None:
    """The child leads its own session: kill the group, in case a reader started helpers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.communicate()


def _last_json_line(out: bytes) -> dict[str, Any]:
    for line in reversed(out.decode("utf-8", "replace").splitlines()):
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    return {}


# --- the child ---------------------------------------------------------------------------


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _limit_memory(megabytes: int) -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _load_processor(choice: str) -> Callable[..., Any]:
    if choice not in PROCESSORS:
        raise ValueError(f"{PROCESSOR_ENV}={choice!r}: expected one of {sorted(PROCESSORS)}")
    module, _, name = PROCESSORS[choice].partition(":")
    processor: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return processor


def child_main(request_json: str) -> int:
    request = json.loads(request_json)
    _die_with_parent(request["parent_pid"])
    config = Config.model_validate(request["config"]).model_copy(
        update={"source": Path(request["source"])}
    )
    from reconciler.logs import setup_logging

    setup_logging(log_file=config.log_path)
    _limit_memory(config.limits.max_memory_mb)
    from reconciler.ledger import runs as ledger_runs
    from reconciler.ledger.schema import open_ledger

    if request.get("reply_of_file") is not None:
        return _reply_main(config, request)
    run_id = request["run_id"]
    kwargs: dict[str, Any] = {
        "file_name": request["file_name"],
        "folder": request["folder"],
        "run_id": run_id,
    }
    if request.get("duplicate_of"):
        kwargs["duplicate_of"] = request["duplicate_of"]
    try:
        processor = _load_processor(os.environ.get(PROCESSOR_ENV, ""))
        result = processor(Path(request["path"]), config, publish=False, **kwargs)
        crash_point("staged", parent_too=True)
        with open_ledger(config) as conn:
            ledger_runs.record_result(conn, result, run_dir=config.outbox / run_id)
        crash_point("recorded", parent_too=True)
        final = publish(config.outbox, run_id)
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except InventoryError as e:  # IT's inventory, not the register: waited out like a full disk
        return _fault(config, e)
    except InputError as e:
        # Code and params cross too: the parent tells the sender in their language.
        body = {"error": ErrorRecord.of(e).to_dict()}
        sys.stdout.write(json.dumps(body, ensure_ascii=False, default=str) + "\n")
        return EXIT_INPUT
    except Exception as e:
        # Not the file's fault: a full disk, a busy ledger, or a bug. The parent keeps the
        # file and tells the operators once; the sender is told nothing wrong.
        return _fault(config, e)
    summary = {
        "run_id": run_id,
        "run_dir": str(final),
        "rows": len(result.match.rows),
        **{str(s): sum(m.status == s for m in result.match.rows) for s in RowStatus},
        "findings": len(result.findings),
        "exit_code": result.exit_code,
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


def _fault(config: Config, error: Exception) -> int:
    """Tell the parent it was our fault, not the file's: it keeps the file and retries."""
    body = {"fault": faults.classify(error, faults.places_of(config)).to_dict()}
    sys.stdout.write(json.dumps(body, ensure_ascii=False, default=str) + "\n")
    return EXIT_FAULT


def _reply_main(config: Config, request: dict[str, Any]) -> int:
    """The child's side of a reviewer's reply: read, validate, record, answer; the parent
    learns only the counts. Redone after a stop or a crash, it answers from the record."""
    from reconciler.decisions import apply as decisions_apply
    from reconciler.ledger.schema import open_ledger
    from reconciler.service import own_files

    path = Path(request["path"])
    try:
        if not own_files.has_decisions(path, request["file_name"]):
            # Our own workbook dropped back untouched: the parent answers it, nothing recorded.
            sys.stdout.write(json.dumps({"own_file": "no_decisions"}) + "\n")
            return 0
        conn = open_ledger(config)
        try:
            outcome = decisions_apply.apply_reply(
                conn,
                config,
                path,
                file_name=request["file_name"],
                dropped_in=request["folder"],
                file_id=request["reply_of_file"],
            )
        finally:
            conn.close()
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except InventoryError as e:  # see child_main
        return _fault(config, e)
    except InputError as e:
        body = {"error": ErrorRecord.of(e).to_dict()}
        sys.stdout.write(json.dumps(body, ensure_ascii=False, default=str) + "\n")
        return EXIT_INPUT
    except Exception as e:  # not the reply's fault: see child_main
        return _fault(config, e)
    summary = {
        "reply_id": outcome.reply_id,
        "run_id": outcome.run_id,
        "applied": len(outcome.applied),
        "problems": len(outcome.problems),
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1]))
