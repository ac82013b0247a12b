"""Audits: the periodic pack of figures over the ledger, and its schedule."""
