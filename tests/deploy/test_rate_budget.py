"""One Code42 API client's rate budget, shared by every c2c process on a state directory (ratelimit.py).

Two `c2c run` processes, three sources on one client, against the emulator enforcing Code42's 120
requests per window. The budget is Code42's (requestsPerMinute 100 + burst 10 <= 120), on a clock
scaled 10x (`ratelimit.MINUTE` = 6 s in both processes, the emulator's window 6 s) so that two whole
windows fit in a 12 s run: the token bucket's arithmetic does not depend on the unit, and what is under
test, that the processes take from one bucket, is the same. Without the sharing the two processes
would together send about twice the budget.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from c2c import ratelimit

from .conftest import c2c_env

SCALE = 10
WINDOW = 60.0 / SCALE
LIMIT = 120  # Code42: requests per API client per minute
RUN_SECONDS = 2 * WINDOW
SETTINGS_EVENTS = 20_000  # far more than the run can page through: every source stays busy


@pytest.fixture
def code42() -> Any:
    from c2c.emulator.services import Settings, start_all

    emu, services = start_all(Settings(seed=5, events=SETTINGS_EVENTS))
    service = services["code42_incydr"]
    service.rate_limit = 0  # c2c's own pacing is under test: the emulator counts requests, it does not throttle
    try:
        yield emu, service
    finally:
        emu.stop()


def code42_source(base_url: str, name: str, client_id: str) -> dict[str, Any]:
    return {"schemaRef": {"type": "Code42Incydr"}, "sourceType": "Universal",
            "config": {"name": name, "category": "code42", "baseURL": base_url, "clientID": client_id,
                       "secretKey": "${CODE42_SECRET_KEY}", "dataCollection": ["fileEvents"],
                       "fileEventsPageSize": 5}}


def write(path: Path, *sources: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"api.version": "v1", "sources": list(sources)}), encoding="utf-8")
    return path


def c2c_scaled(config: Path, state: Path, env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    """`c2c run` with the budget's minute shortened to WINDOW seconds; stdout and stderr to files (a pipe
    read only after the other process ends would fill and stall it)."""
    boot = ("import sys; import c2c.ratelimit as r; r.MINUTE = float(sys.argv[1]); "
            "from c2c.cli import main; sys.exit(main(sys.argv[2:]))")
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        return subprocess.Popen([sys.executable, "-c", boot, str(WINDOW), "run", str(config), "--state-dir",
                                 str(state), "--max-seconds", str(RUN_SECONDS)], env=env, stdout=stdout,
                                stderr=stderr)


def busiest_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_two_processes_three_sources_one_client_stay_within_the_budget(tmp_path: Path, code42: Any) -> None:
    emu, service = code42
    client = service.client_id
    first = write(tmp_path / "a.json", code42_source(emu.base_url, "incydr-a", client),
                  code42_source(emu.base_url, "incydr-b", client))
    second = write(tmp_path / "b.json", code42_source(emu.base_url, "incydr-c", client))
    env = c2c_env({"CODE42_SECRET_KEY": service.secret})
    state = tmp_path / "state"  # one host, one state directory: the budget's file lives there
    runs = [(first, tmp_path / "a.out"), (second, tmp_path / "b.out")]
    procs = [c2c_scaled(config, state, env, out) for config, out in runs]
    for p, (_, out) in zip(procs, runs, strict=True):
        assert p.wait(timeout=RUN_SECONDS + 60) == 0, out.with_suffix(".err").read_text()
    data = [r for r in emu.requests if r.path.startswith("/v2/")]
    busiest = busiest_window([r.at for r in data], WINDOW)
    assert busiest <= LIMIT, f"{busiest} requests in one {WINDOW:g}s window (Code42's minute, scaled)"
    assert busiest >= 0.75 * (LIMIT - 10), "the budget was not used: the test would not see an excess"
    emitted = Counter(json.loads(line)["_source"] for _, out in runs for line in out.read_text().splitlines())
    for name in ("incydr-a", "incydr-b", "incydr-c"):  # every source progressed
        assert emitted[name] >= 5 * 10, emitted
    # The two processes shared the budget about evenly: one polling faster cannot starve the other.
    assert emitted["incydr-c"] >= 0.3 * sum(emitted.values()), emitted
    assert len(list(state.glob("*" + ratelimit.SUFFIX))) == 1  # one client: one shared bucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_file_buckets_on_one_path_share_the_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = FakeTime()
    waits: list[tuple[str, float, str]] = []
    monkeypatch.setattr("c2c.progress.waiting", lambda src, dt, secs, why: waits.append((src, secs, why)))
    path = tmp_path / "b.bucket"
    one, two = (ratelimit.FileTokenBucket(path, 60, 4, clock=t.clock, sleep=t.sleep, label="client-x")
                for _ in range(2))
    for bucket in (one, two, one, two):  # the burst of 4, taken by both
        bucket.acquire()
    assert t.slept == []
    two.acquire()  # the fifth waits for the refill: 1 token a second
    assert t.slept == [pytest.approx(1.0)]
    assert waits == [("client-x", pytest.approx(1.0), "rate budget")]
    t.now += 100  # refilled, but never above the burst
    for bucket in (one, two, one, two):
        bucket.acquire()
    one.acquire()
    assert t.slept[1:] == [pytest.approx(1.0)]


def test_a_torn_bucket_file_starts_empty_not_full(tmp_path: Path) -> None:
    t = FakeTime()
    path = tmp_path / "b.bucket"
    path.write_bytes(b'{"tokens": 3.0, "a')
    ratelimit.FileTokenBucket(path, 60, 10, clock=t.clock, sleep=t.sleep).acquire()
    assert t.slept == [pytest.approx(1.0)]  # no burst granted on a state it could not read


def test_configure_puts_the_bucket_in_the_state_dir(tmp_path: Path) -> None:
    try:
        ratelimit.configure(tmp_path)
        bucket = ratelimit.shared("https://api.example\0client-1", 100, 10)
        assert isinstance(bucket, ratelimit.FileTokenBucket)
        assert bucket.path.parent == tmp_path
        assert bucket.path.stat().st_mode & 0o777 == 0o600
        assert ratelimit.shared("https://api.example\0client-1", 100, 10) is bucket
        ratelimit.configure(None)
        assert not isinstance(ratelimit.shared("https://api.example\0client-1", 100, 10), ratelimit.FileTokenBucket)
    finally:
        ratelimit.configure(None)
