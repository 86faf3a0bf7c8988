"""The insertion times Code42 cursors and dedupes on: every nanosecond digit kept, any fraction length, and a
time that does not exist refused (the pipeline then says it cannot dedupe that event) rather than guessed."""

from __future__ import annotations

import calendar
import random

import pytest

from c2c import timefmt


def _reference_ns(year: int, month: int, day: int, h: int, m: int, s: int, frac: str) -> int:
    return calendar.timegm((year, month, day, h, m, s)) * 10**9 + int((frac + "0" * 9)[:9] or 0)


def test_utc_times_convert_to_the_nanosecond_whatever_the_fraction() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        year, month = rng.randint(1900, 2200), rng.randint(1, 12)
        day = rng.randint(1, calendar.monthrange(year, month)[1])
        h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        frac = "".join(rng.choice("0123456789") for _ in range(rng.choice([0, 1, 3, 6, 9, 12])))
        text = f"{year:04d}-{month:02d}-{day:02d}T{h:02d}:{m:02d}:{s:02d}{'.' + frac if frac else ''}Z"
        assert timefmt.to_epoch_ns(text) == _reference_ns(year, month, day, h, m, s, frac), text


@pytest.mark.parametrize("text", ["2025-02-29T00:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T23:60:00Z",
                                  "2025-01-01T23:00:60Z", "2025-05-16T15:07+01Z", "2025-13-01T00:00:00.5Z"])
def test_a_time_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):  # any reason: the time is not taken
        timefmt.to_epoch_ns(text)
