#!/usr/bin/env python3
"""Pipeline cost and memory of a Code42 file-event backfill: c2c against the floor of what Python can do.

Not a pytest test. From the repository root:

    python tests/bench/bench_pipeline.py [--events 1000000] [--page-size 10000] [--gzip]

1. Renders the backfill once, as Code42 answers it (pages of --page-size file events, the Incydr
   emulator's event shapes, `nextPgToken` paging), into a cache file under $TMPDIR/c2c-bench (reused by
   later runs: rendering 1,000,000 events takes ~30 s).
2. Serves those pre-rendered bodies from a separate process (the emulator core, /v1/oauth + POST
   /v2/file-events), so the server costs little and none of its CPU is counted as c2c's.
3. Runs `c2c run` on a Code42Incydr source (fileEvents only) as a subprocess, reading its stdout as a
   shipper would; takes its CPU seconds and peak RSS from wait4(), and its RSS from /proc/<pid>/status
   when the 100,000th and the last event arrive.
4. The floor, in another subprocess, before and after c2c (the faster run counts): json.loads of the same
   page bodies, json.dumps of each event, and one write per page to a pipe that this script drains (as it
   drains c2c's stdout).

Prints CPU per event for both, the ratio, the RSS figures and pass/fail against each target. The run
spends most of its wall time waiting on c2c's own rate limiter (Code42 allows 120 requests a minute;
c2c's maximum setting is 110), which costs no CPU.
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PLUGIN, Drained, EmulatorProcess, c2c, env, finish, rss_mb

TARGET_RATIO = 1.2
TARGET_PEAK_MB = 55.0
TARGET_GROWTH = 1.1
SAMPLE_AT = 100_000
FORMAT_VERSION = "v1"
CLIENT_ID, SECRET = "bench-client", "bench-secret"
BASE_NS = 1_750_000_000 * 1_000_000_000  # a fixed anchor, so the cache file is reusable


# ---- the pre-rendered pages ------------------------------------------------------------------------
def pages_file(events: int, page_size: int, seed: int, span_days: float, gz: bool) -> Path:
    root = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "c2c-bench"
    root.mkdir(exist_ok=True)
    return root / f"file-events-{events}-{page_size}-{seed}-{span_days:g}d{'-gz' if gz else ''}-{FORMAT_VERSION}.bin"


def render_pages(path: Path, events: int, page_size: int, seed: int, span_days: float, gz: bool) -> None:
    """Page bodies back to back, then an index (offsets and page tokens) as the last line."""
    import gzip

    from c2c.emulator.code42 import FileEventSequence

    # Inserted over `span_days` (bursts of 4 share an instant), so the dedupe set of the overlap window
    # holds overlapSeconds / (span / events) ids: ~115 for 1,000,000 events over 30 days.
    seq = FileEventSequence(seed, BASE_NS, events, max(1, int(span_days * 86400 * 10**9) // events))
    tmp = path.with_suffix(".tmp")
    offsets, t0 = [], time.monotonic()
    with tmp.open("wb") as f:
        for first in range(0, events, page_size):
            last = min(events, first + page_size)
            token = seq.event_id(last - 1) if last < events else None
            body = (
                '{"fileEvents":[' + ",".join(seq.render(i) for i in range(first, last)) + "],"
                f'"nextPgToken":{json.dumps(token)},"problems":null,"totalCount":{events}}}'
            ).encode()
            if gz:
                body = gzip.compress(body, 6)
            offsets.append((f.tell(), len(body), token))
            f.write(body)
            if first // page_size % 10 == 9:
                print(f"  rendered {last:,} events ({time.monotonic() - t0:.0f} s)", file=sys.stderr)
        f.write(b"\n" + json.dumps(offsets).encode())
    tmp.rename(path)


def load_pages(path: Path) -> tuple[mmap.mmap, list[tuple[int, int, str | None]]]:
    with path.open("rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    index_at = mm.rfind(b"\n") + 1
    return mm, [tuple(x) for x in json.loads(mm[index_at:])]  # type: ignore[misc]


def ensure_pages(events: int, page_size: int, seed: int, span_days: float, gz: bool, plugin: Path) -> Path:
    """The cache file, rendered first if missing: by a child process, so that this one stays small (wait4's
    peak RSS of a child counts the parent's pages it was forked with)."""
    path = pages_file(events, page_size, seed, span_days, gz)
    if not path.exists():
        print(f"rendering {events:,} events into {path} (once)", file=sys.stderr)
        subprocess.run([sys.executable, __file__, "--render", str(path), "--events", str(events), "--page-size",
                        str(page_size), "--seed", str(seed), "--span-days", str(span_days), "--plugin", str(plugin)]
                       + (["--gzip"] if gz else []), check=True)
    return path


# ---- child process roles -----------------------------------------------------------------------------
def serve(path: Path, gz: bool) -> int:
    """The server: /v1/oauth and POST /v2/file-events answering from the pre-rendered pages."""
    from c2c.emulator.core import Emulator, Request, Response
    from c2c.emulator.oauth import TokenIssuer

    mm, index = load_pages(path)
    by_token = {"": 0} | {tok: i + 1 for i, (_, _, tok) in enumerate(index) if tok is not None}
    emu = Emulator()
    issuer = TokenIssuer(CLIENT_ID, SECRET, 900, emu.clock, bad_credentials=lambda: Response(401, {}))
    emu.route("POST", "/v1/oauth", issuer.issue)

    def file_events(req: Request) -> Response:
        denied = issuer.check(req)
        if denied is not None:
            return denied
        page = by_token.get(req.json().get("pgToken") or "")
        if page is None or page >= len(index):
            return Response(400, {"problems": [{"type": "INVALID_PAGE_TOKEN"}], "fileEvents": None})
        offset, length, _ = index[page]
        if gz:
            return Response(200, b"", {"Content-Type": "application/json"}, gzipped=mm[offset:offset + length])
        return Response(200, mm[offset:offset + length], {"Content-Type": "application/json"})

    emu.route("POST", "/v2/file-events", file_events)
    emu.gzip, emu.gzip_min_bytes = gz, 0
    emu.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({"baseURL": emu.base_url}), flush=True)
    while True:
        time.sleep(3600)


