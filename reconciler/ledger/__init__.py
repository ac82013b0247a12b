"""The ledger: every file, run, finding and email, for resume and audits."""
