"""A client-side token bucket, plugged into `ApiClient.rate_limiter`, shared by every c2c process on a state dir.

A bucket of `burst` tokens refilled at `per_minute` per minute never lets more than `burst + per_minute`
requests through in any minute, so `per_minute + burst` is what to keep under a vendor's documented
per-minute limit. One bucket is shared by everything that spends the same vendor budget (`shared()`: the
sources and data types of one API client, keyed by base URL + client id).

Once `configure(state_dir)` has been called (`c2c run` does), the bucket's tokens live in a small file in
the state directory (`ratelimit-<hash of the key>.bucket`, private like the state files) and every take
happens under an exclusive `flock`: several exec inputs, containers or pods that share a state directory
(one host, or one volume) then share one budget. Across hosts with separate state, split the budget
instead (docs/deploy.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from c2c import progress

log = logging.getLogger(__name__)

MINUTE = 60.0  # seconds the per-minute budget refers to (a test of the sharing may shorten it)
SUFFIX = ".bucket"  # not .json: the state store reads every *.json in the directory as a source's state
WAIT_REASON = "rate budget"


def refill(tokens: float, at: float, now: float, rate: float, capacity: float) -> float:
    """The tokens at `now`, `rate` per second since `at`, capped at `capacity` (a clock going back adds none)."""
    return min(capacity, tokens + max(0.0, now - at) * rate)


class TokenBucket:
    """The bucket of one process."""

    def __init__(
        self,
        per_minute: float,
        burst: int = 10,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        label: str = "",
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self.rate = per_minute / MINUTE
        self.capacity = float(burst)
        self.clock = clock
        self.sleep = sleep
        self.label = label  # what progress.waiting names (the API client)
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds spent waiting (reported by benchmarks)

    def take(self) -> float:
        """Take a token, possibly one not yet refilled: return how long to wait until it is there (0: now)."""
        with self._lock:
            now = self.clock()
            self._tokens = refill(self._tokens, self._at, now, self.rate, self.capacity)
            self._at = now
            return self._spend()

    def _spend(self) -> float:
        # A reservation: the balance may go below zero, and the taker waits until it is back to zero.
        # Takers are served in the order they came (a process that keeps polling cannot starve another),
        # and grants still never outrun `capacity + rate * t`.
        self._tokens -= 1.0
        return 0.0 if self._tokens >= -1e-9 else -self._tokens / self.rate  # float refill may land a hair short

    def acquire(self) -> None:
        """Take one token, sleeping until it is available."""
        wait = self.take()
        if wait > 0:
            progress.waiting(self.label, None, wait, WAIT_REASON)
            self.waited += wait
            self.sleep(wait)


class FileTokenBucket(TokenBucket):
    """The bucket of every process using one state directory: tokens in a file, taken under `flock`.

    Wall-clock time, since the processes may be in different containers. The file holds
    {"tokens": float, "at": epoch seconds}; a missing or empty file is a full bucket, an unreadable one
    an empty bucket (never more requests than the budget because of a torn write).
    """

    def __init__(self, path: Path, per_minute: float, burst: int = 10, *,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 label: str = "") -> None:
        super().__init__(per_minute, burst, clock=clock, sleep=sleep, label=label)
        self.path = path

    def take(self) -> float:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with self._lock, os.fdopen(fd, "r+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes
            f.seek(0)
            raw = f.read()
            now = self.clock()
            if not raw.strip():
                self._tokens, self._at = self.capacity, now
            else:
                try:
                    saved = json.loads(raw)
                    self._tokens, self._at = float(saved["tokens"]), float(saved["at"])
                except (ValueError, KeyError, TypeError):
                    log.warning("%s: unreadable rate budget state; starting it empty", self.path)
                    self._tokens, self._at = 0.0, now
            self._tokens = refill(self._tokens, self._at, now, self.rate, self.capacity)
            self._at = now
            wait = self._spend()
            f.seek(0)
            f.truncate()
            f.write(json.dumps({"tokens": self._tokens, "at": self._at}).encode())
            f.flush()
            return wait


_shared: dict[str, TokenBucket] = {}
_shared_lock = threading.Lock()
_state_dir: Path | None = None


def configure(state_dir: Path | None) -> None:
    """Share the buckets of `shared()` with every c2c process using `state_dir` (None: this process only)."""
    global _state_dir
    with _shared_lock:
        _state_dir = state_dir
        _shared.clear()


def _label(key: str) -> str:
    return key.replace("\0", " client ")  # base URL and client id: identifiers, not secrets


def bucket_path(state_dir: Path, key: str) -> Path:
    return state_dir / ("ratelimit-" + hashlib.sha256(key.encode()).hexdigest()[:32] + SUFFIX)


def _file_bucket(key: str, per_minute: float, burst: int) -> TokenBucket:
    assert _state_dir is not None
    path = bucket_path(_state_dir, key)
    try:
        _state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as exc:  # the run fails on its state file anyway; the budget still holds in-process
        log.warning("cannot share the rate budget through %s (%s); this process keeps its own", path,
                    exc.strerror or exc)
        return TokenBucket(per_minute, burst, label=_label(key))
    return FileTokenBucket(path, per_minute, burst, label=_label(key))


def shared(key: str, per_minute: float, burst: int = 10) -> TokenBucket:
    """The one bucket for `key` (created on first use): in the state directory once `configure`d."""
    with _shared_lock:
        bucket = _shared.get(key)
        if bucket is None or bucket.rate != per_minute / MINUTE:
            if _state_dir is None:
                bucket = TokenBucket(per_minute, burst, label=_label(key))
            else:
                bucket = _file_bucket(key, per_minute, burst)
            _shared[key] = bucket
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
