"""Accounting rules -> Findings. (Stub: being written.)"""

from __future__ import annotations

from datetime import date

from reconciler.models import Finding, Inventory, MatchResult, Register
from reconciler.rules import Rules


def run_checks(
    register: Register,
    inventory: Inventory,
    match: MatchResult,
    rules: Rules,
    *,
    report_date: date,
    language: str = "ru",
) -> list[Finding]:
    raise NotImplementedError
