"""Match book rows to IT assets. (Stub: being written.)"""

from __future__ import annotations

from reconciler.models import Inventory, MatchResult, Register
from reconciler.rules import Rules


def match_register(register: Register, inventory: Inventory, rules: Rules) -> MatchResult:
    raise NotImplementedError
