"""`c2c demo`: start the emulator on a free loopback port, run every source once, print real NDJSON."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

from c2c.emulator.services import Settings, demo_configs, start_all

log = logging.getLogger(__name__)


def run_demo(seed: int = 1) -> int:
    from c2c.cli import _load, run_sources
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
            code = run_sources(_load(files), StateStore(Path(tmp) / "state"))
            log.info("demo: done (exit %d); `c2c emulator` serves the same APIs until Ctrl-C", code)
            return code
    finally:
        emu.stop()