def floor(path: Path, gz: bool) -> int:
    """json.loads of every page body, json.dumps of each event, one write per page."""
    import gzip

    mm, index = load_pages(path)
    t0 = time.process_time()
    n = 0
    out = sys.stdout.buffer  # a pipe the parent drains, as it drains c2c's
    for offset, length, _ in index:
        body = mm[offset:offset + length]
        if gz:
            body = gzip.decompress(body)
        events = json.loads(body)["fileEvents"]
        out.write(("\n".join([json.dumps(e) for e in events]) + "\n").encode())
        out.flush()
        n += len(events)
    print(json.dumps({"events": n, "loop_cpu": time.process_time() - t0}), file=sys.stderr, flush=True)
    return 0


# ---- measuring -----------------------------------------------------------------------------------------
def run_floor(path: Path, gz: bool, plugin: Path) -> tuple[float, float, int]:
    """(CPU seconds of the whole process, of its loop alone, events) of the floor."""
    r = Drained([sys.executable, __file__, "--floor", str(path)] + (["--gzip"] if gz else []), env(plugin))
    result = json.loads(r.stderr)
    r.check("floor", result["events"])
    return r.cpu, result["loop_cpu"], result["events"]


def c2c_config(base_url: str, tmp: Path, page_size: int) -> Path:
    conf = tmp / "code42.json"
    conf.write_text(json.dumps({"api.version": "v1", "source": {
        "config": {"name": "Code42 backfill bench", "category": "code42/fileevents", "baseURL": base_url,
                   "clientID": CLIENT_ID, "secretKey": SECRET, "dataCollection": ["fileEvents"],
                   "firstRunLookbackHours": 2160, "requestsPerMinute": 110, "fileEventsPageSize": page_size},
        "schemaRef": {"type": "Code42Incydr"}, "sourceType": "Universal"}}))
    return conf


