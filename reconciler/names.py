"""File names we build from a user's name, kept inside the 255-byte limit of one name component.

Linux filesystems (ext4, xfs, tmpfs, a CIFS mount) count a name in BYTES: a Cyrillic letter is
two in UTF-8, so a 127-letter Russian name is already 254 before we add `12__`, `.error.txt`,
`.reconciled.xlsx` or a `.tmp`. A name that does not fit is shortened on a character boundary
and given `~` and 8 hex digits of its full name's hash, so two long names that share a start
still get different, stable names; the extension stays, so Excel still opens it. The user's
full name stays in the ledger, the results and every message: only what we write is cut.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath

NAME_MAX = 255  # bytes in one path component (NAME_MAX on Linux)
MAX_SUFFIX = 24  # a longer "extension" is just part of the name, not something to keep
# What the service may add to an archived or quarantined name: ` (99999)`, `.error.txt`, and
# the dot and `.tmp` (or `.partial`) of an atomic write of the note beside it.
STORED_ROOM = 32


def fits(name: str, room: int = 0) -> bool:
    return len(name.encode("utf-8")) + room <= NAME_MAX


def fit(name: str, room: int = 0, *, suffix: str | None = None) -> str:
    """`name` if it and `room` more bytes fit NAME_MAX; else its start, `~<hash8>` and `suffix`
    (the extension by default) cut to fit."""
    if fits(name, room):
        return name
    if suffix is None:
        suffix = PurePath(name).suffix
    if len(suffix.encode("utf-8")) > MAX_SUFFIX or not name.endswith(suffix):
        suffix = ""
    tag = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    budget = NAME_MAX - room - len((tag + suffix).encode("utf-8"))
    stem = name[: len(name) - len(suffix)] if suffix else name
    # Cut on a character boundary: a half letter is not valid UTF-8 in a name.
    cut = stem.encode("utf-8")[: max(budget, 0)].decode("utf-8", errors="ignore")
    return cut + tag + suffix
