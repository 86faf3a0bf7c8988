#!/usr/bin/env python3
"""The idle exec run: `c2c run` every minute with nothing new and a cached token.

Not a pytest test. From the repository root:

    python tests/bench/bench_idle.py [--runs 20]

Starts `c2c emulator` in its own process, collects the Druva Cyber Resilience demo source once (so the
token is cached and the backlog drained), runs once more to warm the page cache, then times --runs idle
runs as a shell would start them (interpreter start included). Prints wall time (min and median), the
child's CPU seconds, what each run asked the server (requests, token requests, TCP connections), the
modules an idle run must not import, and pass/fail against the target. For comparison it times
`python -c pass` and `python -c "import requests"`, the floor any requests-based exec plugin pays.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PLUGIN, EmulatorProcess, c2c, env, timed, verdict

TARGET_WALL = 0.25
TOKEN_PATH = "/token"
# Loaded only when used: the emulator (tests, demo), jsonschema (a config not yet validated), the
# inSync parsers (an inSync v1 source), dateutil (an unusual timestamp).
MUST_NOT_IMPORT = ("c2c.emulator", "jsonschema", "referencing", "c2c.formats", "dateutil", "uuid", "ctypes", "msgspec")


def measure(commands: dict[str, tuple[list[str], dict[str, str] | None]], runs: int
            ) -> dict[str, tuple[list[float], list[float]]]:
    """Run each command `runs` times, interleaved, so that a busy machine slows them all alike."""
    out: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in commands}
    for _ in range(runs):
        for label, (command, environ) in commands.items():
            result, wall, cpu = timed(command, env=environ)
            if result.returncode != 0:
                raise SystemExit(f"{label} exited {result.returncode}: {result.stderr.decode()[-500:]}")
            out[label][0].append(wall)
            out[label][1].append(cpu)
    return out


def imported_modules(command: list[str], environ: dict[str, str]) -> set[str]:
    result, _, _ = timed(command, env=environ)
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", result.stderr.decode(), re.M))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--baseline", type=Path, default=None, metavar="PLUGIN_DIR",
                    help="also time another checkout's plugin/ directory (before/after figures)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(c2c("emulator", "--events", "250")) as emu:
        conf = Path(tmp) / "source.json"
        conf.write_text(json.dumps(emu.ready["configs"][0]))
        runs = {"c2c run (idle)": (PLUGIN, Path(tmp) / "state")}
        if args.baseline:
            runs["baseline c2c run (idle)"] = (args.baseline.resolve(), Path(tmp) / "state-baseline")
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "python -c 'import requests'": ([sys.executable, "-c", "import requests"], None),
        }
        backlog = 0
        for label, (plugin, state) in runs.items():
            run = c2c("run", str(conf), "--state-dir", str(state))
            first, _, _ = timed(run, env=env(plugin))
            backlog = first.stdout.count(b"\n")
            timed(run, env=env(plugin))  # warm: the validated-config cache, the OS page cache
            commands[label] = (run, env(plugin))

        # What the server sees: a pass of c2c runs alone, then the timing pass, every command interleaved.
        counted = 5
        before_req, before_stats = emu.requests(), emu.stats()
        measure({"c2c run (idle)": commands["c2c run (idle)"]}, counted)
        after_stats = emu.stats()  # its own connection is counted too (the `- 1` below)
        new = emu.requests()[len(before_req):]
        token_requests = sum(1 for r in new if r["path"] == TOKEN_PATH)
        data_requests = len(new) - token_requests
        connections = after_stats["connections"] - before_stats["connections"] - 1
        times = measure(commands, args.runs)
        state = runs["c2c run (idle)"][1]
        loaded = imported_modules(c2c("run", str(conf), "--state-dir", str(state), python_flags=("-X", "importtime")),
                                  env())
        bad = sorted(m for m in loaded if any(m == p or m.startswith(p + ".") for p in MUST_NOT_IMPORT))

    walls, cpus = times["c2c run (idle)"]
    med_wall, med_cpu = statistics.median(walls), statistics.median(cpus)
    print(f"idle exec run: Druva Cyber Resilience source, {backlog} events drained first, {args.runs} idle runs")
    print(f"  {'':32} {'wall min':>9} {'wall med':>9} {'CPU med':>9}")
    for label in commands:
        w, c = times[label]
        print(f"  {label:32} {min(w):8.3f}s {statistics.median(w):8.3f}s {statistics.median(c):8.3f}s")
    print(f"  per idle run: {data_requests / counted:g} data request(s), {token_requests / counted:g} token "
          f"request(s), {connections / counted:g} TCP connection(s)")
    print(f"  modules that must stay unloaded but were loaded: {', '.join(bad) or 'none'}")
    checks = [
        (f"median wall {med_wall:.3f}s <= {TARGET_WALL}s", med_wall <= TARGET_WALL),
        ("no token request with a cached token", token_requests == 0),
        ("one request per data type (1)", data_requests == counted),
        ("one TCP connection per run", connections == counted),
        ("lazy imports", not bad),
    ]
    for text, ok in checks:
        print(f"  {verdict(ok)}  {text}")
    own = med_cpu - statistics.median(times["python -c 'import requests'"][1])
    print(f"  (median CPU {med_cpu:.3f}s; c2c's own share above `import requests`: {own:.3f}s)")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
