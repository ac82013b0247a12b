"""Work in a forked worker (outputs/forked): what it sends arrives in order with its log lines,
and whatever ends it badly is raised here as our own fault, never the file's."""

from __future__ import annotations

import errno
import logging
import os
import signal
from pathlib import Path

import pytest

from reconciler.outputs.forked import Forked, Send, WorkerFailed, core_free, runnable_now
from reconciler.service import faults


def _places(tmp_path: Path) -> dict[str, Path]:
    return {"outbox": tmp_path / "outbox", "state": tmp_path / "state"}


def test_what_the_worker_sends_arrives_in_order_with_its_log_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def work(send: Send) -> None:
        logging.getLogger("reconciler.outputs.annotate").warning("sheet 'X' not annotated")
        send({"styles": [1, 2], "pid": os.getpid()})
        send("second")

    caplog.set_level(logging.INFO, logger="reconciler")
    with Forked(work, "test worker") as worker:
        first = worker.receive()
        assert worker.receive() == "second"
        worker.finish()
    assert first["styles"] == [1, 2] and first["pid"] != os.getpid()
    assert "sheet 'X' not annotated" in caplog.text


def test_a_worker_that_fails_on_a_full_disk_is_the_environments_fault(tmp_path: Path) -> None:
    full = tmp_path / "outbox" / "spool"

    def work(send: Send) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(full))

    with Forked(work, "test worker") as worker, pytest.raises(WorkerFailed) as caught:
        worker.finish()
    assert isinstance(caught.value.__cause__, OSError)
    fault = faults.classify(caught.value, _places(tmp_path))
    assert fault.kind is faults.Kind.ENVIRONMENT and fault.key == "environment:outbox:ENOSPC"


def test_a_bug_in_the_worker_is_our_bug_with_the_workers_traceback(tmp_path: Path) -> None:
    def plan_the_rows(send: Send) -> None:
        raise KeyError("A-404")

    with Forked(plan_the_rows, "test worker") as worker, pytest.raises(WorkerFailed) as caught:
        worker.receive()
    fault = faults.classify(caught.value, _places(tmp_path))
    assert fault.kind is faults.Kind.BUG
    assert "plan_the_rows" in str(caught.value) and "KeyError: 'A-404'" in str(caught.value)


def test_a_worker_killed_mid_way_is_our_fault_and_says_how_it_ended(tmp_path: Path) -> None:
    def work(send: Send) -> None:
        send("planned")
        os.kill(os.getpid(), signal.SIGKILL)

    with Forked(work, "test worker") as worker:
        assert worker.receive() == "planned"
        with pytest.raises(WorkerFailed, match="killed by SIGKILL") as caught:
            worker.finish()
    assert faults.classify(caught.value, _places(tmp_path)).kind is faults.Kind.BUG


def test_a_worker_out_of_memory_is_a_memory_error_here_as_in_one_process() -> None:
    def work(send: Send) -> None:
        raise MemoryError

    with Forked(work, "test worker") as worker, pytest.raises(MemoryError):
        worker.finish()


def test_a_worker_still_running_when_we_fail_is_stopped_and_reaped() -> None:
    def work(send: Send) -> None:
        send(os.getpid())
        signal.pause()  # would wait for ever

    with pytest.raises(RuntimeError, match="ours"), Forked(work, "test worker") as worker:
        pid = worker.receive()
        raise RuntimeError("ours")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already: no zombie left


def test_a_worker_that_finished_is_reaped_when_we_are_done_too() -> None:
    def work(send: Send) -> None:
        send(os.getpid())

    with Forked(work, "test worker") as worker:
        pid = worker.receive()
        worker.finish()
        assert worker.pid == pid  # its exit not waited for yet
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left


def test_a_core_freed_a_moment_ago_is_free_though_the_load_average_still_counts_it() -> None:
    # Two cores, the last minute's average at 2.3 (the run's own stages just before), and
    # only this process runnable now: the worker runs.
    assert core_free(2, 2.3, 1)
    # Another job holds the second core now, and has for a minute: no worker.
    assert not core_free(2, 2.3, 2)
    # Not known how many run now: the average alone decides, as before.
    assert not core_free(2, 2.0, None) and core_free(2, 1.4, None)
    assert not core_free(1, 0.0, 1)  # one core: never


@pytest.mark.skipif(not Path("/proc/loadavg").exists(), reason="Linux's /proc/loadavg")
def test_this_process_is_among_the_tasks_runnable_now() -> None:
    runnable = runnable_now()
    assert runnable is not None and runnable >= 1
