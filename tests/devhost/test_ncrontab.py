from datetime import UTC, datetime, timedelta

import pytest

from devhost.ncrontab import CronParseError, NoOccurrenceError, Schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def occurrences(expression: str, start: str, count: int) -> list[str]:
    schedule = Schedule.parse(expression)
    when = at(start)
    out = []
    for _ in range(count):
        when = schedule.next_after(when)
        out.append(when.strftime("%Y-%m-%d %H:%M:%S"))
    return out


def test_every_second_fires_on_each_following_second() -> None:
    assert occurrences("* * * * * *", "2024-01-01T00:00:00.500", 3) == [
        "2024-01-01 00:00:01",
        "2024-01-01 00:00:02",
        "2024-01-01 00:00:03",
    ]


def test_next_is_strictly_after_an_exact_match() -> None:
    assert occurrences("0 */5 * * * *", "2024-01-01T10:05:00", 1) == ["2024-01-01 10:10:00"]


def test_seconds_field_comes_first() -> None:
    assert occurrences("30 0 12 * * *", "2024-01-01T00:00:00", 2) == ["2024-01-01 12:00:30", "2024-01-02 12:00:30"]


def test_steps_ranges_and_lists() -> None:
    assert occurrences("0 0,30 9-10 * * *", "2024-01-01T00:00:00", 5) == [
        "2024-01-01 09:00:00",
        "2024-01-01 09:30:00",
        "2024-01-01 10:00:00",
        "2024-01-01 10:30:00",
        "2024-01-02 09:00:00",
    ]
    assert occurrences("*/20 * * * * *", "2024-01-01T00:00:00", 3) == [
        "2024-01-01 00:00:20",
        "2024-01-01 00:00:40",
        "2024-01-01 00:01:00",
    ]
    assert occurrences("0 5/20 * * * *", "2024-01-01T00:00:00", 3) == [
        "2024-01-01 00:05:00",
        "2024-01-01 00:25:00",
        "2024-01-01 00:45:00",
    ]
    assert occurrences("0 0 8-18/5 * * *", "2024-01-01T00:00:00", 3) == [
        "2024-01-01 08:00:00",
        "2024-01-01 13:00:00",
        "2024-01-01 18:00:00",
    ]


def test_day_and_month_names() -> None:
    # 2024-01-01 is a Monday.
    assert occurrences("0 0 9 * * MON-FRI", "2024-01-05T10:00:00", 2) == ["2024-01-08 09:00:00", "2024-01-09 09:00:00"]
    assert occurrences("0 0 0 1 jan,Jul *", "2024-02-01T00:00:00", 2) == ["2024-07-01 00:00:00", "2025-01-01 00:00:00"]
    assert occurrences("0 0 0 * * sun", "2024-01-01T00:00:00", 1) == ["2024-01-07 00:00:00"]


def test_sunday_is_zero_or_seven() -> None:
    assert occurrences("0 0 0 * * 7", "2024-01-01T00:00:00", 1) == occurrences("0 0 0 * * 0", "2024-01-01T00:00:00", 1)


def test_day_of_month_and_day_of_week_must_both_match() -> None:
    # The 13th that is a Friday: NCrontab ANDs the two day fields.
    assert occurrences("0 0 0 13 * FRI", "2024-01-01T00:00:00", 2) == ["2024-09-13 00:00:00", "2024-12-13 00:00:00"]


def test_month_and_year_rollover_and_leap_day() -> None:
    assert occurrences("0 59 23 31 12 *", "2024-06-01T00:00:00", 1) == ["2024-12-31 23:59:00"]
    assert occurrences("0 0 0 29 2 *", "2024-03-01T00:00:00", 1) == ["2028-02-29 00:00:00"]


def test_five_field_expression_means_second_zero() -> None:
    assert occurrences("*/15 * * * *", "2024-01-01T00:00:00", 2) == ["2024-01-01 00:15:00", "2024-01-01 00:30:00"]


def test_timespan_schedule_is_an_interval() -> None:
    schedule = Schedule.parse("00:05:00")
    assert schedule.next_after(at("2024-01-01T00:00:07")) == at("2024-01-01T00:05:07")


def test_timespan_schedule_may_have_fractional_seconds_and_days() -> None:
    # The host reads a TimeSpan schedule with TimeSpan.TryParse, fractions and days included.
    assert Schedule.parse("00:00:01.5").next_after(at("2024-01-01T00:00:07")) == at("2024-01-01T00:00:08.5")
    assert Schedule.parse("1.00:00:00").next_after(at("2024-01-01T00:00:07")) == at("2024-01-02T00:00:07")
    with pytest.raises(CronParseError, match="must be positive"):
        Schedule.parse("00:00:00.0")


def test_keeps_the_timezone_of_the_reference_time() -> None:
    tz = __import__("zoneinfo").ZoneInfo("Europe/Amsterdam")
    result = Schedule.parse("0 0 9 * * *").next_after(datetime(2024, 1, 1, 10, tzinfo=tz))
    assert result == datetime(2024, 1, 2, 9, tzinfo=tz)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("* * * * *  * *", "expected 6 fields"),
        ("60 * * * * *", "second value 60"),
        ("* * 24 * * *", "hour value 24"),
        ("* * * 0 * *", "day value 0"),
        ("* * * * 13 *", "month value 13"),
        ("* * * * FOO *", "'FOO'"),
        ("* * * * * 1-", "is not a number"),
        ("*/0 * * * * *", "bad step"),
        ("5-1 * * * * *", "runs backwards"),
        ("1,,2 * * * * *", "empty list item"),
    ],
)
def test_invalid_expressions_name_the_problem(expression: str, fragment: str) -> None:
    with pytest.raises(CronParseError) as info:
        Schedule.parse(expression)
    assert fragment in str(info.value)
    assert info.value.expression == expression


def test_impossible_date_raises() -> None:
    with pytest.raises(NoOccurrenceError):
        Schedule.parse("0 0 0 30 2 *").next_after(at("2024-01-01T00:00:00"))


def test_search_is_fast_for_sparse_schedules() -> None:
    # Many yearly occurrences in a row: skipping by field, not by second.
    schedule = Schedule.parse("0 0 0 1 1 *")
    when = at("2000-01-01T00:00:00")
    for _ in range(50):
        when = schedule.next_after(when)
    assert when == at("2050-01-01T00:00:00")
    assert schedule.next_after(when) - when == timedelta(days=365)
