"""Fixtures for the performance-contract tests: an in-process emulator serving Druva Realize events, and
`run`, which runs the real `c2c run` as a subprocess against it (the way Fluent Bit's exec input does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from c2c.emulator.core import Emulator
from c2c.emulator.druva import RealizeService

PLUGIN = Path(__file__).resolve().parents[2] / "plugin"
CLIENT_ID = "perf-client"
SECRET = "perf-Secret-9f8e7d"
TOKEN_PATH = "/token"
TRACKER_PATH = "/realize/eventmanagement/v1/events/tracker"


@dataclass
class Served:
    emu: Emulator
    svc: RealizeService

    @property
    def base_url(self) -> str:
        return self.emu.base_url

    def paths(self) -> list[str]:
        with self.emu.lock:
            return [r.path for r in self.emu.requests]

    def reset(self) -> None:
        with self.emu.lock:
            self.emu.requests.clear()
            self.emu.connections = 0
            self.emu.gzipped = 0


@pytest.fixture
def served() -> Iterator[Served]:
    emu = Emulator()
    svc = RealizeService(emu, CLIENT_ID, SECRET, seed=11, events=230, page_size=50)
    emu.start()
    try:
        yield Served(emu, svc)
    finally:
        emu.stop()


def source_doc(base_url: str, secret: str = SECRET, **extra: Any) -> dict[str, Any]:
    config = {"name": "perf source", "baseURL": base_url, "clientID": CLIENT_ID, "secretKey": secret, **extra}
    return {"api.version": "v1",
            "source": {"config": config, "schemaRef": {"type": "Druva Cyber Resilience"}, "sourceType": "Universal"}}


@pytest.fixture
def conf(tmp_path: Path, served: Served) -> Path:
    path = tmp_path / "source.json"
    path.write_text(json.dumps(source_doc(served.base_url)), encoding="utf-8")
    return path


@dataclass
class Result:
    code: int
    records: list[dict[str, Any]]
    stderr: str
    modules: set[str]


# Runs the CLI like `python -m c2c`, then lists every module the run loaded (into a file: stdout is NDJSON).
_RUNNER = """
import sys
from c2c.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("\\n".join(sorted(sys.modules)))
raise SystemExit(code)
"""


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    state_dir = tmp_path / "state"
    modules_file = tmp_path / "modules.txt"

    def run_c2c(*args: Any, env: dict[str, str] | None = None) -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("C2C_", "XDG_STATE_HOME"))}
        environ.update({"PYTHONPATH": str(PLUGIN), "C2C_STATE_DIR": str(state_dir), **(env or {})})
        proc = subprocess.run([sys.executable, "-c", _RUNNER, str(modules_file), *map(str, args)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, env=environ, timeout=60)
        assert "Traceback" not in proc.stderr, proc.stderr
        modules = set(modules_file.read_text().split()) if modules_file.exists() else set()
        modules_file.unlink(missing_ok=True)
        return Result(proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr, modules)

    return run_c2c
