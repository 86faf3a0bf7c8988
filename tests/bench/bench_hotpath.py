#!/usr/bin/env python3
"""The per-event hot path in one process, c2c and the floor interleaved: less noise than bench_pipeline.py on
a busy machine, for deciding whether an optimisation helps.

Not a pytest test. From the repository root:

    python tests/bench/bench_hotpath.py [--events 100000] [--repeat 5] [--plugin DIR]

Serves bench_pipeline.py's pre-rendered pages from a separate process, then alternates, --repeat times:
the real Runner collecting them (HTTP client, dedupe, records, writes to /dev/null, checkpoints) and the
floor (json.loads of the same bodies, json.dumps of each event, one write per page). Prints the best CPU
time of each (interpreter start excluded) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import CLIENT_ID, SECRET, load_pages, pages_file, render_pages
from benchlib import PLUGIN, EmulatorProcess, env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--page-size", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--plugin", type=Path, default=PLUGIN)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.plugin.resolve()))

    from c2c import ratelimit
    from c2c.config import load_sources
    from c2c.output import Emitter
    from c2c.runner import Runner
    from c2c.state import StateStore

    path = pages_file(args.events, args.page_size, 1, 30, False)
    if not path.exists():
        render_pages(path, args.events, args.page_size, 1, 30, False)
    mm, index = load_pages(path)
    bodies = [mm[o:o + n] for o, n, _ in index]

    def floor() -> float:
        t0 = time.process_time()
        with open("/dev/null", "wb") as out:
            for body in bodies:
                events = json.loads(body)["fileEvents"]
                out.write(("\n".join([json.dumps(e) for e in events]) + "\n").encode())
        return time.process_time() - t0

    server = [sys.executable, str(Path(__file__).with_name("bench_pipeline.py")), "--serve", str(path)]
    with EmulatorProcess(server, env(args.plugin)) as emu, tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "c.json"
        conf.write_text(json.dumps({"api.version": "v1", "source": {
            "config": {"name": "hotpath", "baseURL": emu.base_url, "clientID": CLIENT_ID, "secretKey": SECRET,
                       "dataCollection": ["fileEvents"], "firstRunLookbackHours": 2160,
                       "fileEventsPageSize": args.page_size},
            "schemaRef": {"type": "Code42Incydr"}, "sourceType": "Universal"}}))
        sources = load_sources([str(conf)])

        def c2c(i: int) -> float:
            ratelimit.forget()  # a fresh budget per run: its waits are not CPU, but they are wall time
            with open("/dev/null", "wb") as out:
                runner = Runner(StateStore(Path(tmp) / f"state{i}"), Emitter(out))
                t0 = time.process_time()
                [outcome] = runner.run_cycle(sources)
                spent = time.process_time() - t0
            assert outcome.error is None, outcome
            assert outcome.events == args.events, outcome
            return spent

        best_c2c = best_floor = float("inf")
        for i in range(args.repeat):
            best_floor = min(best_floor, floor())
            best_c2c = min(best_c2c, c2c(i))
    n = args.events
    print(f"hot path, {n:,} events, best of {args.repeat} (c2c from {args.plugin}):")
    print(f"  c2c   {best_c2c:6.2f} s  {best_c2c / n * 1e6:6.2f} us/event")
    print(f"  floor {best_floor:6.2f} s  {best_floor / n * 1e6:6.2f} us/event")
    print(f"  ratio {best_c2c / best_floor:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
