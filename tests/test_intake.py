"""Which inbox files are ready, and moves that never lose or overwrite a file (real folders)."""

from __future__ import annotations

import os
import threading
import time
import zipfile
from pathlib import Path

import pytest

from reconciler import names
from reconciler.service import intake


def write_xlsx_like(path: Path) -> bytes:
    """A real zip container with a workbook part, as an .xlsx is; returns its bytes."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>" * 200)
        z.writestr("[Content_Types].xml", "<Types/>")
    return path.read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "~$ведомость.xlsx",
        ".~lock.ведомость.xlsx#",
        "ведомость.xlsx.tmp",
        ".hidden.xlsx",
        "run.partial",
        "desktop.ini",
        "Thumbs.db",
        "3F4A5B00",
        "report.xlsx.crdownload",
    ],
)
def test_lock_temp_hidden_and_system_files_are_ignored(name: str) -> None:
    assert intake.is_ignored(name)


@pytest.mark.parametrize(
    "name", ["ведомость ОС.xlsx", "register.XLS", "export", "Книга1.ods", "data.csv"]
)
def test_registers_are_not_ignored_whatever_their_extension(name: str) -> None:
    assert not intake.is_ignored(name)


def test_scan_keeps_the_subfolder_and_skips_hidden_folders(tmp_path: Path) -> None:
    (tmp_path / "moscow" / "отдел 2").mkdir(parents=True)
    (tmp_path / ".snapshot").mkdir()
    (tmp_path / "top.xlsx").write_bytes(b"a")
    (tmp_path / "moscow" / "отдел 2" / "ведомость №1.xlsx").write_bytes(b"b")
    (tmp_path / "moscow" / "~$ведомость №1.xlsx").write_bytes(b"lock")
    (tmp_path / ".snapshot" / "old.xlsx").write_bytes(b"c")
    found = {(d.folder, d.name) for d in intake.scan_inbox(tmp_path)}
    assert found == {("", "top.xlsx"), ("moscow/отдел 2", "ведомость №1.xlsx")}


def test_a_file_is_ready_only_after_it_stops_changing_for_the_settle_time(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a;b\n")
    tracker = intake.ReadinessTracker(settle_seconds=5, stale_lock_minutes=60)
    assert tracker.update(intake.scan_inbox(tmp_path), now=100.0) == ([], 1)
    assert tracker.update(intake.scan_inbox(tmp_path), now=104.0) == ([], 1)
    with open(path, "a") as f:  # the copy goes on
        f.write("c;d\n")
    assert tracker.update(intake.scan_inbox(tmp_path), now=106.0) == ([], 1)
    assert tracker.update(intake.scan_inbox(tmp_path), now=110.0) == ([], 1)
    ready, waiting = tracker.update(intake.scan_inbox(tmp_path), now=111.0)
    assert [d.name for d in ready] == ["r.csv"] and waiting == 0


def test_an_excel_lock_holds_the_file_back_until_it_goes_or_turns_stale(tmp_path: Path) -> None:
    write_xlsx_like(tmp_path / "ведомость основных средств.xlsx")
    # Excel drops the first two characters of a long name in its lock file's name.
    lock = tmp_path / "~$домость основных средств.xlsx"
    lock.write_bytes(b"user")
    tracker = intake.ReadinessTracker(settle_seconds=0, stale_lock_minutes=60)
    tracker.update(intake.scan_inbox(tmp_path), now=0.0)
    assert tracker.update(intake.scan_inbox(tmp_path), now=1.0) == ([], 1)
    old = time.time() - 2 * 3600  # the lock of a crashed Excel, two hours old
    os.utime(lock, (old, old))
    ready, _ = tracker.update(intake.scan_inbox(tmp_path), now=2.0)
    assert [d.name for d in ready] == ["ведомость основных средств.xlsx"]


def test_a_half_copied_workbook_is_not_ready_but_a_damaged_one_is_claimed_in_the_end(
    tmp_path: Path,
) -> None:
    whole = write_xlsx_like(tmp_path / "whole.xlsx")
    (tmp_path / "half.xlsx").write_bytes(whole[: len(whole) // 2])  # no central directory
    tracker = intake.ReadinessTracker(settle_seconds=1, stale_lock_minutes=60)
    tracker.update(intake.scan_inbox(tmp_path), now=0.0)
    ready, waiting = tracker.update(intake.scan_inbox(tmp_path), now=2.0)
    assert [d.name for d in ready] == ["whole.xlsx"] and waiting == 1
    tracker.forget(tmp_path / "whole.xlsx")
    (tmp_path / "whole.xlsx").unlink()
    assert tracker.update(intake.scan_inbox(tmp_path), now=5.0) == ([], 1)
    ready, _ = tracker.update(intake.scan_inbox(tmp_path), now=2.0 + tracker.broken_grace)
    assert [d.name for d in ready] == ["half.xlsx"]  # the reader quarantines it with a reason


def test_an_empty_file_is_ready_only_after_the_stale_lock_time_with_no_lock_beside_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty.xls").write_bytes(b"")
    lock = tmp_path / "~$empty.xls"
    lock.write_bytes(b"owner")
    tracker = intake.ReadinessTracker(settle_seconds=5, stale_lock_minutes=1)
    tracker.update(intake.scan_inbox(tmp_path), now=0.0)
    assert tracker.update(intake.scan_inbox(tmp_path), now=100.0) == ([], 1)  # Excel has it open
    lock.unlink()
    assert tracker.update(intake.scan_inbox(tmp_path), now=101.0) == ([], 1)
    assert tracker.update(intake.scan_inbox(tmp_path), now=150.0) == ([], 1)  # 49 s lock-free
    ready, waiting = tracker.update(intake.scan_inbox(tmp_path), now=161.0)
    assert [d.name for d in ready] == ["empty.xls"] and waiting == 0


def test_an_empty_file_that_is_taken_is_refused_as_empty_and_never_read(tmp_path: Path) -> None:
    (tmp_path / "1__empty.xlsx").write_bytes(b"")
    with pytest.raises(intake.EmptyFile) as caught:
        intake.take_claimed(tmp_path / "1__empty.xlsx", "empty.xlsx")
    assert caught.value.code == "EMPTY_FILE" and "empty (0 bytes)" in str(caught.value)


def test_of_two_claims_on_one_file_exactly_one_succeeds(tmp_path: Path) -> None:
    """Many threads race to rename the same files, as two service instances would."""
    inbox, work = tmp_path / "inbox", tmp_path / "work"
    inbox.mkdir()
    names = [f"r{i}.xlsx" for i in range(50)]
    for n in names:
        (inbox / n).write_bytes(n.encode())
    wins: list[tuple[int, str]] = []
    start = threading.Barrier(4)

    def contender(k: int) -> None:
        start.wait()
        for n in names:
            if intake.claim(inbox / n, work / f"{k}" / n):
                wins.append((k, n))

    threads = [threading.Thread(target=contender, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(n for _, n in wins) == sorted(names)
    assert sum(1 for _ in work.rglob("*.xlsx")) == 50


def test_moving_into_the_archive_never_overwrites_a_file_of_the_same_name(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "ведомость.xlsx").write_bytes(b"first")
    (archive / "ведомость (2).xlsx").write_bytes(b"second")
    source = tmp_path / "w" / "3__ведомость.xlsx"
    source.parent.mkdir()
    source.write_bytes(b"third")
    target = intake.free_name(archive, "ведомость.xlsx")
    assert target.name == "ведомость (3).xlsx"
    assert intake.place(source, target)
    assert not source.exists()
    contents = sorted(p.read_bytes() for p in archive.iterdir())
    assert contents == [b"first", b"second", b"third"]
    other = tmp_path / "w" / "4__x"
    other.write_bytes(b"fourth")
    assert not intake.place(other, archive / "ведомость.xlsx")  # taken: refuse, keep both
    assert other.exists() and (archive / "ведомость.xlsx").read_bytes() == b"first"


def test_a_move_cut_short_between_link_and_unlink_is_finished_not_repeated(
    tmp_path: Path,
) -> None:
    source = tmp_path / "work.xlsx"
    source.write_bytes(b"data")
    target = tmp_path / "archive.xlsx"
    os.link(source, target)  # the crash came right after the link
    assert intake.finish_move(source, target)
    assert not source.exists() and target.read_bytes() == b"data"
    stranger = tmp_path / "other.xlsx"
    stranger.write_bytes(b"someone else's")
    again = tmp_path / "again.xlsx"
    again.write_bytes(b"data")
    assert not intake.finish_move(again, stranger)  # a different file holds the name
    assert again.exists()


def test_a_name_that_would_not_fit_is_cut_on_a_letter_keeping_its_extension_and_a_stable_id() -> (
    None
):
    long = "Ведомость основных средств " * 10 + ".xlsx"
    short = names.fit(long, room=12)
    assert len(short.encode()) + 12 <= names.NAME_MAX
    assert short.endswith(".xlsx") and short.startswith("Ведомость основных")
    assert short == names.fit(long, room=12)  # stable: a resumed file finds the same name
    assert short != names.fit("Б" + long[1:], room=12)  # two long names never collide
    assert names.fit("ведомость.xlsx", room=12) == "ведомость.xlsx"


def test_a_lock_check_on_a_name_of_248_bytes_or_more_says_no_lock_instead_of_failing(
    tmp_path: Path,
) -> None:
    path = tmp_path / ("В" * 121 + "a.xlsx")
    assert len(path.name.encode()) == 248  # `.~lock.<name>#` is 256: ENAMETOOLONG
    write_xlsx_like(path)
    assert intake.lock_file_present(path, stale_minutes=60) is False


def test_links_and_hard_links_in_the_inbox_are_listed_with_the_reason_they_are_refused(
    tmp_path: Path,
) -> None:
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir()
    elsewhere.mkdir()
    write_xlsx_like(elsewhere / "their.xlsx")
    write_xlsx_like(inbox / "ours.xlsx")
    (inbox / "link.xlsx").symlink_to(elsewhere / "their.xlsx")
    os.link(elsewhere / "their.xlsx", inbox / "hard.xlsx")
    (inbox / "dept").symlink_to(elsewhere, target_is_directory=True)
    complaints: list[tuple[Path, str]] = []

    found = intake.scan_inbox(inbox, lambda path, why: complaints.append((path, why)))

    refused = {d.name: d.refused for d in found}
    assert refused["ours.xlsx"] is None
    assert "symbolic link" in (refused["link.xlsx"] or "")
    assert "hard link" in (refused["hard.xlsx"] or "")
    assert "their.xlsx" not in refused  # the linked folder was not looked into
    assert complaints == [(inbox / "dept", "a link to a folder: not looked into")]
