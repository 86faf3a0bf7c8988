#!/usr/bin/env python3
"""The Code42 file-events backfill: c2c against the official incydr CLI, in one run.

Not a pytest test. From the repository root:

    python tests/bench/bench_backfill_peers.py [--events 100000] [--repeat 3] [--incydr PATH]

Both read the same pre-rendered pages (bench_pipeline.py's cache and server: /v1/oauth, POST
/v2/file-events answering by `pgToken`, pages of 10,000) from a separate process, and write one JSON line
per event to a pipe this script drains. Interleaved, --repeat times:

- `c2c run` on a Code42Incydr source (fileEvents only), fresh state: with `C2C_JSON_CODEC=stdlib`, and
  with the fast extra when it is installed;
- `incydr file-events search --start ... --format json-lines --checkpoint bench` (incydr[cli], its own
  checkpoint kept as the CLI does, under a temporary HOME), pointed at the server by `INCYDR_URL`;
- the floor (json.loads of each page, json.dumps of each event, one write per page).

CPU seconds and peak RSS of each process from wait4(), whole process for all of them. Ratios are taken
within each round; the median round counts and the spread (min-max) is printed. Targets: c2c >= 5x less
CPU and <= 1/4 of the incydr CLI's peak RSS, peak RSS <= 55 MB; the fast extra >= 1.4x less CPU than
stdlib c2c. The incydr CLI is found on PATH or given by --incydr (`pip install 'incydr[cli]==2.12.6'`,
in the bench extra; a virtual environment of its own does as well).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import CLIENT_ID, SECRET, ensure_pages, run_c2c, run_floor
from benchlib import PLUGIN, Drained, EmulatorProcess, at_least, env, finish, ratios, rss_floor_note, spread

TARGET_CPU = 5.0
TARGET_RSS_SHARE = 0.25
TARGET_PEAK_MB = 55.0
TARGET_FAST = 1.4
PAGE_SIZE = 10_000


def incydr_version(incydr: str) -> str:
    out = subprocess.run([incydr, "--version"], capture_output=True, text=True, env={**os.environ,
                         "INCYDR_USE_RICH": "false"})
    return (out.stdout.strip().split() or ["?"])[-1]


def run_incydr(incydr: str, base_url: str, events: int) -> Drained:
    with tempfile.TemporaryDirectory() as home:  # its checkpoint and log live under ~/.incydr
        environ = {**os.environ, "HOME": home, "INCYDR_URL": base_url, "INCYDR_API_CLIENT_ID": CLIENT_ID,
                   "INCYDR_API_CLIENT_SECRET": SECRET, "INCYDR_USE_RICH": "false"}
        environ.pop("PYTHONPATH", None)
        r = Drained([incydr, "file-events", "search", "--start", "2025-01-01", "--format", "json-lines",
                     "--checkpoint", "bench"], environ, cwd=home)
    r.check("incydr file-events search", events)
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--incydr", default=shutil.which("incydr"), help="the incydr CLI (default: on PATH)")
    ap.add_argument("--plugin", type=Path, default=PLUGIN, help="the c2c plugin/ directory to measure")
    ap.add_argument("--no-incydr", action="store_true", help="c2c and the floor only (an A/B of two codecs)")
    args = ap.parse_args(argv)
    if not args.incydr and not args.no_incydr:
        print("incydr CLI not found (pip install '.[bench]', or --incydr PATH)")
        return 1
    sys.path.insert(0, str(args.plugin))
    from c2c import jsoncodec

    fast = jsoncodec.fast_backend()
    path = ensure_pages(args.events, PAGE_SIZE, 1, 30, False, args.plugin)
    variants = {"c2c": env(args.plugin, C2C_JSON_CODEC="stdlib")}
    if fast:
        variants[f"c2c[fast] ({fast})"] = env(args.plugin)
    cpu: dict[str, list[float]] = {}
    peak: dict[str, list[float]] = {}

    def record(label: str, seconds: float, mb: float) -> None:
        cpu.setdefault(label, []).append(seconds)
        peak.setdefault(label, []).append(mb)

    server_cmd = [sys.executable, str(Path(__file__).with_name("bench_pipeline.py")), "--serve", str(path)]
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(server_cmd, env()) as server:
        for _ in range(args.repeat):
            for label, environ in variants.items():
                r = run_c2c(server.base_url, Path(tmp), PAGE_SIZE, environ, args.events)
                if r["code"] != 0 or r["lines"] != args.events:
                    print(r["stderr"][-2000:], file=sys.stderr)
                    raise SystemExit(f"{label} exited {r['code']} after {r['lines']:,} lines")
                record(label, r["cpu"], r["peak"])
            if not args.no_incydr:
                r_incydr = run_incydr(args.incydr, server.base_url, args.events)
                record("incydr", r_incydr.cpu, r_incydr.peak_mb)
            floor_cpu, _, _ = run_floor(path, False, args.plugin)
            record("floor", floor_cpu, float("nan"))

    name = "" if args.no_incydr else f"incydr CLI {incydr_version(args.incydr)}"
    print(f"backfill: {args.events:,} Code42 file events in pages of {PAGE_SIZE:,} from one local server, "
          f"{args.repeat} interleaved round(s); whole processes, CPU and peak RSS from wait4 (median of rounds)")
    print(f"  ({rss_floor_note()})")
    for label in cpu:
        shown = {"incydr": name, "floor": "floor (json.loads + json.dumps)"}.get(label, label)
        seconds = statistics.median(cpu[label])
        mb = "" if label == "floor" else f"  peak RSS {statistics.median(peak[label]):6.1f} MB"
        print(f"  {shown:34s} {seconds:6.2f} s CPU  {seconds / args.events * 1e6:6.2f} us/event{mb}")
    checks: list[tuple[str, bool]] = []
    for label in variants:
        checks.append((f"{label} peak RSS {max(peak[label]):.1f} MB, worst round (target <= {TARGET_PEAK_MB:g} MB)",
                       max(peak[label]) <= TARGET_PEAK_MB))
        if args.no_incydr:
            continue
        less, share = ratios(cpu["incydr"], cpu[label]), ratios(peak[label], peak["incydr"])
        print(f"  {label}: {spread(less)}x less CPU than the {name}, peak RSS {spread(share)} of its")
        checks.append(at_least(f"{label} CPU, less than {name}'s:", less, TARGET_CPU))
        checks.append((f"{label} peak RSS {statistics.median(share):.2f} of {name}'s "
                       f"(target <= {TARGET_RSS_SHARE:g})", statistics.median(share) <= TARGET_RSS_SHARE))
    if fast:
        label = f"c2c[fast] ({fast})"
        gains = ratios(cpu["c2c"], cpu[label])
        print(f"  stdlib c2c CPU / {label} CPU: {spread(gains)}x")
        checks.append(at_least("fast extra CPU, less than stdlib c2c's:", gains, TARGET_FAST))
    else:
        print("  fast extra not installed: its target is not measured (pip install '.[fast]')")
    return finish(checks)


if __name__ == "__main__":
    sys.exit(main())
