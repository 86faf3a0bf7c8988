"""A client-side token bucket, plugged into `ApiClient.rate_limiter`.

A bucket of `burst` tokens refilled at `per_minute / 60` per second never lets more than
`burst + per_minute` requests through in any 60-second window, so `per_minute + burst` is what to keep
under a vendor's documented per-minute limit. One bucket is shared by everything that spends the same
vendor budget (`shared()`: the data types of one API client).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from c2c import progress


class TokenBucket:
    def __init__(
        self,
        per_minute: float,
        burst: int = 10,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self.rate = per_minute / 60.0
        self.capacity = float(burst)
        self.clock = clock
        self.sleep = sleep
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds spent waiting (reported by benchmarks)

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def acquire(self) -> None:
        """Take one token, sleeping until one is available."""
        while True:
            with self._lock:
                now = self.clock()
                self._refill(now)
                if self._tokens >= 1.0 - 1e-9:  # float refill may land a hair short of 1
                    self._tokens -= 1.0
                    return
                wait = (1.0 - self._tokens) / self.rate
            self.waited += wait
            progress.waiting("", None, wait, "rate budget")  # shown on the line being collected
            self.sleep(wait)


_shared: dict[str, TokenBucket] = {}
_shared_lock = threading.Lock()


def shared(key: str, per_minute: float, burst: int = 10) -> TokenBucket:
    """The one bucket for `key` in this process (created on first use)."""
    with _shared_lock:
        bucket = _shared.get(key)
        if bucket is None or bucket.rate != per_minute / 60.0:
            bucket = _shared[key] = TokenBucket(per_minute, burst)
        return bucket


def install(key: str, bucket: TokenBucket) -> None:
    """Use `bucket` for `key` (tests: a bucket on the emulator's virtual clock)."""
    with _shared_lock:
        _shared[key] = bucket


def forget(key: str | None = None) -> None:
    with _shared_lock:
        if key is None:
            _shared.clear()
        else:
            _shared.pop(key, None)
