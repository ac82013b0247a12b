"""A run folder appears whole or not at all: written as outbox/<run_id>.partial, renamed to
outbox/<run_id> when complete. One staging for everyone: `reconciler run` (pipeline) publishes
at once; the service's child leaves the run staged until its findings are in the ledger, and
the parent publishes it (a kill in between is resumed from the staged folder). Before, the
child staged the pipeline's own staging: outbox/<id>.partial/<id>.partial.

Kept light (no pandas, no openpyxl): the service's parent imports it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from reconciler.atomic import write_atomically

STAGING_SUFFIX = ".partial"
ERROR_NOTE = "error.txt"


def staging_dir(outbox: Path, run_id: str) -> Path:
    return outbox / (run_id + STAGING_SUFFIX)


def start(outbox: Path, run_id: str) -> Path:
    """An empty staging folder for the run (whatever an earlier attempt of it left)."""
    staged = staging_dir(outbox, run_id)
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    return staged


def publish(outbox: Path, run_id: str) -> Path:
    """outbox/<run_id>.partial -> outbox/<run_id>; idempotent."""
    final = outbox / run_id
    staged = staging_dir(outbox, run_id)
    if not final.exists():
        os.rename(staged, final)
    else:
        shutil.rmtree(staged, ignore_errors=True)
    return final


def write_error_run(outbox: Path, run_id: str, note: str) -> Path:
    """A run folder holding only error.txt (the note the service also leaves beside a
    quarantined file): bad input still leaves a trace in the outbox. Idempotent."""
    final = outbox / run_id
    if final.exists():
        return final
    staged = start(outbox, run_id)
    write_atomically(staged / ERROR_NOTE, note.encode("utf-8"))
    return publish(outbox, run_id)
