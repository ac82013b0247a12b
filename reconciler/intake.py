"""Which files in the inbox are ready, and the moves that never lose or overwrite one.

A copy over SMB is one create and many writes with no "finished" event, and Excel holds a
`~$name` lock while the workbook is open, so a file is ready only when its size and mtime have
not changed for `watch.settle_seconds`, no lock sits beside it, and a zip container (xlsx, xlsm,
ods) opens with its central directory. Ready files are claimed by an atomic rename into the work
folder: of two instances on one inbox exactly one rename succeeds.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from reconciler.ledger import utcnow
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

    @property
    def name(self) -> str:
        return self.path.name


def scan_inbox(inbox: Path) -> list[Dropped]:
    """Every candidate file under the inbox, hidden folders and ignored names skipped."""
    found: list[Dropped] = []
    for root, dirs, files in os.walk(inbox):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if is_ignored(name):
                continue
            path = Path(root) / name
            try:
                st = path.stat()
            except FileNotFoundError:  # claimed or removed between listing and stat
                continue
            rel = Path(root).relative_to(inbox).as_posix()
            found.append(Dropped(path, "" if rel == "." else rel, st.st_size, st.st_mtime_ns))
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
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    if not head:
        return False
    if head != ZIP_MAGIC:
        return True  # xls, csv, html: the settle time is all the evidence there is
    try:
        with zipfile.ZipFile(path) as z:
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


class ReadinessTracker:
    """Remembers what each candidate looked like, to tell a settled file from a growing one."""

    def __init__(self, settle_seconds: float, stale_lock_minutes: float) -> None:
        self.settle = settle_seconds
        self.stale_lock_minutes = stale_lock_minutes
        # A stable zip that still does not open may be damaged rather than half-copied: after
        # this long it is claimed anyway and the reader quarantines it with its reason.
        self.broken_grace = max(6 * settle_seconds, 1.0)
        self._seen: dict[Path, _Watch] = {}

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
        for d in dropped:
            watch = self._seen.get(d.path)
            if watch is None or (watch.size, watch.mtime_ns) != (d.size, d.mtime_ns):
                if watch is None:
                    log.info("received %s (%d bytes)", _shown(d), d.size)
                seen_at = watch.seen_at if watch else utcnow()
                self._seen[d.path] = _Watch(d.size, d.mtime_ns, now, seen_at)
                waiting += 1
                continue
            if now - watch.stable_since < self.settle or d.size == 0:
                waiting += 1
                continue
            if lock_file_present(d.path, self.stale_lock_minutes):
                waiting += 1
                continue
            if not container_opens(d.path):
                watch.broken_since = watch.broken_since or now
                if now - watch.broken_since < self.broken_grace:
                    waiting += 1
                    continue
                log.info("%s is stable but does not open; claiming it for a reason", _shown(d))
            ready.append(d)
        return ready, waiting

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)


def _shown(d: Dropped) -> str:
    return f"{d.folder}/{d.name}" if d.folder else d.name


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
        if not target.exists():
            return target
    raise FileExistsError(f"no free name for {name} in {folder}")


def place(source: Path, target: Path) -> bool:
    """Move `source` to `target` unless `target` exists (then False): never overwrites.

    A hard link fails when the target exists, so taking the name is atomic; a crash between
    link and unlink leaves two names of one file, which finish_move() tells from a collision.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        if target.exists():
            return False
        _copy_then_link(source, target)
    source.unlink()
    return True


def _copy_then_link(source: Path, target: Path) -> None:
    """Another filesystem (or one without hard links): copy under a temp name, then rename."""
    tmp = target.with_name(f".{fit(target.name, room=9)}.partial")
    shutil.copy2(source, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.rename(tmp, target)


def finish_move(source: Path, target: Path) -> bool:
    """Resume a place() that a crash interrupted; True if `target` now holds it."""
    if not target.exists():
        return False
    if source.exists():
        if not os.path.samefile(source, target) and sha256_of(source) != sha256_of(target):
            return False
        source.unlink()
    return True
