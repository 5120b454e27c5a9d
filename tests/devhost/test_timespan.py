"""TimeSpan text, read once for host.json durations and TimeSpan timer schedules."""

from datetime import timedelta

import pytest

from devhost.timespan import try_parse_timespan


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("00:00:02", timedelta(seconds=2)),
        (" 00:05:00 ", timedelta(minutes=5)),
        ("00:00:01.5", timedelta(seconds=1.5)),
        ("1.02:03:04.5", timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
    ],
)
def test_timespan_forms(text: str, span: timedelta) -> None:
    assert try_parse_timespan(text) == span


@pytest.mark.parametrize("text", ["2s", "*/5 * * * * *", "0 */5 * * * *", ""])
def test_other_text_is_not_a_timespan(text: str) -> None:
    assert try_parse_timespan(text) is None
