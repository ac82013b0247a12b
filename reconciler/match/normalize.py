"""The keys match/engine.py reads, under the name it imports them by.

normalize.py was split by concept: fold.py (NFKC, look-alikes, the compiled tables),
unit_keys.py (serial, inventory number, barcode), name_keys.py (vendor, category, model) and
place_keys.py (places and people). engine.py is being rewritten at the same time (issue 12), so
its imports move with that rewrite; then this module goes. Everything else imports the new
modules directly.
"""

from reconciler.match.name_keys import with_vendors
from reconciler.match.place_keys import place_key
from reconciler.match.unit_keys import barcode_key, inventory_key, serial_key, split_serials

__all__ = [
    "barcode_key",
    "inventory_key",
    "place_key",
    "serial_key",
    "split_serials",
    "with_vendors",
]
