"""Which files in the inbox are ready, and the moves that never lose or overwrite one.

A copy over SMB is one create and many writes with no "finished" event, and Excel holds a
`~$name` lock while the workbook is open, so a file is ready only when its size and mtime have
not changed for `watch.settle_seconds`, no lock sits beside it, and a zip container (xlsx, xlsm,
ods) opens with its central directory. Ready files are claimed by an atomic rename into the work
folder: of two instances on one inbox exactly one rename succeeds. An empty file is how every
copy starts, so it is taken (and refused as empty) only once it has stayed empty for the settle
time and no live lock has sat beside it for the stale-lock time.

A shared folder is hostile ground: a symlink or a hard link dropped into it points at whatever
the service account can read. Entries are looked at with lstat and taken only as regular files
with one name; anything else is claimed as it is (the rename moves the link, never its target)
and refused with a note, its target never opened. Every OSError on one entry is that entry's
problem: it is logged once and the entry waits; the loop goes on with the others.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import stat
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.content import open_regular, sha256_of, sha256_of_stream
from reconciler.errors import InputError
from reconciler.ledger.db import utcnow
from reconciler.names import STORED_ROOM, fit, fits

log = logging.getLogger(__name__)

# Names no accountant means as a register: Windows/macOS litter and partial downloads.
IGNORED_NAMES = {"desktop.ini", "thumbs.db", "ehthumbs.db", ".ds_store", "icon\r"}
IGNORED_SUFFIXES = (".tmp", ".partial", ".part", ".crdownload", ".download", ".swp", ".lnk")
# Excel saves to an 8-hex-digit temp name without extension, then renames it over the target.
_EXCEL_TEMP = re.compile(r"^[0-9A-F]{8}$")
ZIP_MAGIC = b"PK\x03\x04"


def is_ignored(name: str) -> bool:
    lower = name.lower()
    return (
        name.startswith(("~$", "."))
        or (lower.startswith(".~lock") and lower.endswith("#"))
        or lower in IGNORED_NAMES
        or lower.endswith(IGNORED_SUFFIXES)
        or lower.endswith(".error.txt")
        or bool(_EXCEL_TEMP.match(name))
    )


@dataclass(frozen=True)
class Dropped:
    """A file seen in the inbox."""

    path: Path
    folder: str  # inbox subfolder, posix style ('' for the inbox itself)
    size: int
    mtime_ns: int
    dev: int = 0  # dev and ino as lstat saw them; 0 when not known
    ino: int = 0
    refused: str | None = None  # why it is not taken as a register (never read, only moved)

    @property
    def name(self) -> str:
        return self.path.name


class LinkRefused(InputError):
    """An inbox entry that is not a regular file of its own: a symlink, a hard link, a pipe."""

    default_code = "LINK_REFUSED"


def refusal(st: os.stat_result) -> str | None:
    """Why an entry (its lstat) is not taken as a register, or None for a regular file."""
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file (a pipe, a device or a socket)"
    if st.st_nlink > 1:
        # Another name of the same bytes lives elsewhere: possibly in a folder the sender
        # cannot read, which the service account can.
        return f"it is a hard link: the same file has {st.st_nlink} names"
    return None


def scan_inbox(inbox: Path, complain: Callable[[Path, str], None] | None = None) -> list[Dropped]:
    """Every candidate entry under the inbox, hidden folders and ignored names skipped. Links
    to folders are not descended into; links and other non-regular entries are listed with
    the reason they will be refused."""
    found: list[Dropped] = []
    for root, dirs, files in os.walk(inbox, followlinks=False):
        keep = []
        for d in sorted(dirs):
            if d.startswith("."):
                continue
            if os.path.islink(os.path.join(root, d)):
                if complain:
                    complain(Path(root) / d, "a link to a folder: not looked into")
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            if is_ignored(name):
                continue
            path = Path(root) / name
            try:
                st = os.lstat(path)
            except FileNotFoundError:  # claimed or removed between listing and lstat
                continue
            except OSError as e:
                if complain:
                    complain(path, f"cannot look at it: {e.strerror}")
                continue
            rel = Path(root).relative_to(inbox).as_posix()
            found.append(
                Dropped(
                    path,
                    "" if rel == "." else rel,
                    st.st_size,
                    st.st_mtime_ns,
                    st.st_dev,
                    st.st_ino,
                    refusal(st),
                )
            )
    return found


def lock_file_present(path: Path, stale_minutes: float) -> bool:
    """An Excel `~$` (or LibreOffice `.~lock.#`) lock beside the file that is not stale.

    Excel names the lock `~$` + name, dropping the first two characters of long names.
    """
    name = path.name
    candidates = {f"~${name}", f"~${name[2:]}", f".~lock.{name}#"}
    now = time.time()
    for candidate in candidates:
        if not fits(candidate):  # no program can have made it (ENAMETOOLONG, not a crash)
            continue
        try:
            st = (path.parent / candidate).stat()
        except OSError:  # absent, or unreadable: either way no lock we can honour
            continue
        if now - st.st_mtime < stale_minutes * 60:
            return True
        log.debug("ignoring stale lock %s", path.parent / candidate)
    return False


def container_opens(path: Path) -> bool:
    """A zip (xlsx, xlsm, ods) has its central directory; anything else is not empty."""
    try:
        with open_regular(path) as f:
            head = f.read(4)
            if not head:
                return False
            if head != ZIP_MAGIC:
                return True  # xls, csv, html: the settle time is all the evidence there is
            f.seek(0)
            with zipfile.ZipFile(f) as z:
                return bool(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


@dataclass
class _Watch:
    size: int
    mtime_ns: int
    stable_since: float
    seen_at: str
    broken_since: float | None = None
    unlocked_since: float | None = None  # an empty file: since when no live lock sits beside it


class ReadinessTracker:
    """Remembers what each candidate looked like, to tell a settled file from a growing one."""

    def __init__(self, settle_seconds: float, stale_lock_minutes: float) -> None:
        self.settle = settle_seconds
        self.stale_lock_minutes = stale_lock_minutes
        # A stable zip that still does not open may be damaged rather than half-copied: after
        # this long it is claimed anyway and the reader quarantines it with its reason.
        self.broken_grace = max(6 * settle_seconds, 1.0)
        self._seen: dict[Path, _Watch] = {}
        self._complaints: dict[Path, str] = {}

    def received_at(self, path: Path) -> str:
        watch = self._seen.get(path)
        return watch.seen_at if watch else utcnow()

    def update(self, dropped: list[Dropped], now: float | None = None) -> tuple[list[Dropped], int]:
        """(files ready now, how many more are waiting to settle)."""
        now = time.monotonic() if now is None else now
        ready: list[Dropped] = []
        waiting = 0
        current = {d.path for d in dropped}
        for gone in set(self._seen) - current:
            del self._seen[gone]
        for gone in [p for p in self._complaints if p not in current and not os.path.lexists(p)]:
            del self._complaints[gone]  # said again if the same name comes back with trouble
        for d in dropped:
            try:
                if self._ready(d, now):
                    ready.append(d)
                else:
                    waiting += 1
            except OSError as e:  # this entry's problem, never the loop's: it waits
                self.complain(d.path, f"{type(e).__name__}: {e.strerror or e}")
                waiting += 1
        return ready, waiting

    def complain(self, path: Path, why: str) -> None:
        """Log an entry's trouble once, not on every rescan."""
        if self._complaints.get(path) != why:
            self._complaints[path] = why
            log.warning("inbox entry %s: %s", path, why)

    def _ready(self, d: Dropped, now: float) -> bool:
        watch = self._seen.get(d.path)
        if watch is None or (watch.size, watch.mtime_ns) != (d.size, d.mtime_ns):
            if watch is None and d.path not in self._complaints:  # not again while it waits
                log.info("received %s (%d bytes)", _shown(d), d.size)
            seen_at = watch.seen_at if watch else utcnow()
            self._seen[d.path] = _Watch(d.size, d.mtime_ns, now, seen_at)
            return False
        if d.refused:  # claimed only to be refused with a note: its target is never opened
            return now - watch.stable_since >= self.settle
        if d.size == 0:
            return self._empty_ready(d, watch, now)
        if now - watch.stable_since < self.settle:
            return False
        if lock_file_present(d.path, self.stale_lock_minutes):
            return False
        if not container_opens(d.path):
            watch.broken_since = watch.broken_since or now
            if now - watch.broken_since < self.broken_grace:
                return False
            log.info("%s is stable but does not open; claiming it for a reason", _shown(d))
        return True

    def _empty_ready(self, d: Dropped, watch: _Watch, now: float) -> bool:
        """An empty file is what a copy or a save looks like at its start, so it waits: it is
        claimed (and refused as empty) only once it has stayed empty for the settle time and no
        live lock has sat beside it for the stale-lock time: then nobody is still writing it."""
        if lock_file_present(d.path, self.stale_lock_minutes):
            watch.unlocked_since = None
            return False
        if watch.unlocked_since is None:
            watch.unlocked_since = now
        if now - watch.stable_since < self.settle:
            return False
        if now - watch.unlocked_since < self.stale_lock_minutes * 60:
            return False
        log.info("%s has stayed empty; claiming it to refuse it", _shown(d))
        return True

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)


