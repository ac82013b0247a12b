"""Logging set-up: only the package logger, one line per event, to stderr and the log file.

Its own module so that the service's child process configures logging without importing the
command line.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup_logging(verbose: bool = False, log_file: Path | None = None) -> None:
    """Configure only the package logger: one line per event, to stderr (and the log file)."""
    logger = logging.getLogger("reconciler")
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    for h in list(logger.handlers):
        logger.removeHandler(h)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(fmt)
    logger.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(fmt)
        logger.addHandler(to_file)
