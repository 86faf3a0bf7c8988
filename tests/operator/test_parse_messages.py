"""`c2c parse` in the wrong format says so, names the right one, and exits 2 (the records are still written)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from operator_helpers import REPO, c2c

DATA = REPO / "tests" / "data"
NAMES = {"cef": "CEF", "syslog": "Syslog"}


@pytest.mark.parametrize(("asked", "file", "other"), [("cef", "insync-syslog.txt", "syslog"),
                                                       ("syslog", "insync-cef.txt", "cef")])
def test_the_wrong_format_names_the_other(tmp_path: Path, asked: str, file: str, other: str) -> None:
    lines = (DATA / file).read_text(encoding="utf-8").strip() + "\n"
    saved = tmp_path / "saved.txt"
    saved.write_text(lines * 5, encoding="utf-8")
    result = c2c("parse", asked, saved)
    assert result.code == 2
    assert len(result.records) == 5  # nothing is dropped: each line raw, with the reason
    assert all("_parseError" in r for r in result.records)
    assert result.stderr.splitlines()[-1] == (f"c2c: parse: saved.txt: most lines are not {NAMES[asked]} but "
                                              f"{NAMES[other]}: try `c2c parse {other}`")


def test_lines_in_neither_format(tmp_path: Path) -> None:
    result = c2c("parse", "cef", stdin="hello\nworld\n")
    assert result.code == 2
    assert "most lines are neither CEF nor Syslog" in result.stderr


def test_a_few_bad_lines_are_not_a_wrong_format(tmp_path: Path) -> None:
    good = (DATA / "insync-cef.txt").read_text(encoding="utf-8").strip()
    result = c2c("parse", "cef", stdin=f"{good}\n{good}\nnot cef\n")
    assert result.code == 0
    assert "3 line(s), 1 not parsed" in result.stderr
    assert "most lines" not in result.stderr


def test_parse_into_a_pipe_widens_it_to_a_megabyte() -> None:
    # The shipper's exec reads a pipe: a 1 MiB buffer lets its reader take ~16 times more per wake-up.
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("no F_GETPIPE_SZ here (not Linux)")
    read_end, write_end = os.pipe()
    try:
        assert fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ) < 1 << 20
        good = (DATA / "insync-cef.txt").read_text(encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO / "plugin")}
        done = subprocess.run([sys.executable, "-m", "c2c", "parse", "cef"], input=good.encode(), stdout=write_end,
                              stderr=subprocess.PIPE, env=env, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ) == 1 << 20
        assert os.read(read_end, 1 << 16).count(b"\n") == len(good.strip().splitlines())
    finally:
        os.close(read_end)
        os.close(write_end)
