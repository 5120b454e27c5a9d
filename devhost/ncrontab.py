"""NCRONTAB schedules as timer triggers use them: `{second} {minute} {hour} {day} {month} {day-of-week}`.

Also accepted, as the Functions host does: 5-field expressions (seconds = 0) and TimeSpan intervals
(`hh:mm:ss[.fffffff]`, `d.hh:mm:ss`; the host's ConstantSchedule: next = now + interval). Like NCrontab, a day
must match BOTH the day-of-month and the day-of-week fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from devhost.timespan import try_parse_timespan

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


class CronParseError(ValueError):
    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"invalid NCRONTAB expression {expression!r}: {reason}")
        self.expression = expression


class NoOccurrenceError(ValueError):
    """The schedule never fires (e.g. 30 February)."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("second", 0, 59),
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field("month", 1, 12, tuple(_MONTHS), 1),
    # 7 is accepted as Sunday (as in most crons) and folded to 0 below.
    _Field("day-of-week", 0, 7, tuple(_DAYS), 0),
)


def _value(expression: str, spec: _Field, text: str) -> int:
    upper = text.upper()
    if upper in spec.names:
        return spec.names.index(upper) + spec.name_base
    if not text.isdigit():
        raise CronParseError(expression, f"{spec.name} value {text!r} is not a number or name")
    number = int(text)
    if not spec.low <= number <= spec.high:
        raise CronParseError(expression, f"{spec.name} value {number} is outside {spec.low}-{spec.high}")
    return number


def _parse_field(expression: str, spec: _Field, text: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronParseError(expression, f"empty list item in {spec.name} field {text!r}")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronParseError(expression, f"bad step {step_text!r} in {spec.name} field")
            step = int(step_text)
        if base == "*":
            low, high = spec.low, spec.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(expression, spec, first), _value(expression, spec, last)
            if low > high:
                raise CronParseError(expression, f"{spec.name} range {base!r} runs backwards")
        else:
            low = _value(expression, spec, base)
            # `5/15` means "from 5 to the end, every 15".
            high = spec.high if slash else low
        values.update(range(low, high + 1, step))
    if spec.name == "day-of-week" and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; `next_after(t)` is the first occurrence strictly after `t` (same tzinfo)."""

    expression: str
    seconds: frozenset[int] = frozenset()
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    """0 = Sunday, as in cron."""
    interval: timedelta | None = None
    """Set for TimeSpan schedules (`00:05:00`): fire every interval since the host started."""

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        text = expression.strip()
        interval = try_parse_timespan(text)
        if interval is not None:
            if interval <= timedelta(0):
                raise CronParseError(expression, "the interval must be positive")
            return cls(expression=expression, interval=interval)
        fields = text.split()
        if len(fields) == 5:
            fields = ["0", *fields]
        if len(fields) != 6:
            raise CronParseError(expression, f"expected 6 fields (seconds first), got {len(fields)}")
        parsed = [_parse_field(expression, spec, f) for spec, f in zip(_FIELDS, fields, strict=True)]
        return cls(
            expression,
            seconds=parsed[0],
            minutes=parsed[1],
            hours=parsed[2],
            days=parsed[3],
            months=parsed[4],
            weekdays=parsed[5],
        )

    def _day_matches(self, when: datetime) -> bool:
        # Python: Monday=0 .. Sunday=6; cron: Sunday=0 .. Saturday=6.
        return when.day in self.days and (when.weekday() + 1) % 7 in self.weekdays

    def next_after(self, after: datetime) -> datetime:
        if self.interval is not None:
            return after + self.interval
        # Work on wall-clock fields (timezone-aware datetimes keep their tzinfo; DST gaps simply shift).
        t = after.replace(microsecond=0) + timedelta(seconds=1)
        limit = after + timedelta(days=366 * 5)
        while t <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0)
                continue
            if not self._day_matches(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0)
                continue
            if t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0, second=0)
                continue
            if t.minute not in self.minutes:
                t = (t + timedelta(minutes=1)).replace(second=0)
                continue
            if t.second not in self.seconds:
                t = t + timedelta(seconds=1)
                continue
            return t
        raise NoOccurrenceError(f"schedule {self.expression!r} has no occurrence within 5 years of {after}")
