"""Code42 Incydr tests: an in-process emulator on 127.0.0.1 with a frozen virtual clock, and helpers that
run the real runner (in-process, or `python -m c2c` as a subprocess) against it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from c2c import ratelimit
from c2c.config import load_sources
from c2c.emulator.code42 import IncydrService
from c2c.emulator.core import Emulator
from c2c.output import Emitter
from c2c.runner import Outcome, Runner, RunOptions
from c2c.sources.incydr_base import IncydrBase
from c2c.state import StateStore

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "key-test-0316"
SECRET = "s3cret-XXXX!hxr479"


@dataclass
class Run:
    records: list[dict[str, Any]]
    outcome: Outcome

    def of(self, data_type: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["_dataType"] == data_type]


@dataclass
class Harness:
    emu: Emulator
    svc: IncydrService
    tmp: Path
    extra: dict[str, Any] = field(default_factory=dict)  # config keys added to every run
    sleeps: list[float] = field(default_factory=list)  # what the collector's retries slept

    client_id: str = CLIENT_ID

    @property
    def state_dir(self) -> Path:
        return self.tmp / "state"

    def config(self, **config: Any) -> Path:
        cfg = {"name": "incydr-test", "category": "code42", "baseURL": self.emu.base_url, "clientID": CLIENT_ID,
               "secretKey": SECRET, **self.extra, **config}
        path = self.tmp / "incydr.json"
        path.write_text(json.dumps({"api.version": "v1", "source": {"config": cfg, "schemaRef": {
            "type": "Code42Incydr"}, "sourceType": "Universal"}}), encoding="utf-8")
        return path

    def run(self, max_seconds: float | None = None, **config: Any) -> Run:
        buf = io.BytesIO()
        runner = Runner(StateStore(self.state_dir), Emitter(buf), RunOptions(max_seconds=max_seconds))
        [outcome] = runner.run_cycle(load_sources([str(self.config(**config))]))
        records = [json.loads(line) for line in buf.getvalue().decode().splitlines()]
        return Run(records, outcome)

    def subprocess(self, *args: str, **config: Any) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(REPO / "plugin")}
        return subprocess.run(
            [sys.executable, "-m", "c2c", "run", str(self.config(**config)), "--state-dir", str(self.state_dir),
             *args], capture_output=True, text=True, timeout=60, env=env, check=False)

    def state(self) -> dict[str, Any]:
        data = StateStore(self.state_dir).read("incydr-test")
        assert data is not None
        return data

    def bodies(self, path: str) -> list[Any]:
        return [r.json() for r in self.emu.requests_to(path)]


@pytest.fixture(autouse=True)
def _fresh_buckets() -> Iterator[None]:
    ratelimit.forget()
    yield
    ratelimit.forget()


@pytest.fixture
def incydr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Harness]:
    """Start an emulator with an Incydr service (kwargs go to IncydrService). Its clock is frozen; in-process
    runs take their time from it, and their retry sleeps move it instead of waiting."""
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Harness:
        emu = Emulator(faults=True)  # the control endpoints a standalone emulator offers are tested
        emu.clock.freeze()
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("secret", SECRET)
        svc = IncydrService(emu, **kwargs)
        emu.start()
        started.append(emu)
        harness = Harness(emu, svc, tmp_path)
        original = IncydrBase.make_client

        def make_client(self: IncydrBase) -> Any:
            client = original(self)
            client.sleep = lambda s: (harness.sleeps.append(s), emu.clock.advance(s))
            return client

        monkeypatch.setattr(IncydrBase, "make_client", make_client)
        # The collector's clock is the server's: in-process runs read the emulator's virtual clock.
        monkeypatch.setattr(IncydrBase, "now", lambda self: emu.clock.now())
        return harness

    yield make
    for emu in started:
        emu.stop()
