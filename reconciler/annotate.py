"""The annotated copy of the accountant's workbook. (Stub: being written.)"""

from __future__ import annotations

from pathlib import Path

from reconciler.config import Config
from reconciler.models import RunResult
from reconciler.rules import Rules


def write_annotated_workbook(
    result: RunResult, rules: Rules, config: Config
) -> tuple[Path, list[str]]:
    """Write <stem>.reconciled.xlsx into result.run_dir; return it and what openpyxl lost."""
    raise NotImplementedError
