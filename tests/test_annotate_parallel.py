"""The register sheets made by a forked worker while our sheets are made here: the copy is the
same, byte for byte, as the one made in one process (annotate, forked, zip_members)."""

from __future__ import annotations

import errno
import io
import logging
import os
import resource
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from run_fixtures import planted_csv_run, planted_run
from test_annotate_lossless import corpus_register

from reconciler.models import RunResult
from reconciler.outputs.annotate import build_annotated_workbook
from reconciler.outputs.comments_part import COMMENTS_TYPE
from reconciler.outputs.table_writer import SharedTables
from reconciler.outputs.xlsx_package import PENDING, Package
from reconciler.rules import Rules


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _both(result: RunResult, rules: Rules, language: str) -> tuple[bytes, bytes]:
    """The copy made in one process, and with a worker (which did work: its CPU time)."""
    made = []
    for parallel in (False, True):
        before = _children_cpu()
        out = io.BytesIO()
        build_annotated_workbook(
            result, rules, language, out, None, SharedTables(), parallel=parallel
        )
        made.append(out.getvalue())
        assert (_children_cpu() > before) == parallel
    return made[0], made[1]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_planted_copy_made_with_a_worker_is_the_one_made_in_one_process(
    tmp_path: Path, rules: Rules, language: str
) -> None:
    result = planted_run(tmp_path, rules, language=language)
    alone, forked = _both(result, rules, language)
    with zipfile.ZipFile(io.BytesIO(forked)) as z:
        assert z.testzip() is None
        assert "xl/comments1.xml" in z.namelist()  # our finding comments, made by the worker
    assert forked == alone


@pytest.mark.parametrize("fmt", ["xlsx", "xlsm"])
def test_a_corpus_workbook_with_comments_and_vba_comes_out_the_same_from_the_worker(
    tmp_path: Path, rules: Rules, fmt: str
) -> None:
    path = corpus_register(tmp_path / f"Книга ОС.{fmt}", tmp_path)
    result = planted_run(tmp_path, rules, fmt=fmt, path=path)
    alone, forked = _both(result, rules, "ru")
    assert forked == alone


def test_a_csv_register_copied_in_memory_comes_out_the_same_from_the_worker(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_csv_run(tmp_path, rules)
    alone, forked = _both(result, rules, "ru")
    # Each build makes its own .xlsx copy of the csv, stamped with the time it was made (its
    # members' dates, docProps/core.xml): the rest is compared.
    assert _members(forked) == _members(alone)


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(n, z.read(n)) for n in z.namelist() if n != "docProps/core.xml"]


def test_what_the_worker_logs_is_logged_here(
    tmp_path: Path, rules: Rules, caplog: pytest.LogCaptureFixture
) -> None:
    result = planted_run(tmp_path, rules)
    result.register.sheets.append(replace(result.register.sheets[0], name="Нет такого"))
    caplog.set_level(logging.INFO, logger="reconciler")
    build_annotated_workbook(result, rules, "ru", io.BytesIO(), parallel=True)
    assert "sheet 'Нет такого' of the register is not in the workbook" in caplog.text


def test_a_fork_the_system_refuses_leaves_the_copy_made_here_and_says_so(
    tmp_path: Path, rules: Rules, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too many processes (EAGAIN): no worker starts, the run goes on in one process and the
    copy is the same; no pipe is left open."""
    result = planted_run(tmp_path, rules)
    alone = io.BytesIO()
    build_annotated_workbook(result, rules, "ru", alone, None, SharedTables(), parallel=False)

    def refuse() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    open_before = len(os.listdir("/proc/self/fd"))
    caplog.set_level(logging.INFO, logger="reconciler")
    refused = io.BytesIO()
    build_annotated_workbook(result, rules, "ru", refused, None, SharedTables(), parallel=True)
    assert refused.getvalue() == alone.getvalue()
    assert "fork refused" in caplog.text and "made in this process" in caplog.text
    assert len(os.listdir("/proc/self/fd")) == open_before


def test_a_part_named_for_later_and_never_given_is_refused_not_written_empty(
    tmp_path: Path, rules: Rules
) -> None:
    # Our finding comments' parts are named while the sheet is planned and given their text
    # later (register_comments): one left without it would be an empty, broken part.
    result = planted_run(tmp_path, rules)
    package = Package.open(result.register.path)
    try:
        package.add_part("xl/comments9.xml", PENDING, COMMENTS_TYPE)
        copy = package.changes()
        assert copy.pending == {"xl/comments9.xml"} and copy.given_as_pieces() == []
        with pytest.raises(RuntimeError, match="never given"):
            package.write(io.BytesIO())
        package.give("xl/comments9.xml", b"<comments/>")
        with pytest.raises(RuntimeError, match="not pending"):
            package.give("xl/comments9.xml", b"<comments/>")
        out = io.BytesIO()
        package.write(out)
        with zipfile.ZipFile(out) as z:
            assert z.read("xl/comments9.xml") == b"<comments/>"
    finally:
        package.close()