def run_c2c(base_url: str, tmp: Path, page_size: int, environ: dict[str, str], expected: int) -> dict[str, Any]:
    """`c2c run` of a fresh state directory: CPU and peak RSS (wait4), RSS at SAMPLE_AT and at the end."""
    conf = c2c_config(base_url, tmp, page_size)
    state = tmp / f"state-{time.monotonic_ns()}"
    samples: dict[int, float] = {}

    def sample(pid: int, lines: int) -> None:
        for at in (SAMPLE_AT, expected):
            if lines >= at and at not in samples:
                samples[at] = rss_mb(pid)  # c2c has just flushed this page; it is not gone yet

    r = Drained(c2c("run", str(conf), "--state-dir", str(state)), environ, sample)
    return {"code": r.code, "cpu": r.cpu, "peak": r.peak_mb, "lines": r.lines, "samples": samples,
            "stderr": r.stderr, "wall": r.wall, "first": json.loads(r.first) if r.first else {},
            "last": json.loads(r.last) if r.last else {}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--page-size", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--span-days", type=float, default=30, help="the backfill's events were inserted over this")
    ap.add_argument("--gzip", action="store_true", help="serve gzip (c2c then also pays for decompressing)")
    ap.add_argument("--plugin", type=Path, default=PLUGIN, help="the c2c plugin/ directory to measure")
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--codec", choices=("stdlib", "auto"), default="stdlib",
                    help="C2C_JSON_CODEC for c2c: stdlib (default; the floor is stdlib too) or auto (the fast extra)")
    ap.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--render", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.gzip)
    if args.floor:
        return floor(args.floor, args.gzip)
    if args.render:
        sys.path.insert(0, str(args.plugin))  # the emulator's event shapes
        render_pages(args.render, args.events, args.page_size, args.seed, args.span_days, args.gzip)
        return 0

    path = ensure_pages(args.events, args.page_size, args.seed, args.span_days, args.gzip, args.plugin)
    floor_cpu, floor_loop, floor_events = run_floor(path, args.gzip, args.plugin)
    assert floor_events == args.events, floor_events

    server_cmd = [sys.executable, __file__, "--serve", str(path)] + (["--gzip"] if args.gzip else [])
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(server_cmd, env(args.plugin)) as server:
        environ = env(args.plugin, C2C_JSON_CODEC=args.codec)
        r = run_c2c(server.base_url, Path(tmp), args.page_size, environ, args.events)
        stats = server.stats()
        requests = server.requests()
    # The floor again after c2c, keeping the faster of the two: on a busy machine this errs against c2c.
    again = run_floor(path, args.gzip, args.plugin)
    floor_cpu, floor_loop = min((floor_cpu, floor_loop), again[:2])
    if r["code"] != 0 or r["lines"] != args.events:
        print(r["stderr"][-2000:], file=sys.stderr)
        raise SystemExit(f"c2c exited {r['code']} after {r['lines']:,} lines (expected {args.events:,})")
    assert r["first"].get("_dataType") == "fileEvents", r["first"]
    assert r["last"].get("_dataType") == "fileEvents", r["last"]

    per_c2c, per_floor = r["cpu"] / args.events * 1e6, floor_cpu / args.events * 1e6
    ratio = r["cpu"] / floor_cpu
    at_sample, at_end = r["samples"].get(SAMPLE_AT, float("nan")), r["samples"].get(args.events, float("nan"))
    growth = at_end / at_sample
    pages = sum(1 for q in requests if q["path"] == "/v2/file-events")
    print(f"pipeline: {args.events:,} Code42 file events inserted over {args.span_days:g} days, in pages of "
          f"{args.page_size:,}"
          f"{' (gzip)' if args.gzip else ''}, c2c from {args.plugin}, JSON codec {args.codec}")
    print(f"  c2c run      {r['cpu']:7.2f} s CPU  {per_c2c:6.2f} us/event  (wall {r['wall']:.1f} s, mostly the "
          "rate limiter's waits)")
    print(f"  floor        {floor_cpu:7.2f} s CPU  {per_floor:6.2f} us/event  (json.loads + json.dumps + write; "
          f"loop alone {floor_loop:.2f} s)")
    print(f"  memory       peak RSS {r['peak']:.1f} MB; RSS {at_sample:.1f} MB at {SAMPLE_AT:,} events, "
          f"{at_end:.1f} MB at {args.events:,}")
    print(f"  requests     {pages} file-event pages, {len(requests) - pages} other, {stats['connections'] - 1} "
          f"TCP connection(s)")
    checks = [
        (f"CPU ratio c2c/floor {ratio:.2f} <= {TARGET_RATIO}", ratio <= TARGET_RATIO),
        (f"peak RSS {r['peak']:.1f} MB <= {TARGET_PEAK_MB:g} MB", r["peak"] <= TARGET_PEAK_MB),
        (f"RSS growth {at_end:.1f}/{at_sample:.1f} = {growth:.3f} <= {TARGET_GROWTH}", growth <= TARGET_GROWTH),
        ("one TCP connection", stats["connections"] - 1 == 1),
    ]
    return finish(checks)


if __name__ == "__main__":
    sys.exit(main())
