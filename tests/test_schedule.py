"""The cron parser and the catch-up rule behind `audit.schedule`; time is passed in, never slept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.config import load_config
from reconciler.cron import due_runs, next_fire, parse_cron, previous_fire
from reconciler.errors import ConfigError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(expr: str, after: str, count: int) -> list[str]:
    out, t = [], at(after)
    for _ in range(count):
        t = next_fire(expr, t)
        out.append(t.strftime("%Y-%m-%d %a %H:%M"))
    return out


def test_monthly_schedule_fires_at_eight_on_the_first() -> None:
    assert fires("0 8 1 * *", "2026-01-15T12:00", 3) == [
        "2026-02-01 Sun 08:00",
        "2026-03-01 Sun 08:00",
        "2026-04-01 Wed 08:00",
    ]


def test_next_fire_is_strictly_after_even_on_a_fire_time() -> None:
    assert next_fire("0 8 1 * *", at("2026-02-01T08:00")) == at("2026-03-01T08:00")
    assert next_fire("0 8 1 * *", at("2026-02-01T07:59:59")) == at("2026-02-01T08:00")


def test_steps_over_a_star_a_range_and_a_start() -> None:
    assert sorted(parse_cron("*/15 * * * *").minutes) == [0, 15, 30, 45]
    assert sorted(parse_cron("10-30/10 * * * *").minutes) == [10, 20, 30]
    assert sorted(parse_cron("5/20 * * * *").minutes) == [5, 25, 45]
    assert sorted(parse_cron("0 */6 * * *").hours) == [0, 6, 12, 18]


def test_lists_mix_numbers_and_ranges() -> None:
    assert sorted(parse_cron("0 8 1,15,20-22 * *").days) == [1, 15, 20, 21, 22]
    assert sorted(parse_cron("0 8 * jan,jul-aug *").months) == [1, 7, 8]


def test_day_of_week_zero_and_seven_are_both_sunday() -> None:
    assert parse_cron("0 9 * * 0").weekdays == parse_cron("0 9 * * 7").weekdays == {0}
    assert parse_cron("0 9 * * sun").weekdays == {0}
    assert parse_cron("0 9 * * 5-7").weekdays == {5, 6, 0}
    assert fires("0 9 * * 7", "2026-11-24T00:00", 2) == [
        "2026-11-29 Sun 09:00",
        "2026-12-06 Sun 09:00",
    ]


def test_day_of_month_and_day_of_week_both_restricted_match_either() -> None:
    # cron(5): "0 8 1 * 1" is the 1st of the month OR any Monday.
    assert fires("0 8 1 * 1", "2026-05-27T00:00", 4) == [
        "2026-06-01 Mon 08:00",
        "2026-06-08 Mon 08:00",
        "2026-06-15 Mon 08:00",
        "2026-06-22 Mon 08:00",
    ]
    assert fires("0 8 13 * 5", "2026-03-01T00:00", 3) == [
        "2026-03-06 Fri 08:00",
        "2026-03-13 Fri 08:00",
        "2026-03-20 Fri 08:00",
    ]


def test_a_starred_day_field_keeps_and_semantics() -> None:
    # Day of month "*/1" starts with "*": only the weekday restricts, as in Vixie cron.
    assert fires("0 8 */1 * 1", "2026-06-01T09:00", 2) == [
        "2026-06-08 Mon 08:00",
        "2026-06-15 Mon 08:00",
    ]


def test_february_29th_waits_for_a_leap_year() -> None:
    assert next_fire("0 0 29 2 *", at("2026-03-01T00:00")) == at("2028-02-29T00:00")


def test_month_end_and_year_end_roll_over() -> None:
    assert next_fire("30 23 31 * *", at("2026-04-01T00:00")) == at("2026-05-31T23:30")
    assert next_fire("0 0 1 1 *", at("2026-12-31T23:59")) == at("2027-01-01T00:00")
    assert next_fire("@monthly", at("2026-12-15T10:00")) == at("2027-01-01T00:00")


def test_previous_fire_includes_the_instant_itself() -> None:
    assert previous_fire("0 8 1 * *", at("2026-03-01T08:00")) == at("2026-03-01T08:00")
    assert previous_fire("0 8 1 * *", at("2026-03-01T07:59")) == at("2026-02-01T08:00")
    assert previous_fire("0 8 1 1 *", at("2026-01-01T07:00")) == at("2025-01-01T08:00")


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("0 8 1 *", "expected 5 fields"),
        ("0 8 1 * * *", "expected 5 fields"),
        ("60 8 1 * *", "minute: 60 is out of range 0-59"),
        ("0 24 * * *", "hour: 24 is out of range 0-23"),
        ("0 8 0 * *", "day of month: 0 is out of range 1-31"),
        ("0 8 1 13 *", "month: 13 is out of range 1-12"),
        ("0 8 * * 8", "day of week: 8 is out of range 0-7"),
        ("*/0 * * * *", "step must be a positive number"),
        ("0 8 20-10 * *", "runs backwards"),
        ("0 8 1,,2 * *", "empty item"),
        ("0 8 first * *", "expected a number, found 'first'"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_bad_expressions_say_which_field_and_why(expr: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_cron(expr)


def test_nothing_is_due_between_fire_times() -> None:
    assert due_runs("0 8 1 * *", at("2026-03-01T08:00"), at("2026-03-20T12:00")) is None


def test_the_fire_time_is_due_once_reached() -> None:
    last = at("2026-03-01T08:00")
    assert due_runs("0 8 1 * *", last, at("2026-04-01T07:59")) is None
    assert due_runs("0 8 1 * *", last, at("2026-04-01T08:00")) == at("2026-04-01T08:00")


def test_three_missed_months_are_caught_up_once_with_the_latest() -> None:
    last = at("2026-01-01T08:00")
    now = at("2026-04-17T10:00")  # down since January: Feb, Mar and Apr were missed
    due = due_runs("0 8 1 * *", last, now)
    assert due == at("2026-04-01T08:00")
    assert due_runs("0 8 1 * *", due, now) is None  # once sent, nothing more until May


def test_never_sent_makes_the_latest_fire_time_due() -> None:
    assert due_runs("0 8 * * *", None, at("2026-04-17T10:00")) == at("2026-04-17T08:00")


def test_a_bad_schedule_in_config_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("inventory: {path: inv.xlsx}\naudit: {schedule: '0 25 1 * *'}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"audit\.schedule.*hour: 25 is out of range 0-23"):
        load_config(cfg)
    cfg.write_text("inventory: {path: inv.xlsx}\naudit: {schedule: '0 8 1 * *'}\n", "utf-8")
    assert load_config(cfg).audit.schedule == "0 8 1 * *"