def _shown(d: Dropped) -> str:
    return f"{d.folder}/{d.name}" if d.folder else d.name


def take_claimed(path: Path, name: str, expected: Dropped | None = None) -> tuple[int, str]:
    """(size, sha256) of a claimed file, checked again now that it is ours: still a regular
    file with one name and, on a fresh claim, the very inode that was looked at in the inbox
    (not something swapped in between). LinkRefused says why not; nothing is read then."""
    why = expected.refused if expected else None
    st = os.lstat(path)
    why = why or refusal(st)
    seen = (expected.dev, expected.ino) if expected and expected.ino else None  # 0: not known
    if not why and seen and (st.st_dev, st.st_ino) != seen:
        why = "it was replaced by another file while it was being taken"
    if not why:
        with open_regular(path) as f:
            opened = os.fstat(f.fileno())
            if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino) or opened.st_nlink > 1:
                why = "it was replaced by a link while it was being taken"
            elif opened.st_size == 0:
                raise EmptyFile(
                    "not taken: the file is empty (0 bytes)",
                    file=name,
                    hint="export the register again",
                    params={"detail": "0 bytes"},
                )
            else:
                return opened.st_size, sha256_of_stream(f)
    raise _refused(name, why)


class EmptyFile(LinkRefused):
    """A file that stayed empty (0 bytes) with nobody writing it: refused with a note."""

    default_code = "EMPTY_FILE"


