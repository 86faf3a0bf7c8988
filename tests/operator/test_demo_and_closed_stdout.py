"""`c2c demo | head -2` ends quietly with exit 0 and a summary; `c2c run` on a closed stdout exits 6 with one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from operator_helpers import REPO, c2c, clean_env, write_json


def _head(args: list[Any], lines: int, env: dict[str, str]) -> tuple[int, list[str], str]:
    """Like `c2c ARGS | head -LINES`: read that many lines, then close the pipe."""
    proc = subprocess.Popen([sys.executable, "-m", "c2c", *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert proc.stdout is not None
    got = [proc.stdout.readline() for _ in range(lines)]
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    return proc.returncode, got, err


def test_demo_into_head_ends_quietly(tmp_path: Path) -> None:
    code, lines, err = _head(["demo"], 2, clean_env(C2C_STATE_DIR=str(tmp_path / "real-state")))
    assert code == 0, err
    assert [json.loads(line)["_dataType"] for line in lines] == ["realizeEvents", "realizeEvents"]
    assert "ERROR" not in err
    assert "Traceback" not in err
    assert "the reader closed stdout before the end (fine for a demo)" in err
    assert not (tmp_path / "real-state").exists()  # the demo never touches the real state directory


def test_demo_summary_counts_what_it_printed() -> None:
    result = c2c("demo", env=clean_env(C2C_STATE_DIR="/var/lib/c2c-example"))
    assert result.code == 0, result.stderr
    printed: dict[tuple[str, str], int] = {}
    for r in result.records:
        printed[(r["_source"], r["_dataType"])] = printed.get((r["_source"], r["_dataType"]), 0) + 1
    assert f"demo: {len(result.records)} record(s) written to stdout:" in result.stderr
    rows = re.findall(r"INFO   (.*?)  +(\w+) +(\d+)$", result.stderr, re.MULTILINE)
    summary: dict[tuple[str, str], int] = {}
    source = ""
    for name, data_type, n in rows:
        source = name.strip() or source  # a source's name is written once, on its first row
        summary[(source, data_type)] = int(n)
    assert summary == printed
    assert {dt for _, dt in summary} == {"realizeEvents", "insyncEvents", "auditEvents", "alerts", "fileEvents"}
    assert "went to a temporary directory, now removed" in result.stderr
    assert "--state-dir (default /var/lib/c2c-example)" in result.stderr


def test_run_on_a_closed_stdout_exits_6_with_one_line(tmp_path: Path, demo_docs: list[dict[str, Any]]) -> None:
    conf = write_json(tmp_path / "all.json", {"api.version": "v1", "sources": [d["source"] for d in demo_docs]})
    code, lines, err = _head(["run", conf, "--state-dir", tmp_path / "state"], 1, clean_env())
    assert code == 6
    assert len(lines) == 1
    assert "Traceback" not in err
    # The first run's notices (a new state directory, each data type starting fresh), then one line, and nothing else.
    notices = ("c2c: creating the state directory", "no saved state, starting fresh")
    [line] = [line for line in err.splitlines() if line and not any(n in line for n in notices)]
    assert line.startswith("c2c ERROR Druva Cyber Resilience (demo): FirstPartyGenericError: cannot write to stdout: "
                           "its reader closed it (BrokenPipeError)")
    assert "checkpoint stays at the last page written" in line
