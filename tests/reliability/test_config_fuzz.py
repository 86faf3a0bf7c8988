"""Config fuzzing: thousands of malformed config files through `c2c check` (in-process, the same `main`).
Never a traceback; exit 3 with every message naming the file (and a JSON path where there is one), or 0."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2c import cli

VALID = [
    {"api.version": "v1", "source": {"config": {
        "name": "Druva CR", "category": "druva", "fields": {"env": "prod", "_siemForward": True},
        "baseURL": "https://apis.druva.com", "clientID": "cid", "secretKey": "s3cret", "pollInterval": 300,
    }, "schemaRef": {"type": "Druva Cyber Resilience"}, "sourceType": "Universal"}},
    {"api.version": "v1", "sources": [
        {"config": {"name": "Incydr", "baseURL": "https://api.us.code42.com", "clientID": "key-1",
                    "secretKey": "s", "dataCollection": ["auditEvents", "alerts"]},
         "schemaRef": {"type": "Code42Incydr"}, "sourceType": "Universal"},
        {"config": {"name": "inSync", "baseURL": "http://127.0.0.1:8443", "username": "admin@example.com",
                    "token": "t0k3n", "format": "CEF"},
         "schemaRef": {"type": "Druva inSync"}, "sourceType": "Universal"},
    ]},
]

SETTINGS = settings(
    max_examples=1000,
    derandomize=True,  # the same examples on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
           | st.text(max_size=30)
           | st.sampled_from(["", "${UNSET_C2C_FUZZ_VAR}", "$${X}", "http://[::1", "http://example.com:99999",
                              "https://x", "http://localhost", "ftp://x", "_bad", "v1", "Universal",
                              "Druva Cyber Resilience", "Code42Incydr", "Druva inSync", "\x00", "\ud7ff"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12) | st.sampled_from(
                               ["source", "sources", "config", "schemaRef", "type", "name", "baseURL", "fields",
                                "api.version", "sourceType", "clientID", "secretKey"]), inner, max_size=4),
                           max_leaves=10)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid config with one to three edits: a value replaced, a key deleted or added, a list emptied."""
    doc = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            continue
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        if op == "replace":
            parent[path[-1]] = draw(json_values)
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return doc


@pytest.fixture(scope="module", autouse=True)
def _one_parser() -> Any:
    """Build the argument parser once: argparse set-up (gettext lookups) would otherwise cost more than the
    config check itself, and this test is about the check."""
    original = cli._parser
    parser = original()
    cli._parser = lambda: parser
    yield
    cli._parser = original


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "source.json"


def _check(path: Path, capsys: pytest.CaptureFixture[str], *, expect_valid: bool | None = None) -> None:
    capsys.readouterr()
    code = cli.main(["check", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "internal error" not in err, err
    assert out == ""
    assert code in (0, 3), err
    if expect_valid is not None:
        assert (code == 0) == expect_valid, err
    if code == 0:
        assert f"ok: {path}" in err
        return
    problems = [line for line in err.splitlines() if line.startswith("c2c: config error: ")]
    assert problems, err
    for line in problems:
        assert line.startswith(f"c2c: config error: {path}"), line
    assert err.rstrip().endswith("nothing was collected")


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_valid_seeds_pass(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for doc in VALID:
        _write_json(config_file, doc)
        _check(config_file, capsys, expect_valid=True)


@settings(SETTINGS, max_examples=700)
@given(doc=json_values)
def test_random_json_structures(doc: Any, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_json(config_file, doc)
    _check(config_file, capsys, expect_valid=False)


@settings(SETTINGS, max_examples=1100)
@given(doc=mutated())
def test_mutated_valid_configs(doc: Any, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_json(config_file, doc)
    _check(config_file, capsys)


@settings(SETTINGS, max_examples=400)
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes(data: bytes, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file.write_bytes(data)
    _check(config_file, capsys, expect_valid=False)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 50_000, "\ufeff{}", "", "null", "1e999999"])
def test_pathological_documents(text: str, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file.write_text(text, encoding="utf-8")
    _check(config_file, capsys, expect_valid=False)


def test_every_problem_is_reported_at_once_with_its_json_path(config_file: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    doc = copy.deepcopy(VALID[1])
    doc["sources"][0]["config"]["baseURL"] = "http://api.us.code42.com"
    doc["sources"][1]["config"]["fields"] = {"_time": "x"}
    del doc["sources"][1]["config"]["name"]
    _write_json(config_file, doc)
    capsys.readouterr()
    assert cli.main(["check", str(config_file)]) == 3
    err = capsys.readouterr().err
    assert f"{config_file}: sources[0].config.baseURL: http:// is only allowed for loopback hosts" in err
    assert f"{config_file}: sources[1].config.fields._time: field names must not start with" in err
    assert f"{config_file}: sources[1].config: missing required key \"name\"" in err
