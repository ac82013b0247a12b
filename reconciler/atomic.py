"""Files that appear whole or not at all: reports, notes and messages are written to a dot-temp
name beside their target, flushed to disk, then renamed over it. A reader (an accountant's
Excel, the service after a crash, a mail client) never sees half a file, and the dot keeps
the temp file out of every listing the service and the mail attachments make.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from reconciler.names import fit


def write_atomically(path: Path, data: bytes) -> None:
    # The temp name is 5 bytes longer than the target: shortened if that would not fit.
    tmp = path.with_name(f".{fit(path.name, room=5)}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextmanager
def open_atomically(path: Path) -> Iterator[BinaryIO]:
    """write_atomically for a file written in pieces: the target appears only when the
    writing finished; an error leaves the old file (or none) and no temp file."""
    tmp = path.with_name(f".{fit(path.name, room=5)}.tmp")
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
