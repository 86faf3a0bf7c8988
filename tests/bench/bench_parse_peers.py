#!/usr/bin/env python3
"""Whole-process `c2c parse cef|syslog` against pycef and syslog-rfc5424-parser, in one run.

Not a pytest test. From the repository root:

    python tests/bench/bench_parse_peers.py [--lines 200000] [--repeat 3]

Renders --lines Druva inSync lines of each format once into $TMPDIR/c2c-bench (the generator of
bench_parsers.py; CEF with the Signature ID filled, or pycef returns None for every Druva line), then,
interleaved and --repeat times:

- `c2c parse FORMAT FILE` as a user runs it (`python -m c2c`, interpreter start included), its stdout
  drained through a pipe; with the fast extra installed, once with `C2C_JSON_CODEC=stdlib` and once with
  the extra;
- the peer: a process that imports the peer library, reads the same file line by line, parses each line
  and writes it as one JSON line (`json.dumps`, 500 lines per write), as a tool built on that library
  would. Its time starts after its interpreter has started (from before the library import), which
  favours the peer.

CPU seconds come from wait4() (c2c) and from the peer's own process_time(). Ratios are peer CPU / c2c CPU
within each round; the median round counts and the spread (min-max) is printed. Pass/fail against the
targets: >= 3x pycef, >= 5x syslog-rfc5424-parser, and (with the extra) >= 1.4x less CPU than stdlib.
Needs `pip install '.[bench]'` (pycef==1.11, syslog-rfc5424-parser==0.3.2).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PLUGIN, Drained, at_least, bench_dir, c2c, env, finish, ratios, rss_floor_note, spread

TARGETS = {"cef": 3.0, "syslog": 5.0}
TARGET_FAST = 1.4
PEERS = {"cef": ("pycef", "pycef"), "syslog": ("syslog-rfc5424-parser", "syslog_rfc5424_parser")}
BATCH = 500


def input_file(fmt: str, lines: int) -> Path:
    path = bench_dir() / f"insync-{fmt}-{lines}-v1.txt"
    if not path.exists():  # rendered by a child, so that this process stays small while it measures others
        subprocess.run([sys.executable, __file__, "--render", fmt, str(lines), str(path)], check=True)
    return path


def render(fmt: str, lines: int, path: Path) -> int:
    from bench_parsers import build_events, to_cef, to_syslog

    events = build_events(lines)
    text = "".join((to_cef(e, "AuditTrail") if fmt == "cef" else to_syslog(e)) + "\n" for e in events)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.rename(path)
    return 0


def peer(fmt: str, path: str) -> int:
    """The peer's process: library import, read, parse, one JSON line per input line."""
    t0 = time.process_time()
    import logging

    if fmt == "cef":
        import pycef  # type: ignore[import-untyped]

        logging.getLogger("pycef").propagate = False

        def parse(line: str) -> object:
            return pycef.parse(line)
    else:
        from syslog_rfc5424_parser import SyslogMessage  # type: ignore[import-untyped]
        from syslog_rfc5424_parser.message import ParseError  # type: ignore[import-untyped]

        def parse(line: str) -> object:
            try:
                return SyslogMessage.parse(line).as_dict()
            except ParseError:
                return {"_raw": line}

    dumps, out, batch, n = json.dumps, sys.stdout, [], 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            batch.append(dumps(parse(line.rstrip("\r\n")), ensure_ascii=False) + "\n")
            n += 1
            if len(batch) >= BATCH:
                out.write("".join(batch))
                out.flush()
                batch.clear()
    out.write("".join(batch))
    out.flush()
    print(json.dumps({"lines": n, "cpu": time.process_time() - t0}), file=sys.stderr)
    return 0


def fast_extra() -> str | None:
    """The fast codec c2c would pick here, or None."""
    sys.path.insert(0, str(PLUGIN))
    from c2c import jsoncodec

    return jsoncodec.fast_backend()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer", nargs=2, metavar=("FORMAT", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--render", nargs=3, metavar=("FORMAT", "LINES", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.peer:
        return peer(*args.peer)
    if args.render:
        return render(args.render[0], int(args.render[1]), Path(args.render[2]))

    missing = [dist for dist, module in PEERS.values() if importlib.util.find_spec(module) is None]
    if missing:
        print(f"peers missing: {', '.join(missing)} (pip install '.[bench]')")
        return 1
    fast = fast_extra()
    paths = {fmt: input_file(fmt, args.lines) for fmt in PEERS}
    variants = {"c2c": env(C2C_JSON_CODEC="stdlib")}
    if fast:
        variants[f"c2c[fast] ({fast})"] = env()
    cpu: dict[tuple[str, str], list[float]] = {}
    rss: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for fmt, path in paths.items():
            for label, environ in variants.items():
                run = Drained(c2c("parse", fmt, str(path)), environ)
                run.check(f"{label} parse {fmt}", args.lines)
                cpu.setdefault((fmt, label), []).append(run.cpu)
                rss.setdefault((fmt, label), []).append(run.peak_mb)
            run = Drained([sys.executable, __file__, "--peer", fmt, str(path)], env())
            run.check(f"peer {fmt}", args.lines)
            cpu.setdefault((fmt, "peer"), []).append(json.loads(run.stderr)["cpu"])
            rss.setdefault((fmt, "peer"), []).append(run.peak_mb)

    print(f"parse: {args.lines:,} Druva inSync lines per format, {args.repeat} interleaved round(s); "
          "CPU seconds (median of rounds), lines per CPU second; c2c whole process, peers after interpreter start")
    print(f"  ({rss_floor_note()})")
    checks: list[tuple[str, bool]] = []
    for fmt in paths:
        dist = PEERS[fmt][0]
        name = f"{dist} {importlib.metadata.version(dist)}"
        for label in [*variants, "peer"]:
            seconds = statistics.median(cpu[fmt, label])
            shown = name if label == "peer" else label
            print(f"  {fmt:6s}  {shown:34s} {seconds:6.2f} s CPU  {args.lines / seconds:9,.0f} lines/s  "
                  f"peak RSS {statistics.median(rss[fmt, label]):5.1f} MB")
        for label in variants:
            vs_peer = ratios(cpu[fmt, "peer"], cpu[fmt, label])
            print(f"  {fmt:6s}  ratio {label} / {name}: {spread(vs_peer)}x")
            checks.append(at_least(f"parse {fmt}: {label} CPU, less than {name}'s:", vs_peer, TARGETS[fmt]))
        if fast:
            label = f"c2c[fast] ({fast})"
            gains = ratios(cpu[fmt, "c2c"], cpu[fmt, label])
            print(f"  {fmt:6s}  stdlib c2c CPU / {label} CPU: {spread(gains)}x")
            checks.append(at_least(f"parse {fmt}: fast extra CPU, less than stdlib c2c's:", gains, TARGET_FAST))
    if not fast:
        print("  fast extra not installed: its targets are not measured (pip install '.[fast]')")
    return finish(checks)


if __name__ == "__main__":
    sys.exit(main())
