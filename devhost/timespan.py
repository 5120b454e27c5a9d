""".NET TimeSpan text as the Functions host reads it: host.json durations and TimeSpan timer schedules."""

from __future__ import annotations

import re
from datetime import timedelta

_TIMESPAN = re.compile(r"^(?:(?P<d>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)$")


def try_parse_timespan(text: str) -> timedelta | None:
    """`hh:mm:ss[.fffffff]` or `d.hh:mm:ss[.fffffff]` as a timedelta; None when `text` is not TimeSpan text."""
    match = _TIMESPAN.match(text.strip())
    if match is None:
        return None
    return timedelta(
        days=int(match["d"] or 0), hours=int(match["h"]), minutes=int(match["m"]), seconds=float(match["s"])
    )
