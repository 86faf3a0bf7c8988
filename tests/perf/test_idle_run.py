"""The exec run every minute: what it loads, what it validates, and what it writes to disk."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from c2c import schemas
from c2c.config import load_sources
from c2c.known_configs import FILE_NAME
from c2c.output import Emitter
from c2c.runner import Runner
from c2c.sources import SOURCES
from c2c.state import StateStore

from .conftest import SECRET, source_doc

HEAVY = ("jsonschema", "referencing", "c2c.emulator", "c2c.formats", "dateutil", "uuid", "ctypes")


def loaded(modules, prefixes=HEAVY):
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_an_idle_run_of_a_known_config_loads_nothing_it_does_not_use(served, conf, run):
    first = run("run", conf)
    assert first.code == 0, first.stderr
    assert "jsonschema" in first.modules  # a config never seen: validated in full

    idle = run("run", conf)

    assert idle.code == 0, idle.stderr
    assert loaded(idle.modules) == []


def test_a_changed_config_is_validated_again(served, conf, run):
    assert run("run", conf).code == 0
    doc = json.loads(conf.read_text())
    doc["source"]["config"]["pollInterval"] = "soon"  # same file, now invalid
    conf.write_text(json.dumps(doc))

    result = run("run", conf)

    assert result.code == 3
    assert "source.config.pollInterval" in result.stderr
    assert result.records == []


def test_a_changed_environment_variable_is_validated_again(served, tmp_path, run):
    conf = tmp_path / "env.json"
    doc = source_doc(served.base_url, secret="${PERF_SECRET}")
    doc["source"]["config"]["category"] = "${PERF_CATEGORY}"
    conf.write_text(json.dumps(doc))
    env = {"PERF_SECRET": SECRET, "PERF_CATEGORY": "druva"}
    assert run("run", conf, env=env).code == 0
    assert loaded(run("run", conf, env=env).modules) == []

    # Same file, different values: a category over 1024 characters is invalid and must be caught.
    result = run("run", conf, env={**env, "PERF_CATEGORY": "x" * 1025})
    assert result.code == 3
    assert "source.config.category" in result.stderr
    assert "jsonschema" in result.modules


def test_check_always_validates(served, conf, run):
    assert run("run", conf).code == 0
    result = run("check", conf)
    assert result.code == 0
    assert "jsonschema" in result.modules


def test_the_cache_is_private_and_not_a_source_state(served, conf, run, tmp_path):
    assert run("run", conf).code == 0
    cache = tmp_path / "state" / FILE_NAME
    assert cache.is_file()
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    assert SECRET not in cache.read_text()
    status = run("status", "--json")
    [rows] = status.records  # one JSON document
    assert [r["name"] for r in rows] == ["perf source"]


def test_a_corrupt_cache_only_costs_a_full_validation(served, conf, run, tmp_path):
    assert run("run", conf).code == 0
    (tmp_path / "state" / FILE_NAME).write_bytes(b"\xff\x00 not keys")
    result = run("run", conf)
    assert result.code == 0, result.stderr
    assert "jsonschema" in result.modules


def test_an_idle_cycle_fsyncs_once_and_still_saves_each_state(served, conf, tmp_path, monkeypatch):
    store = StateStore(tmp_path / "st")
    sources = load_sources([str(conf)])
    Runner(store, Emitter(io.BytesIO())).run_cycle(sources)  # drain the backlog

    fsyncs, saved_states = [], []
    real_replace = os.replace

    def replace(src, dst):
        real_replace(src, dst)
        if str(dst).endswith(".json"):
            saved_states.append(json.loads(Path(dst).read_text())["state"])

    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd))
    monkeypatch.setattr(os, "replace", replace)
    out = io.BytesIO()
    [outcome] = Runner(store, Emitter(out)).run_cycle(sources)

    assert outcome.error is None
    assert outcome.events == 0
    assert out.getvalue() == b""
    assert saved_states == ["Pending", "Started", "Initialized", "Authenticated", "Collecting", "Collecting"]
    assert len(fsyncs) == 1  # the end-of-cycle save; the transitions move no cursor
    assert store.read("perf source")["lastSuccess"] > 0


def test_a_page_with_events_is_checkpointed_durably(served, conf, tmp_path, monkeypatch):
    store = StateStore(tmp_path / "st")
    sources = load_sources([str(conf)])
    fsyncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))

    [outcome] = Runner(store, Emitter(io.BytesIO())).run_cycle(sources)

    assert outcome.events == 230
    assert len(fsyncs) == 5 + 1  # one per page (5), one at the end of the cycle


@pytest.mark.parametrize("source_type", sorted(schemas.SCHEMA_FILES))
def test_every_registered_source_loads_on_first_use(source_type):
    cls = SOURCES[source_type]
    assert cls.type == source_type
    wrapper = schemas.load(schemas.WRAPPER)["$defs"]["source"]["properties"]["schemaRef"]["properties"]["type"]
    assert source_type in wrapper["enum"]
