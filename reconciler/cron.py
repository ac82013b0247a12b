"""Cron expressions for `audit.schedule`, and when a scheduled pack is due.

A shared contract, not part of audit/: config validates the expression when it loads, and
config sits below every stage.

Five fields, as in cron(5): minute hour day-of-month month day-of-week, each `*`, a number, a
range `a-b`, a step `*/n`, `a-b/n` or `a/n`, or a comma list of those; months and weekdays may
also be named (jan..dec, sun..sat). Day of week 0 and 7 are both Sunday. As in Vixie cron, when
both day of month and day of week are restricted (neither starts with `*`), a day matches if
EITHER matches ("0 8 1 * 1": the 1st of the month and every Monday).

Everything here is pure: time is passed in, never read. Expressions are evaluated on the wall
clock of the datetime given (the service passes UTC, like every time in the ledger).
croniter would do this too, but it is deprecated and this is ~150 lines we can test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# A schedule that matches nothing within this many years never fires ("0 0 30 2 *").
SEARCH_YEARS = 9  # covers the 8-year gap between leap years around 2100


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_start: int = 0


FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, MONTH_NAMES, 1),
    _Field("day of week", 0, 7, DAY_NAMES, 0),
)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed expression: the allowed values of each field (weekday 0 = Sunday, 7 folded)."""

    expr: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    def day_matches(self, when: datetime) -> bool:
        if when.month not in self.months:
            return False
        in_days = when.day in self.days
        # Python: Monday=0 .. Sunday=6; cron: Sunday=0 .. Saturday=6.
        in_weekdays = (when.weekday() + 1) % 7 in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def matches(self, when: datetime) -> bool:
        return when.minute in self.minutes and when.hour in self.hours and self.day_matches(when)


def _value(text: str, field: _Field) -> int:
    lowered = text.lower()
    if lowered in field.names:
        return field.names.index(lowered) + field.names_start
    if not text.isdigit():
        raise ValueError(f"{field.name}: expected a number, found {text!r}")
    number = int(text)
    if not field.low <= number <= field.high:
        raise ValueError(f"{field.name}: {number} is out of range {field.low}-{field.high}")
    return number


def _parse_field(text: str, field: _Field) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError(f"{field.name}: empty item in list {text!r}")
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{field.name}: step must be a positive number, found {part!r}")
            step = int(step_text)
        if span == "*":
            low, high = field.low, field.high
        elif "-" in span:
            first, _, last = span.partition("-")
            low, high = _value(first, field), _value(last, field)
            if low > high:
                raise ValueError(f"{field.name}: range {span!r} runs backwards")
        else:
            low = _value(span, field)
            # "5/15" means 5, 20, 35, 50: from 5 to the end in steps; plain "5" is just 5.
            high = field.high if step_text else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


@lru_cache(maxsize=64)
def parse_cron(expr: str) -> CronSchedule:
    """Parse a 5-field cron expression; ValueError says which field is wrong and why."""
    text = MACROS.get(expr.strip().lower(), expr)
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), "
            f"found {len(parts)} in {expr!r}; e.g. '0 8 1 * *' for 08:00 on the 1st"
        )
    minutes, hours, days, months, weekdays = (
        _parse_field(p, f) for p, f in zip(parts, FIELDS, strict=True)
    )
    schedule = CronSchedule(
        expr=expr,
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=frozenset(d % 7 for d in weekdays),
        days_restricted=not parts[2].startswith("*"),
        weekdays_restricted=not parts[4].startswith("*"),
    )
    # "0 0 31 2 *" parses but never fires: better said at config load than never noticed.
    _search(schedule, datetime(2000, 1, 1), forward=True)
    return schedule


def _search(schedule: CronSchedule, start: datetime, *, forward: bool) -> datetime:
    """The first minute at or after (or at or before) `start` that the schedule matches.

    Skips a whole day, hour or minute at a time, so a search is a few thousand steps at most.
    """
    t = start.replace(second=0, microsecond=0)
    limit = t + timedelta(days=366 * SEARCH_YEARS) * (1 if forward else -1)
    while (t <= limit) if forward else (t >= limit):
        if not schedule.day_matches(t):
            if forward:
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            else:
                t = t.replace(hour=23, minute=59) - timedelta(days=1)
        elif t.hour not in schedule.hours:
            if forward:
                t = t.replace(minute=0) + timedelta(hours=1)
            else:
                t = t.replace(minute=59) - timedelta(hours=1)
        elif t.minute not in schedule.minutes:
            t += timedelta(minutes=1 if forward else -1)
        else:
            return t
    raise ValueError(
        f"{schedule.expr!r} never fires (no matching date within {SEARCH_YEARS} years)"
    )


def next_fire(expr: str, after: datetime) -> datetime:
    """The first fire time strictly after `after` (same tzinfo as `after`)."""
    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return _search(parse_cron(expr), start, forward=True)


def previous_fire(expr: str, at_or_before: datetime) -> datetime:
    """The latest fire time at or before `at_or_before`."""
    return _search(parse_cron(expr), at_or_before, forward=False)


def due_runs(expr: str, last_sent: datetime | None, now: datetime) -> datetime | None:
    """The latest fire time in (last_sent, now], or None when nothing is due.

    However many fire times were missed (the service was down for three months), this returns
    only the latest, so the caller sends one pack: catching up once, not once per miss.
    `last_sent` None means nothing was ever sent: the latest fire time at or before now is due.
    """
    latest = previous_fire(expr, now)
    if last_sent is not None and latest <= last_sent:
        return None
    return latest
