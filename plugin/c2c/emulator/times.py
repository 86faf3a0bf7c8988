"""The emulator's own reading and writing of ISO-8601 times, as the emulated vendors accept and send them.

Written apart from the client's `c2c.timefmt` on purpose: were the emulator to parse times with the
client's code, a mistake there would be the emulator's too, and no test could see it.
"""

from __future__ import annotations

import calendar
import functools
import re
import time
from typing import Any

NS = 1_000_000_000

# What a vendor takes as a time: date, 'T', time, an optional fraction of up to 9 digits, Z or an offset.
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})")


@functools.lru_cache(maxsize=4096)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def iso_ns(ns: int, digits: int = 9) -> str:
    """Epoch nanoseconds as `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with `digits` fraction digits (0: none)."""
    whole, frac = divmod(ns, NS)
    text = _second(whole)
    return f"{text}.{frac:09d}"[: 20 + digits] + "Z" if digits else text + "Z"


def parse_iso_ns(text: str) -> int:
    """An ISO-8601 time with a zone (Z or ±HH:MM) as epoch nanoseconds; ValueError for anything else."""
    m = _ISO.fullmatch(text)
    if m is None:
        raise ValueError(f"not an ISO-8601 time with a zone: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
            and hour < 24 and minute < 60 and second < 60):
        raise ValueError(f"no such time: {text!r}")
    zone = m.group(8)
    offset = 0 if zone == "Z" else (int(zone[1:3]) * 60 + int(zone[4:6])) * 60 * (1 if zone[0] == "+" else -1)
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    return seconds * NS + int((m.group(7) or "").ljust(9, "0"))


def epoch_or_iso_ns(value: Any) -> int | None:
    """A filter value or date-range bound: ISO text, or epoch seconds (a number) as Code42's SDK sends them."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 1000) * 1_000_000
    return parse_iso_ns(str(value))
