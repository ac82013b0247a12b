"""Load the IT inventory into canonical Asset records. (Stub: being written.)"""

from __future__ import annotations

from reconciler.config import InventoryConfig
from reconciler.models import Inventory
from reconciler.rules import Rules


def load_inventory(source: InventoryConfig, rules: Rules) -> Inventory:
    raise NotImplementedError
