"""What an auditor reads in the audit pack, fit to compare two ledgers (issue 17): every table
of the pack (the same ones the xlsx and html render) with its title, header, rows and total.

Run ids and moments differ between two runs of the same files by nature, so they are masked;
days, counts, amounts, codes, places and messages are kept. Rows are compared as a sorted list:
a table's order among equal keys (two findings of the same age and code) is not defined. The
trend has a row per second in which runs started (two runs that start in the same second share
it, and two instances start more runs at once than one does): it is read as what its chart
draws, one line per department, as the levels it goes through (the open findings after its
runs, in order, a level repeated by the next run counted once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from itertools import groupby
from typing import Any

from reconciler.audit.figures import Period, compute_audit
from reconciler.audit.render import all_tables
from reconciler.ledger.db import Ledger
from reconciler.text.audit import texts

RUN_ID = re.compile(r"\d{8}-\d{6}-\d{3}-[0-9a-f]{6}")

View = list[tuple[str, tuple[str, ...], list[tuple[str, ...]], tuple[str, ...] | None]]


def _masked(value: Any) -> str:
    if isinstance(value, datetime):
        return "<moment>"
    return RUN_ID.sub("<run>", "" if value is None else str(value))


def _levels(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(value for value, _ in groupby(values))


def auditor_view(conn: Ledger, period: Period | None = None) -> View:
    today = datetime.now(UTC).date()
    figures = compute_audit(conn, period or Period(date(today.year, 1, 1), today))
    t = texts("en")
    view: View = []
    for table in all_tables(figures, t):
        if table.title == t["trend"]:
            lines = zip(*(row[1:] for row in table.rows), strict=True)
            rows = [_levels(_masked(v) for v in line if v is not None) for line in lines]
        else:
            rows = sorted(tuple(_masked(v) for v in row) for row in table.rows)
        total = None if table.total is None else tuple(_masked(v) for v in table.total)
        view.append((table.title, tuple(table.header), rows, total))
    return view