class NotReadable(LinkRefused):
    """A claimed file the service account may not read: the file's problem, said once."""

    default_code = "NOT_READABLE"


def not_readable(name: str, error: OSError) -> NotReadable:
    return NotReadable(
        f"not taken: the service may not read it ({error.strerror})",
        file=name,
        hint="copy it into the folder again, or let the service account read it",
        params={"detail": error.strerror},
    )


def check_still_regular(path: Path, name: str) -> None:
    """Before a claimed file is read: LinkRefused if it became a link since it was taken."""
    why = refusal(os.lstat(path))
    if why:
        raise _refused(name, why)


def _refused(name: str, why: str) -> LinkRefused:
    return LinkRefused(
        f"not taken: {why}",
        file=name,
        hint="copy the file itself into the folder, not a link or a shortcut to it",
        params={"detail": why},
    )


def claimed_path(work_dir: Path, folder: str, file_id: int, name: str) -> Path:
    """work/<subfolder>/<ledger id>__<name>: the id makes it unique, the folder routes mail.
    A long name is shortened to fit with the id (names.py); the ledger keeps the whole one."""
    prefix = f"{file_id}__"
    return work_dir / folder / (prefix + fit(name, room=len(prefix)))


def claim(source: Path, target: Path) -> bool:
    """Atomically take `source`; False if another instance (or the user) took it first, or if
    the share will not let it go yet (a Windows client holding it open without delete sharing):
    the next rescan tries again."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
    except FileNotFoundError:
        return False
    except OSError as e:
        # PermissionError is EACCES/EPERM; EBUSY/ETXTBSY also mean "held open", not "broken".
        if not isinstance(e, PermissionError) and e.errno not in (errno.EBUSY, errno.ETXTBSY):
            raise
        log.warning("cannot take %s yet (%s); trying again later", source, e.strerror)
        return False
    return True


def free_name(folder: Path, name: str) -> Path:
    """`name`, else `name (2).ext`, `name (3).ext` ...: the first that does not exist yet.
    Shortened if need be, so the number and the `.error.txt` note beside it still fit."""
    name = fit(name, room=STORED_ROOM)
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    for n in range(1, 100_000):
        target = folder / (name if n == 1 else f"{stem} ({n}){dot}{ext}")
        if not os.path.lexists(target):
            return target
    raise FileExistsError(f"no free name for {name} in {folder}")


def place(source: Path, target: Path) -> bool:
    """Move `source` to `target` unless `target` exists (then False): never overwrites.

    A hard link fails when the target exists, so taking the name is atomic; a crash between
    link and unlink leaves two names of one file, which finish_move() tells from a collision.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        # follow_symlinks=False: a refused link is moved as the link, its target untouched
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        if os.path.lexists(target):
            return False
        if e.errno == errno.EPERM and source.parent.stat().st_dev == target.parent.stat().st_dev:
            # protected_hardlinks: no link to a file we may not read (someone else's, mode
            # 600), and no copy either. A rename moves it; the name was free a moment ago.
            os.rename(source, target)
            return True
        _copy_then_link(source, target)
    source.unlink()
    return True


def _copy_then_link(source: Path, target: Path) -> None:
    """Another filesystem (or one without hard links): copy under a temp name, then rename."""
    tmp = target.with_name(f".{fit(target.name, room=9)}.partial")
    shutil.copy2(source, tmp, follow_symlinks=False)  # a link stays a link, never its target
    if not tmp.is_symlink():
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.rename(tmp, target)


def finish_move(source: Path, target: Path) -> bool:
    """Resume a place() that a crash interrupted; True if `target` now holds it."""
    if not os.path.lexists(target):
        return False
    if os.path.lexists(source):
        s, t = os.lstat(source), os.lstat(target)
        if (s.st_dev, s.st_ino) != (t.st_dev, t.st_ino):
            # Two different entries: the same only if both are files with the same bytes (a
            # copy across filesystems); a link is never read to find out.
            if not (stat.S_ISREG(s.st_mode) and stat.S_ISREG(t.st_mode)):
                return False
            if sha256_of(source) != sha256_of(target):
                return False
        source.unlink()
    return True
