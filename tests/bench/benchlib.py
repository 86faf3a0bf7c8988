"""Shared helpers for the bench_*.py scripts: run c2c from this checkout, start the emulator as its own
process (so its CPU is never counted as c2c's), talk to its control endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugin"


def env(plugin: Path = PLUGIN, **extra: str) -> dict[str, str]:
    """The environment for a c2c subprocess: this checkout's code (or `plugin`) wins over any installed copy."""
    out = {**os.environ, "PYTHONPATH": str(plugin), **extra}
    out.pop("C2C_STATE_DIR", None)
    # An installed c2c runs from compiled bytecode (pip compiles it); let the checkout's be cached too,
    # or every run would pay for compiling c2c's modules from source.
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def c2c(*args: str, python_flags: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, *python_flags, "-m", "c2c", *args]


class EmulatorProcess:
    """`c2c emulator` (or any command printing the same ready line) in a child process."""

    def __init__(self, command: list[str], environ: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=environ or env(), text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"emulator did not start: {' '.join(command)}")
        self.ready: dict[str, Any] = json.loads(line)
        self.base_url: str = self.ready["baseURL"]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base_url + path, timeout=30) as r:
            return json.loads(r.read())

    def stats(self) -> dict[str, int]:
        out: dict[str, int] = self.get("/_emulator/stats")
        return out

    def requests(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.get("/_emulator/requests")
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(command: list[str], **kwargs: Any) -> tuple[subprocess.CompletedProcess[bytes], float, float]:
    """Run to completion; return (result, wall seconds, CPU seconds of the child)."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, **kwargs)
    return result, time.perf_counter() - t0, children_cpu() - cpu0


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
