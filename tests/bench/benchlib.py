"""Shared helpers for the bench_*.py scripts: run c2c from this checkout, start the emulator as its own
process (so its CPU is never counted as c2c's), talk to its control endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
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


def wait_usage(proc: subprocess.Popen[Any]) -> tuple[int, float, float]:
    """wait4 this one child: (exit code, CPU seconds, peak RSS MB)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def rss_mb(pid: int) -> float:
    """A live process's resident set, MB (NaN once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Drained:
    """A child run to completion with its stdout drained as a shipper would (a pipe read in 1 MiB chunks).

    `cpu` and `peak_mb` come from wait4() for this child alone; `lines` counts newlines it wrote; `on_lines`
    (if given) is called with the running count after each chunk, while the child is still alive."""

    def __init__(self, command: list[str], environ: dict[str, str],
                 on_lines: Callable[[int, int], None] | None = None, cwd: str | None = None) -> None:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=environ, cwd=cwd)
        assert proc.stdout is not None
        assert proc.stderr is not None
        self.lines, self.first, tail = 0, b"", b""
        # Small reads: this process must stay small, since wait4 reports a child's peak RSS as at least the
        # RSS of the parent it was forked from (1 MiB reads grew it to ~90 MB through glibc's heap).
        fd = proc.stdout.fileno()
        while chunk := os.read(fd, 1 << 16):
            if not self.first:
                self.first = chunk[: chunk.find(b"\n")]
            tail = (tail + chunk)[-8192:]
            self.lines += chunk.count(b"\n")
            if on_lines is not None:
                on_lines(proc.pid, self.lines)
        self.last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        self.stderr = proc.stderr.read().decode("utf-8", "replace")
        self.code, self.cpu, self.peak_mb = wait_usage(proc)
        self.wall = time.perf_counter() - t0

    def check(self, label: str, lines: int) -> None:
        if self.code != 0 or self.lines != lines:
            print(self.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"{label} exited {self.code} after {self.lines:,} lines (expected {lines:,})")


def bench_dir() -> Path:
    """Where inputs rendered once are kept between runs."""
    import tempfile

    root = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "c2c-bench"
    root.mkdir(exist_ok=True)
    return root


def spread(values: list[float]) -> str:
    """'median (min-max)' of a few repeats."""
    import statistics

    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    """Round-by-round ratios of two interleaved series."""
    return [n / d for n, d in zip(numerators, denominators, strict=True)]


def at_least(text: str, values: list[float], target: float) -> tuple[str, bool]:
    """A check on the median of per-round ratios."""
    import statistics

    median = statistics.median(values)
    return f"{text} {median:.2f}x (target >= {target:g}x)", median >= target


def finish(checks: list[tuple[str, bool]]) -> int:
    """Print each check as PASS/FAIL (run_all.py collects these lines); exit status 0 when all held."""
    for text, ok in checks:
        print(f"  {verdict(ok)}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


def rss_floor_note() -> str:
    """What a peak RSS from wait4 cannot go below: the benchmark's own RSS, which each child starts as a copy of."""
    return f"peak RSS from wait4 is at least this process's {rss_mb(os.getpid()):.0f} MB (a child starts as its copy)"
