#!/usr/bin/env python3
"""Run every benchmark that reports against a target, one after the other, and summarise.

    python tests/bench/run_all.py [--quick]

--quick runs the pipeline on 100,000 events instead of 1,000,000 (the memory-growth check then compares
RSS at 100,000 with itself). bench_parsers.py needs optional packages (see docs/parsers.md); it runs if
they are installed and is reported as skipped otherwise. bench_hotpath.py is an A/B tool, not a target,
and is not run here. Exit status: 0 when every target held.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    runs: list[tuple[str, list[str]]] = [
        ("idle exec run", ["bench_idle.py"]),
        ("pipeline (Code42 backfill)", ["bench_pipeline.py"] + (["--events", "100000"] if args.quick else [])),
    ]
    if importlib.util.find_spec("pycef") and importlib.util.find_spec("syslog_rfc5424_parser"):
        runs.append(("inSync parsers", ["bench_parsers.py"] + (["--lines", "50000"] if args.quick else [])))
    else:
        print("== inSync parsers: skipped (pip install pycef==1.11 syslog-rfc5424-parser==0.3.2)\n")
    results = []
    for label, (script, *rest) in runs:
        print(f"== {label}: {script} {' '.join(rest)}", flush=True)
        t0 = time.monotonic()
        code = subprocess.call([sys.executable, str(HERE / script), *rest])
        results.append((label, code, time.monotonic() - t0))
        print(flush=True)
    for label, code, took in results:
        print(f"{'PASS' if code == 0 else 'FAIL'}  {label} ({took:.0f} s)")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
