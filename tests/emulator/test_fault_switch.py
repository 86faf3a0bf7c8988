"""The endpoints that steer an emulator exist only when asked for: `c2c emulator --faults`, never `c2c demo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from c2c.emulator.services import Settings, start_all

PLUGIN = Path(__file__).resolve().parents[2] / "plugin"
STEERING = [("POST", "/_emulator/faults", {"path": "/token", "status": 503}),
            ("POST", "/_emulator/clock", {"advance": 3600}),
            ("POST", "/_emulator/code42/settings", {"rate_limit": 1})]


@contextmanager
def standalone(*flags: str) -> Iterator[str]:
    """`c2c emulator` in its own process; yields its base URL."""
    env = {**os.environ, "PYTHONPATH": str(PLUGIN)}
    with subprocess.Popen([sys.executable, "-m", "c2c", "emulator", "--events", "10", *flags],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env=env) as proc:
        try:
            assert proc.stdout is not None
            yield str(json.loads(proc.stdout.readline())["baseURL"])
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.mark.parametrize("flags", [(), ("--faults",)], ids=["default", "faults"])
def test_c2c_emulator_steers_only_with_faults(flags: tuple[str, ...]) -> None:
    with standalone(*flags) as base:
        for method, path, body in STEERING:
            r = requests.request(method, base + path, json=body, timeout=10)
            assert r.ok if flags else r.status_code == 404, (path, r.status_code)
        assert requests.get(base + "/_emulator/stats", timeout=10).status_code == 200  # read-only: always there
        token = requests.post(base + "/token", data={"grant_type": "client_credentials"},
                              auth=("demo-client", "demo-secret"), timeout=10)
        assert token.status_code == (503 if flags else 200)  # the injected fault took effect only with --faults


def test_the_demo_emulator_cannot_be_steered() -> None:
    emu, _ = start_all(Settings(events=5))  # what `c2c demo` starts
    try:
        for method, path, body in STEERING:
            assert requests.request(method, emu.base_url + path, json=body, timeout=10).status_code == 404
    finally:
        emu.stop()
