"""`c2c demo`: start the emulator on a free loopback port, run every source once, print real NDJSON.

The records are collected into a temporary file, then copied to stdout: a reader that stops early
(`c2c demo | head -2`, a natural first move) ends the demo quietly with exit 0, since nothing is at stake.
A summary on stderr says what was emitted, per source and data type, and where the state went.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from c2c.emulator.services import Settings, demo_configs, start_all

log = logging.getLogger(__name__)


def run_demo(seed: int = 1) -> int:
    from c2c.cli import _load, run_sources
    from c2c.output import Emitter
    from c2c.state import StateStore

    settings = Settings(seed=seed)
    emu, _ = start_all(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="c2c-demo-") as tmp:
            files = []
            for i, doc in enumerate(demo_configs(emu.base_url, settings)):
                path = Path(tmp) / f"source{i}.json"
                path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
                files.append(str(path))
            log.info("demo: emulator on %s; collecting %d source(s) once", emu.base_url, len(files))
            records = Path(tmp) / "records.ndjson"
            with records.open("w+b") as out:
                code = run_sources(_load(files), StateStore(Path(tmp) / "state"), emitter=Emitter(out))
                out.seek(0)
                delivered = copy_to_stdout(out)
                out.seek(0)
                counts = tally(out)
            for line in summary(counts, delivered):
                log.info("%s", line)
            return code
    finally:
        emu.stop()


def copy_to_stdout(src: BinaryIO) -> bool:
    """Copy the records to stdout; False when the reader closed it first (quietly: that is the reader's choice)."""
    from c2c.output import broken_pipe_safe_exit

    try:
        shutil.copyfileobj(src, sys.stdout.buffer, 1 << 16)
        sys.stdout.buffer.flush()
    except (BrokenPipeError, ConnectionResetError, ValueError):
        broken_pipe_safe_exit()
        return False
    return True


def tally(lines: BinaryIO) -> Counter[tuple[str, str]]:
    """Records per (source, data type), in the order they first appear."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in lines:
        record = json.loads(line)
        counts[(record["_source"], record["_dataType"])] += 1
    return counts


def summary(counts: Counter[tuple[str, str]], delivered: bool) -> list[str]:
    from c2c.state import default_state_dir

    total = sum(counts.values())
    width = max((len(source) for source, _ in counts), default=0)
    lines = [f"demo: {total} record(s) written to stdout:" if delivered else
             f"demo: {total} record(s) collected; the reader closed stdout before the end (fine for a demo):"]
    previous = None
    for (source, data_type), n in counts.items():
        lines.append(f"  {source if source != previous else '':<{width}}  {data_type:<14} {n:>6}")
        previous = source
    lines.append("demo: the state (one file per source: its cursors, cached token and last error) went to a temporary "
                 "directory, now removed; `c2c run` keeps it in --state-dir (default "
                 f"{default_state_dir()}), so each run continues where the last one stopped")
    lines.append("demo: `c2c emulator` serves the same APIs until Ctrl-C; see the README to set up a real source")
    return lines
