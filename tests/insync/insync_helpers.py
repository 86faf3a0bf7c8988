"""Helpers for the Druva inSync tests: configs, an in-process collector, `c2c` as a subprocess.

A uniquely named module (not conftest) so that test modules can import it whatever other areas do."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c2c.config import load_sources
from c2c.emulator.insync import DEMO_USERNAME
from c2c.output import Emitter
from c2c.runner import Outcome, Runner
from c2c.state import StateStore

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
CLIENT_ID, SECRET, API_TOKEN = "insync-client", "insync-secret-value", "insync-api-token-value"


def v1_config(base_url: str, fmt: str = "CEF", name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name or f"inSync v1 {fmt}", "baseURL": base_url, "username": DEMO_USERNAME,
            "token": API_TOKEN, "format": fmt, **extra}


def v2_config(base_url: str, name: str = "inSync v2", **extra: Any) -> dict[str, Any]:
    return {"name": name, "baseURL": base_url, "clientID": CLIENT_ID, "secretKey": SECRET, **extra}


def write_config(path: Path, *configs: dict[str, Any]) -> Path:
    entries = [{"config": c, "schemaRef": {"type": "Druva inSync"}, "sourceType": "Universal"} for c in configs]
    doc = {"api.version": "v1", **({"source": entries[0]} if len(entries) == 1 else {"sources": entries})}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@dataclass
class Run:
    records: list[dict[str, Any]]
    outcomes: list[Outcome]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["_dataType"] == "insyncEvents"]

    @property
    def health(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["_dataType"] == "health"]


class Collector:
    """Runs one collection cycle in-process, the way `c2c run` does, with stdout captured."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.store = StateStore(tmp_path / "state")

    def config(self, *configs: dict[str, Any]) -> Path:
        return write_config(self.tmp_path / "insync.json", *configs)

    def run(self, *configs: dict[str, Any], stream: Any = None) -> Run:
        sources = load_sources([str(self.config(*configs))])
        buf = stream if stream is not None else io.BytesIO()
        outcomes = Runner(self.store, Emitter(buf)).run_cycle(sources)
        raw = buf.written if hasattr(buf, "written") else buf.getvalue()
        return Run([json.loads(line) for line in raw.splitlines()], outcomes)

    def state(self, name: str) -> dict[str, Any]:
        data = self.store.read(name)
        assert data is not None
        return data

    def restart(self, name: str) -> None:
        """What `c2c restart NAME` does: forget the error and its backoff, keep the cursor."""
        with self.store.open(name) as state:
            for entry in (state.record, *state.record.data_types.values()):
                entry.error = entry.next_attempt = None
            state.save()

    def cursor(self, name: str) -> dict[str, Any]:
        return self.state(name)["cursors"]["insyncEvents"]


def c2c(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """`python -m c2c ...` with this worktree's code, bounded in time."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugin"), "C2C_RETRY_BASE_SECONDS": "0.01"}
    return subprocess.run([sys.executable, "-m", "c2c", *args], input=stdin, capture_output=True, env=env,
                          cwd=cwd, timeout=60, check=False)


def ndjson(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


def without_meta(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("_source", "_sourceCategory", "_time")}
