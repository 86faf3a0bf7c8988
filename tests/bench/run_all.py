#!/usr/bin/env python3
"""Run every benchmark that reports against a target, one after the other, and summarise each target.

    python tests/bench/run_all.py [--quick] [--incydr PATH]

The benchmarks and their targets (each a ratio or figure from one run, see docs/performance.md):

- bench_idle.py: idle exec run, median wall <= 0.25 s, and its request/import contracts;
- bench_pipeline.py: the 1,000,000-event Code42 backfill, stdlib c2c CPU <= 1.2x the stdlib floor, peak
  RSS <= 55 MB, RSS flat from 100,000 to 1,000,000 events (again with the fast extra, when installed);
- bench_backfill_peers.py: 100,000 events, c2c against the official incydr CLI (>= 5x less CPU, <= 1/4 of
  its peak RSS) and the fast extra against stdlib c2c (>= 1.4x less CPU);
- bench_parse_peers.py: `c2c parse` against pycef (>= 3x) and syslog-rfc5424-parser (>= 5x) on 200,000
  lines, and the fast extra against stdlib (>= 1.4x);
- bench_normalize.py: outputFormat ocsf and ecs against raw on the Code42 backfill, CPU per event <= 1.5x
  (issue #13; with each codec installed).

A benchmark whose peers are not installed (`pip install '.[bench]'`) is reported as skipped, and so is a
fast-extra target without the extra (`pip install '.[fast]'`). --quick: 100,000 pipeline and normalize events,
50,000 parse lines, one round of each peer comparison. Exit status: 0 when every target measured held.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_VERDICT = re.compile(r"^\s*(PASS|FAIL)\s+(.*)$")


def run(label: str, command: list[str]) -> tuple[int, list[tuple[str, str]], float]:
    """Run one benchmark, echoing its output; return its exit code, its PASS/FAIL lines and its wall time."""
    print(f"== {label}: {' '.join(Path(c).name if c.endswith('.py') else c for c in command)}", flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    verdicts = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        if m := _VERDICT.match(line):
            verdicts.append((m[1], m[2]))
    code = proc.wait()
    print(flush=True)
    return code, verdicts, time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--incydr", default=shutil.which("incydr"), help="the incydr CLI (default: on PATH)")
    args = ap.parse_args(argv)
    quick_round = ["--repeat", "1"] if args.quick else []
    runs: list[tuple[str, list[str]]] = [
        ("idle exec run", ["bench_idle.py"]),
        ("pipeline (Code42 backfill, stdlib)", ["bench_pipeline.py"] + (["--events", "100000"] if args.quick else [])),
    ]
    skipped = []
    if importlib.util.find_spec("msgspec"):
        runs.append(("pipeline (Code42 backfill, fast extra)", [*runs[1][1], "--codec", "auto"]))
    if args.incydr:
        runs.append(("backfill vs the incydr CLI", ["bench_backfill_peers.py", "--incydr", args.incydr, *quick_round]))
    else:
        skipped.append("backfill vs the incydr CLI (pip install '.[bench]', or --incydr PATH)")
    if importlib.util.find_spec("pycef") and importlib.util.find_spec("syslog_rfc5424_parser"):
        runs.append(("c2c parse vs pycef and syslog-rfc5424-parser",
                     ["bench_parse_peers.py", *(["--lines", "50000"] if args.quick else []), *quick_round]))
    else:
        skipped.append("c2c parse vs its peers (pip install '.[bench]')")
    quick_events = ["--events", "100000"] if args.quick else []
    runs.append(("outputFormat ocsf / ecs vs raw", ["bench_normalize.py", *quick_events]))
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)\n", flush=True)
    results = []
    for label, (script, *rest) in runs:
        code, verdicts, took = run(label, [str(HERE / script), *rest])
        results.append((label, code, verdicts, took))
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("\nTargets:")
    for label, code, verdicts, took in results:
        print(f"{'PASS' if code == 0 else 'FAIL'}  {label} ({took:.0f} s)")
        for verdict, text in verdicts:
            print(f"    {verdict}  {text}")
    for text in skipped:
        print(f"SKIP  {text}")
    return 0 if all(code == 0 for _, code, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
