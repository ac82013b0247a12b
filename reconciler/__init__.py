"""reconciler: keeps the accounting fixed-asset register and the IT hardware inventory in agreement."""

__version__ = "0.1.0"
