"""Backfill N Code42 file events from the emulator through the real runner; print throughput and memory.

    PYTHONPATH=plugin python tests/bench/bench_code42_file_events.py [--events 1000000] [--unthrottled]

By default the collector keeps its documented budget (100 requests/minute + burst 10), as in production;
--unthrottled lifts both the client bucket and the emulator's 120/min limit to time the code alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from c2c import ratelimit
from c2c.config import load_sources
from c2c.emulator.code42 import IncydrService
from c2c.emulator.core import Emulator
from c2c.runner import Runner, RunOptions
from c2c.state import StateStore


class CountingSink:
    """Stands in for stdout: counts bytes and lines, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        self.lines += data.count(b"\n")
        return len(data)

    def flush(self) -> None:
        pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--page-size", type=int, default=10_000)
    ap.add_argument("--unthrottled", action="store_true")
    args = ap.parse_args()

    from c2c.output import Emitter

    emu = Emulator()
    emu.clock.freeze()
    svc = IncydrService(emu, events=args.events, span_s=20 * 3600, rate_limit=0 if args.unthrottled else 120)
    emu.start()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = {"name": "bench", "baseURL": emu.base_url, "clientID": svc.client_id, "secretKey": svc.secret,
               "dataCollection": ["fileEvents"], "fileEventsPageSize": args.page_size}
        path = Path(tmp) / "c.json"
        path.write_text(json.dumps({"api.version": "v1", "source": {"config": cfg, "schemaRef": {
            "type": "Code42Incydr"}, "sourceType": "Universal"}}))
        if args.unthrottled:
            ratelimit.install(f"{emu.base_url}\0{svc.client_id}", ratelimit.TokenBucket(1e9, 10**6))
        sink = CountingSink()
        t0 = time.perf_counter()
        runner = Runner(StateStore(Path(tmp) / "state"), Emitter(sink), RunOptions())  # type: ignore[arg-type]
        [outcome] = runner.run_cycle(load_sources([str(path)]))
        wall = time.perf_counter() - t0
        state = json.loads(next((Path(tmp) / "state").glob("*.json")).read_text())
        ids = len(state["cursors"]["fileEvents"]["ids"])
    emu.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pages = len(emu.requests_to("/v2/file-events"))
    print(f"events emitted     {sink.lines:,} of {args.events:,} (error: {outcome.error})")
    print(f"pages              {pages} x pgSize {args.page_size}")
    print(f"wall               {wall:.1f} s  ({sink.lines / wall:,.0f} events/s, {sink.bytes / wall / 1e6:.1f} MB/s)")
    print(f"peak RSS           {rss_mb:.0f} MB (emulator and collector in one process)")
    print(f"dedupe ids kept    {ids} (overlap 300 s)")
    print(f"429s from emulator {svc.throttled}")
    return 0 if outcome.error is None else 1


if __name__ == "__main__":
    sys.exit(main())
