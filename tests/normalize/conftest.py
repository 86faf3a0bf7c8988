"""Fixtures for the normalize tests: one `c2c run` of every emulated source in every output format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from c2c.emulator.services import Settings, demo_configs, start_all

REPO = Path(__file__).resolve().parents[2]
FORMATS = ("raw", "ocsf", "ecs")
DATA_TYPES = ("realizeEvents", "insyncEvents", "auditEvents", "alerts", "fileEvents")


def c2c_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    return {**env, "PYTHONPATH": str(REPO / "plugin"), **extra}


def run_c2c(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "c2c", *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, env=c2c_env(), cwd=REPO, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="session")
def emulator_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """fmt -> every record one `c2c run` wrote for the emulator's sources configured with that outputFormat.

    The emulator's clock is frozen, so the three copies of each source collect the same events.
    """
    tmp = tmp_path_factory.mktemp("formats")
    emu, _ = start_all(Settings(seed=3, events=60, page_size=25))
    emu.clock.freeze()
    try:
        files = []
        for fmt in FORMATS:
            for i, doc in enumerate(demo_configs(emu.base_url, Settings(seed=3, events=60, page_size=25))):
                cfg = doc["source"]["config"]
                cfg["name"] = f"{cfg['name']} {fmt}"
                cfg["outputFormat"] = fmt
                path = tmp / f"{fmt}-{i}.json"
                path.write_text(json.dumps(doc), encoding="utf-8")
                files.append(str(path))
        proc = run_c2c("run", *files, "--state-dir", str(tmp / "state"))
        assert proc.returncode == 0, proc.stderr[-3000:]
        out: dict[str, list[dict[str, Any]]] = {fmt: [] for fmt in FORMATS}
        for line in proc.stdout.splitlines():
            record = json.loads(line)
            out[record["_source"].rsplit(" ", 1)[1]].append(record)
        yield out
    finally:
        emu.stop()
