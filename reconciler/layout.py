"""Find the table on each sheet and turn its rows into BookRows. (Stub: being written.)"""

from __future__ import annotations

from pathlib import Path

from reconciler.models import Register
from reconciler.rules import ColumnRules


def read_register(path: Path, columns: ColumnRules, *, file_name: str | None = None) -> Register:
    raise NotImplementedError
