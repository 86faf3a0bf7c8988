"""Helpers for the operator tests: run `c2c` as a user would (a subprocess, real files, the emulator on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c2c.emulator.services import Settings

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugin"
SETTINGS = Settings(seed=3, events=30, page_size=10)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C2C_", "XDG_STATE_HOME"))}
    env["PYTHONPATH"] = str(PLUGIN)
    env["C2C_RETRY_BASE_SECONDS"] = "0.01"
    env["C2C_RETRY_TRIES"] = "1"  # one try: the messages, not the retries, are under test
    env.update(extra)
    return env


def c2c(*args: Any, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60,
        command: list[str] | None = None) -> Run:
    """`python -m c2c ARGS` (or `command ARGS`) to completion; never a traceback."""
    argv = [*(command or [sys.executable, "-m", "c2c"]), *[str(a) for a in args]]
    proc = subprocess.run(argv, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, env=env or clean_env(), timeout=timeout, cwd=REPO)
    assert "Traceback" not in proc.stderr, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def source(source_type: str, **config: Any) -> dict[str, Any]:
    return {"api.version": "v1",
            "source": {"config": config, "schemaRef": {"type": source_type}, "sourceType": "Universal"}}
