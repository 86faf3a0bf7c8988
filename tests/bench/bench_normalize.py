#!/usr/bin/env python3
"""CPU per event of outputFormat raw, ocsf and ecs on the Code42 file-events backfill, same pages, same run.

Not a pytest test. From the repository root:

    python tests/bench/bench_normalize.py [--events 200000] [--page-size 10000] [--repeat 2] [--codecs stdlib,msgspec]

Reuses bench_pipeline.py's machinery: the pages pre-rendered once into $TMPDIR/c2c-bench (the Incydr
emulator's event shapes), served from a separate process, and `c2c run` as a subprocess whose CPU seconds
come from wait4(). Each format runs `--repeat` times from a fresh state (the fastest run counts: on a busy
machine this errs against nobody), alternating formats so that a burst of load hits them alike.
Each JSON codec in turn: the standard library's (`C2C_JSON_CODEC=stdlib`, the default install) and
msgspec's (the `fast` extra, when installed), each format's ratio to raw of the same codec.
Prints CPU per event of each, the ratios to raw and pass/fail against the 1.5x target; the exit status is
the default install's (stdlib), the fast extra's ratios are reported (not a target).
"""

from __future__ import annotations

import argparse
import importlib.util
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


def run_format(base_url: str, tmp: Path, page_size: int, plugin: Path, fmt: str, codec: str) -> dict[str, Any]:
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
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env(plugin, **({"C2C_JSON_CODEC": "stdlib"} if codec == "stdlib" else {})))
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
    ap.add_argument("--codecs", default="stdlib,msgspec", help="JSON codecs to measure (msgspec when installed)")
    args = ap.parse_args(argv)
    codecs = [c for c in args.codecs.split(",") if c == "stdlib" or importlib.util.find_spec(c) is not None]

    sys.path.insert(0, str(args.plugin))
    path = pages_file(args.events, args.page_size, args.seed, args.span_days, False)
    if not path.exists():
        print(f"rendering {args.events:,} events into {path} (once)", file=sys.stderr)
        render_pages(path, args.events, args.page_size, args.seed, args.span_days, False)
    server_cmd = [sys.executable, str(Path(__file__).resolve().parent / "bench_pipeline.py"), "--serve", str(path)]
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {(c, fmt): [] for c in codecs for fmt in FORMATS}
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(server_cmd, env(args.plugin)) as server:
        for _ in range(args.repeat):
            for codec in codecs:
                for fmt in FORMATS:
                    r = run_format(server.base_url, Path(tmp), args.page_size, args.plugin, fmt, codec)
                    if r["code"] != 0 or r["lines"] != args.events:
                        print(r["stderr"][-2000:], file=sys.stderr)
                        raise SystemExit(f"{fmt}/{codec}: c2c exited {r['code']} after {r['lines']:,} lines")
                    runs[codec, fmt].append(r)
    best = {key: min(rs, key=lambda r: r["cpu"]) for key, rs in runs.items()}
    print(f"normalize: {args.events:,} Code42 file events in pages of {args.page_size:,}, best of {args.repeat} "
          f"run(s) per format and codec, c2c from {args.plugin}")
    ok = True
    for codec in codecs:
        assert "class_uid" in best[codec, "ocsf"]["first"], best[codec, "ocsf"]["first"]
        assert "@timestamp" in best[codec, "ecs"]["first"], best[codec, "ecs"]["first"]
        raw_cpu = best[codec, "raw"]["cpu"]
        print(f"  {codec}{' (the default install)' if codec == 'stdlib' else ' (the fast extra: reported)'}:")
        for fmt in FORMATS:
            r = best[codec, fmt]
            print(f"    {fmt:<5} {r['cpu']:7.2f} s CPU  {r['cpu'] / args.events * 1e6:6.2f} us/event  "
                  f"{r['bytes'] / args.events:6.0f} bytes/event  x{r['cpu'] / raw_cpu:.2f} raw  (peak RSS "
                  f"{r['peak']:.1f} MB; every run: {', '.join(format(x['cpu'], '.2f') for x in runs[codec, fmt])} s)")
        for fmt in ("ocsf", "ecs"):
            ratio = best[codec, fmt]["cpu"] / raw_cpu
            if codec != "stdlib":  # reported only: the target is the default install's (run_all reads no verdict)
                print(f"    (not a target)  CPU {fmt}/raw {ratio:.2f}")
                continue
            print(f"    {verdict(ratio <= TARGET_RATIO)}  CPU {fmt}/raw {ratio:.2f} <= {TARGET_RATIO}")
            ok = ok and ratio <= TARGET_RATIO
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
