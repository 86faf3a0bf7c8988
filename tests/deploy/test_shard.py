"""`c2c run --shard I/N`: a config set split by a stable hash of the source name, checked over real runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from c2c import shard
from c2c.errors import UsageError

from .conftest import SETTINGS, c2c_env, run_c2c

NAMES = [f"tenant-{i:02d}" for i in range(12)]


def test_each_source_is_in_exactly_one_shard() -> None:
    for count in range(1, 6):
        parts = [{n for n in NAMES if shard.shard_of(n, count) == i} for i in range(1, count + 1)]
        assert set().union(*parts) == set(NAMES)
        assert sum(len(p) for p in parts) == len(NAMES)  # disjoint


def test_the_split_is_the_same_everywhere() -> None:
    """sha256 of the name, not hash(): these values hold on any machine, Python version or PYTHONHASHSEED,
    so replicas started anywhere agree (1 + first 8 digest bytes, big-endian, mod N)."""
    assert [shard.shard_of(n, 3) for n in ("Code42", "Druva Cyber Resilience", "Druva inSync")] == [2, 2, 3]
    assert [shard.shard_of(n, 7) for n in NAMES] == [2, 5, 5, 7, 7, 7, 5, 5, 1, 4, 1, 2]
    assert all(shard.shard_of(n, 1) == 1 for n in NAMES)


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1/0", "2", "a/b", "-1/2", "1/2/3", ""])
def test_bad_shard_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError, match=r"--shard \(or \$C2C_SHARD\) must be I/N with 1 <= I <= N"):
        shard.parse(bad)


def druva_source(base_url: str, name: str) -> dict[str, Any]:
    return {"schemaRef": {"type": "Druva Cyber Resilience"}, "sourceType": "Universal",
            "config": {"name": name, "category": "druva", "baseURL": base_url, "clientID": SETTINGS.client_id,
                       "secretKey": "${DRUVA_SECRET_KEY}"}}


def test_replicas_collect_disjoint_parts_with_their_own_state(tmp_path: Path, emulator: Any) -> None:
    emu, _ = emulator
    names = NAMES[:6]
    config = tmp_path / "sources.json"
    config.write_text(json.dumps({"api.version": "v1", "sources": [druva_source(emu.base_url, n) for n in names]}),
                      encoding="utf-8")
    env = c2c_env({"DRUVA_SECRET_KEY": SETTINGS.secret})
    seen: dict[str, set[str]] = {}
    for i in (1, 2, 3):
        state = tmp_path / f"state-{i}"
        done = run_c2c("run", str(config), "--shard", f"{i}/3", "--state-dir", str(state), env=env)
        assert done.returncode == 0, done.stderr
        records = [json.loads(line) for line in done.stdout.splitlines()]
        seen[f"{i}"] = {r["_source"] for r in records}
        expected = {n for n in names if shard.shard_of(n, 3) == i}
        assert seen[f"{i}"] == expected
        for n in expected:  # every source of the shard collected all of its events
            assert sum(r["_source"] == n for r in records) == SETTINGS.events
        assert {json.loads(p.read_text())["name"] for p in state.glob("*.json")} == expected
        assert f"shard {i}/3: {len(expected)} of 6 source(s)" in done.stderr
    assert set().union(*seen.values()) == set(names)
    # C2C_SHARD is the same option, for a container whose command is fixed: nothing new for shard 1 now.
    again = run_c2c("run", str(config), "--state-dir", str(tmp_path / "state-1"),
                    env={**env, "C2C_SHARD": "1/3"})
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""


@pytest.mark.parametrize(("args", "env"), [(["--shard", "0/3"], {}), (["--shard", "4/3"], {}),
                                          ([], {"C2C_SHARD": "one of three"})])
def test_cli_rejects_a_bad_shard_with_exit_2(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    config = tmp_path / "sources.json"
    config.write_text(json.dumps({"api.version": "v1", "sources": [druva_source("http://127.0.0.1:9", "x")]}),
                      encoding="utf-8")
    done = run_c2c("run", str(config), "--state-dir", str(tmp_path / "s"), *args,
                   env=c2c_env({"DRUVA_SECRET_KEY": "x", **env}))
    assert done.returncode == 2
    assert "must be I/N with 1 <= I <= N" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "s").exists()  # refused before anything was loaded or written
