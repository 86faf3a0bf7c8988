#!/usr/bin/env python3
"""CPU per event of outputFormat raw, ocsf and ecs on the Code42 file-events backfill, same pages, same run.

Not a pytest test. From the repository root:

    python tests/bench/bench_normalize.py [--events 200000] [--page-size 10000] [--repeat 2]

Reuses bench_pipeline.py's machinery: the pages pre-rendered once into $TMPDIR/c2c-bench (the Incydr
emulator's event shapes), served from a separate process, and `c2c run` as a subprocess whose CPU seconds
come from wait4(). Each format runs `--repeat` times from a fresh state (the fastest run counts: on a busy
machine this errs against nobody), alternating formats so that a burst of load hits them alike.
Prints CPU per event of each, the ratios to raw and pass/fail against the 1.5x target.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import CLIENT_ID, SECRET, pages_file, render_pages
from benchlib import PLUGIN, EmulatorProcess, c2c, env, verdict, wait_usage

TARGET_RATIO = 1.5
FORMATS = ("raw", "ocsf", "ecs")


def run_format(base_url: str, tmp: Path, page_size: int, plugin: Path, fmt: str) -> dict[str, Any]:
    """One `c2c run` of a fileEvents-only Code42 source with this outputFormat (bench_pipeline's config)."""
    conf = tmp / f"code42-{fmt}.json"
    conf.write_text(json.dumps({"api.version": "v1", "source": {
        "config": {"name": f"Code42 normalize bench {fmt}", "category": "code42/fileevents", "baseURL": base_url,
                   "clientID": CLIENT_ID, "secretKey": SECRET, "dataCollection": ["fileEvents"],
                   "firstRunLookbackHours": 2160, "requestsPerMinute": 110, "fileEventsPageSize": page_size,
                   "outputFormat": fmt},
        "schemaRef": {"type": "Code42Incydr"}, "sourceType": "Universal"}}))
    state = Path(tempfile.mkdtemp(dir=tmp))
    t0 = time.monotonic()
    proc = subprocess.Popen(c2c("run", str(conf), "--state-dir", str(state)), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(plugin))
    assert proc.stdout is not None
    assert proc.stderr is not None
    lines, size, first = 0, 0, b""
    while chunk := proc.stdout.read1(1 << 20):
        if not first:
            first = chunk[: chunk.find(b"\n")]
        lines += chunk.count(b"\n")
        size += len(chunk)
    stderr = proc.stderr.read().decode()
    code, cpu, peak = wait_usage(proc)
    return {"code": code, "cpu": cpu, "peak": peak, "lines": lines, "bytes": size, "stderr": stderr,
            "wall": time.monotonic() - t0, "first": json.loads(first) if first else {}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--page-size", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--span-days", type=float, default=30)
    ap.add_argument("--repeat", type=int, default=2, help="runs per format; the fastest counts")
    ap.add_argument("--plugin", type=Path, default=PLUGIN, help="the c2c plugin/ directory to measure")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(args.plugin))
    path = pages_file(args.events, args.page_size, args.seed, args.span_days, False)
    if not path.exists():
        print(f"rendering {args.events:,} events into {path} (once)", file=sys.stderr)
        render_pages(path, args.events, args.page_size, args.seed, args.span_days, False)
    server_cmd = [sys.executable, str(Path(__file__).resolve().parent / "bench_pipeline.py"), "--serve", str(path)]
    runs: dict[str, list[dict[str, Any]]] = {fmt: [] for fmt in FORMATS}
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(server_cmd, env(args.plugin)) as server:
        for _ in range(args.repeat):
            for fmt in FORMATS:
                r = run_format(server.base_url, Path(tmp), args.page_size, args.plugin, fmt)
                if r["code"] != 0 or r["lines"] != args.events:
                    print(r["stderr"][-2000:], file=sys.stderr)
                    raise SystemExit(f"{fmt}: c2c exited {r['code']} after {r['lines']:,} lines")
                runs[fmt].append(r)
    best = {fmt: min(rs, key=lambda r: r["cpu"]) for fmt, rs in runs.items()}
    assert "class_uid" in best["ocsf"]["first"], best["ocsf"]["first"]
    assert "@timestamp" in best["ecs"]["first"], best["ecs"]["first"]
    raw_cpu = best["raw"]["cpu"]
    print(f"normalize: {args.events:,} Code42 file events in pages of {args.page_size:,}, best of {args.repeat} "
          f"run(s) per format, c2c from {args.plugin}")
    for fmt in FORMATS:
        r = best[fmt]
        print(f"  {fmt:<5} {r['cpu']:7.2f} s CPU  {r['cpu'] / args.events * 1e6:6.2f} us/event  "
              f"{r['bytes'] / args.events:6.0f} bytes/event  x{r['cpu'] / raw_cpu:.2f} raw  "
              f"(peak RSS {r['peak']:.1f} MB; every run: {', '.join(format(x['cpu'], '.2f') for x in runs[fmt])} s)")
    checks = [(f"CPU {fmt}/raw {best[fmt]['cpu'] / raw_cpu:.2f} <= {TARGET_RATIO}",
               best[fmt]["cpu"] / raw_cpu <= TARGET_RATIO) for fmt in ("ocsf", "ecs")]
    for text, ok in checks:
        print(f"  {verdict(ok)}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
