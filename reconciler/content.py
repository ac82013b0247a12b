"""A file's content, read safely, and its SHA-256: the identity the ledger, the duplicate check
and results.json share, so it is computed in one place.

A shared contract beside models: the service hashes what it claims, the reader hashes the
register it reads (`reconciler run` has no claim), and neither imports the other.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20  # a register can be 100 MB: never hold it whole to hash it


def open_regular(path: Path) -> BinaryIO:
    """Open for reading only what is a regular file at `path` itself: O_NOFOLLOW refuses a
    symlink put there since it was looked at, O_NONBLOCK a pipe that would hang the loop."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_of(path: Path) -> str:
    with open_regular(path) as f:
        return sha256_of_stream(f)


def sha256_of_stream(f: BinaryIO) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(CHUNK), b""):
        h.update(chunk)
    return h.hexdigest()
