"""Whose fault is it: the file's, our environment's, or our code's. Three kinds, kept apart.

- The file's: an InputError (or a limit, or a native reader dying on it). The file is
  quarantined and its sender told what to do, as always.
- The environment's: a full disk, a read-only or forbidden folder, the ledger busy or down, the
  IT inventory that cannot be loaded (its server down, its file gone). No fault of the sender: the file keeps its place and state, it is retried with backoff, and the
  operators (mail.operators) are told once per fault.
- Ours, a bug: any other exception. The file is kept, the operators get the traceback once, and
  it is tried again at the next start (which may run a fixed version), not on every rescan.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from reconciler.config import Config
from reconciler.errors import InventoryError, LedgerUnavailable


class Kind(StrEnum):
    FILE = "file"
    ENVIRONMENT = "environment"
    BUG = "bug"


# errno values that say something about where we write, not about what we read.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the folder is on a read-only filesystem",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
}
# SQLite's words for a ledger that is busy, unreachable or cannot be written.
_LEDGER_TROUBLE = ("locked", "busy", "disk i/o", "unable to open", "readonly", "full", "disk")


@dataclass(frozen=True)
class Fault:
    """One of our faults; `key` names it while it lasts (the same for every file it hits)."""

    kind: Kind
    key: str
    detail: str  # one line for the environment; the whole traceback for a bug

    def to_dict(self) -> dict[str, str]:
        return {"kind": str(self.kind), "key": self.key, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        return cls(Kind(data["kind"]), str(data["key"]), str(data["detail"]))

    @property
    def summary(self) -> str:
        """The detail's last line: for a bug, the exception itself."""
        lines = [line for line in self.detail.strip().splitlines() if line.strip()]
        return lines[-1].strip() if lines else self.key


def _full_or_read_only(code: int | None, places: Mapping[str, Path]) -> str:
    """A write() that failed names no file: the place whose filesystem is full or read-only."""
    for key, folder in places.items():
        try:
            fs = os.statvfs(folder)
        except OSError:
            continue
        if code in (errno.ENOSPC, errno.EDQUOT) and fs.f_bavail * fs.f_frsize < 1024 * 1024:
            return key
        if code == errno.EROFS and fs.f_flag & os.ST_RDONLY:
            return key
    return "unknown place"


def _place_of(
    filename: str | os.PathLike[str] | None, places: Mapping[str, Path], code: int | None = None
) -> str:
    """The config key of the folder a path is in (the deepest one), else the path's folder."""
    if not filename:
        return _full_or_read_only(code, places)
    path = Path(os.fsdecode(filename))
    best: tuple[int, str] | None = None
    for key, folder in places.items():
        try:
            path.relative_to(folder)
        except ValueError:
            continue
        depth = len(folder.parts)
        if best is None or depth > best[0]:
            best = (depth, key)
    return best[1] if best else str(path.parent)


def environment_fault(error: BaseException, places: Mapping[str, Path]) -> Fault | None:
    """The environment fault `error` is, or None. `places`: config key -> folder, and
    'ledger' -> the ledger file, to say where it happened."""
    if isinstance(error, LedgerUnavailable):  # PostgreSQL down or restarting: it comes back
        where = places.get("ledger", "the ledger")
        return Fault(Kind.ENVIRONMENT, "environment:ledger:unavailable", f"ledger {where}: {error}")
    if isinstance(error, InventoryError):  # IT's side: the register waits until it loads again
        return Fault(Kind.ENVIRONMENT, "environment:inventory:unavailable", f"inventory: {error}")
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        if not any(word in text for word in _LEDGER_TROUBLE):
            return None
        what = "busy (locked by another process)" if "lock" in text or "busy" in text else text
        where = places.get("ledger", "the ledger")
        return Fault(Kind.ENVIRONMENT, f"environment:ledger:{text}", f"ledger {where}: {what}")
    if isinstance(error, OSError) and error.errno in ENVIRONMENT_ERRNOS:
        name = errno.errorcode.get(error.errno, str(error.errno))
        where = _place_of(error.filename, places, error.errno)
        detail = f"{where}: {ENVIRONMENT_ERRNOS[error.errno]} ({name})"
        if error.filename:
            detail += f" at {os.fsdecode(error.filename)}"
        return Fault(Kind.ENVIRONMENT, f"environment:{where}:{name}", detail)
    cause = error.__cause__ or error.__context__
    if cause is not None and cause is not error:
        return environment_fault(cause, places)
    return None


def bug(error: BaseException) -> Fault:
    """A bug: keyed by the exception type and where it was raised, so each file it hits does
    not make a new fault; the detail is the whole traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].name}" if frames else ""
    digest = hashlib.sha256(f"{type(error).__qualname__}|{where}".encode()).hexdigest()[:12]
    text = "".join(traceback.format_exception(error))
    return Fault(Kind.BUG, f"bug:{type(error).__name__}:{digest}", text)


def classify(error: BaseException, places: Mapping[str, Path]) -> Fault:
    """Not the file's fault (the caller has handled InputError): the environment's, or a bug."""
    return environment_fault(error, places) or bug(error)


def places_of(config: Config) -> dict[str, Path]:
    """The folders the service writes to, by their config key, and the ledger (the first ones
    first: where a write with no file name most likely failed)."""
    found = {k: getattr(config, k) for k in ("outbox", "state", "archive", "quarantine", "inbox")}
    found["state/work"] = config.work_dir
    found["ledger"] = config.ledger_path
    return found
