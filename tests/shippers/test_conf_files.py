"""The shipped conf/ files: parse them and check the settings that make c2c work in each shipper."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from c2c.cli import DEFAULT_MAX_SECONDS
from c2c.output import MAX_LINE_BYTES

from .conftest import SECRETS
from .shipper_emu import (
    CONF,
    CONF_SOURCES,
    CONF_STATE,
    c2c_env,
    fluent_bit_on,
    load_yaml,
    parse_classic,
    section,
    size_value,
)

FB_CLASSIC = [CONF / "fluent-bit" / "fluent-bit.conf", CONF / "fluent-bit" / "fluent-bit-oneshot.conf"]
FB_YAML = [CONF / "fluent-bit" / "fluent-bit.yaml", CONF / "fluent-bit" / "fluent-bit-oneshot.yaml"]
VECTOR = [CONF / "vector" / "vector-scheduled.yaml", CONF / "vector" / "vector-streaming.yaml"]
FB_CONTAINER = CONF / "fluent-bit" / "fluent-bit-container.yaml"  # the image's; outputs in outputs.yaml
FB_OUTPUTS = CONF / "fluent-bit" / "outputs.yaml"
ALL = [*FB_CLASSIC, *FB_YAML, FB_CONTAINER, FB_OUTPUTS, CONF / "fluent-bit" / "c2c-parsers.conf", *VECTOR]


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def check_c2c_command(argv: list[str], *, follow: bool, interval: float | None, shell: bool = False) -> None:
    if shell:  # Fluent Bit: /bin/sh -c; `exec` so that the shell does not stand between Fluent Bit and c2c
        assert argv[0] == "exec", argv
        argv = argv[1:]
    assert argv[:2] == ["c2c", "run"], argv
    assert CONF_SOURCES in argv
    assert option(argv, "--state-dir") == CONF_STATE
    assert ("--follow" in argv) is follow
    if not follow:
        budget = float(option(argv, "--max-seconds") or DEFAULT_MAX_SECONDS)
        assert interval is not None
        # stop starting pages at least one request timeout (60 s) before the shipper's next tick / kill
        assert budget + 60 <= interval, (budget, interval)


def classic_fb(path: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str], list[dict[str, str]]]:
    sections = parse_classic(path)
    service = section(sections, "SERVICE")
    exec_in = section(sections, "INPUT", name="exec")
    rewrite = section(sections, "FILTER", name="rewrite_tag")
    outputs = [s for k, s in sections if k == "OUTPUT"]
    return service, exec_in, rewrite, outputs


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_each_file_says_what_to_edit(path: Path) -> None:
    head = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert head.startswith("#")
    assert ("Edit before use" in head or "Nothing to edit" in head)
    assert "secretKey" not in path.read_text(encoding="utf-8")  # secrets come from the environment


def test_parsers_conf_takes_the_record_time_from_time() -> None:
    parser = section(parse_classic(CONF / "fluent-bit" / "c2c-parsers.conf"), "PARSER", name="c2c_ndjson")
    assert parser["format"] == "json"
    assert parser["time_key"] == "_time"
    assert parser["time_format"] == "%Y-%m-%dT%H:%M:%S.%L%z"
    assert fluent_bit_on(parser["time_keep"])


@pytest.mark.parametrize("path", FB_CLASSIC, ids=lambda p: p.name)
def test_fluent_bit_classic(path: Path) -> None:
    service, exec_in, rewrite, outputs = classic_fb(path)
    assert service["parsers_file"].endswith("c2c-parsers.conf")
    assert exec_in["parser"] == "c2c_ndjson"
    assert size_value(exec_in["buf_size"]) >= MAX_LINE_BYTES + 1
    assert fluent_bit_on(exec_in["threaded"])
    oneshot = fluent_bit_on(exec_in.get("oneshot", "off"))
    interval = None if oneshot else float(exec_in["interval_sec"])
    check_c2c_command(shlex.split(exec_in["command"]), follow=oneshot, interval=interval, shell=True)
    assert rewrite["match"] == exec_in["tag"]
    key, regex, new_tag, keep = rewrite["rule"].split()
    assert (key, regex, keep) == ("$_dataType", "^health$", "false")
    assert sorted(o["match"] for o in outputs) == sorted([exec_in["tag"], new_tag])


@pytest.mark.parametrize("path", FB_YAML, ids=lambda p: p.name)
def test_fluent_bit_yaml(path: Path) -> None:
    doc = load_yaml(path)
    (parser,) = doc["parsers"]
    assert parser["name"] == "c2c_ndjson"
    assert parser["format"] == "json"
    assert parser["time_key"] == "_time"
    assert parser["time_format"] == "%Y-%m-%dT%H:%M:%S.%L%z"
    assert fluent_bit_on(parser["time_keep"])
    (exec_in,) = doc["pipeline"]["inputs"]
    assert exec_in["name"] == "exec"
    assert exec_in["parser"] == "c2c_ndjson"
    assert size_value(exec_in["buf_size"]) >= MAX_LINE_BYTES + 1
    assert fluent_bit_on(exec_in["threaded"])
    oneshot = fluent_bit_on(exec_in.get("oneshot", False))
    check_c2c_command(shlex.split(exec_in["command"]), follow=oneshot,
                      interval=None if oneshot else float(exec_in["interval_sec"]), shell=True)
    (rewrite,) = doc["pipeline"]["filters"]
    assert rewrite["name"] == "rewrite_tag"
    assert rewrite["match"] == exec_in["tag"]
    assert rewrite["rule"].split()[:2] == ["$_dataType", "^health$"]
    assert {o["match"] for o in doc["pipeline"]["outputs"]} == {exec_in["tag"], rewrite["rule"].split()[2]}


def test_fluent_bit_container_config() -> None:
    doc = load_yaml(FB_CONTAINER)
    service = doc["service"]
    assert fluent_bit_on(service["http_server"])
    assert fluent_bit_on(service["health_check"])
    assert service["storage.path"].startswith(CONF_STATE + "/")  # one volume for checkpoints and buffer
    (exec_in,) = doc["pipeline"]["inputs"]
    assert exec_in["storage.type"] == "filesystem"
    assert exec_in["parser"] == "c2c_ndjson"
    assert size_value(exec_in["buf_size"]) >= MAX_LINE_BYTES + 1
    assert fluent_bit_on(exec_in["threaded"])
    check_c2c_command(shlex.split(exec_in["command"]), follow=False, interval=float(exec_in["interval_sec"]),
                      shell=True)
    (rewrite,) = doc["pipeline"]["filters"]
    assert rewrite["emitter_storage.type"] == "filesystem"  # health records are buffered on disk too
    assert doc["includes"] == [FB_OUTPUTS.name]
    outputs = load_yaml(FB_OUTPUTS)["pipeline"]["outputs"]
    assert {o["match"] for o in outputs} == {exec_in["tag"], rewrite["rule"].split()[2]}
    for out in outputs:
        assert out["retry_limit"] == "no_limits"  # the default (1) drops a chunk c2c has checkpointed
        assert "storage.total_limit_size" in out
    assert (doc["parsers"], rewrite["rule"]) == (load_yaml(FB_YAML[0])["parsers"],
                                                 load_yaml(FB_YAML[0])["pipeline"]["filters"][0]["rule"])


@pytest.mark.parametrize("path", FB_CLASSIC, ids=lambda p: p.name)
def test_classic_and_yaml_say_the_same(path: Path) -> None:
    _, classic, rewrite, _ = classic_fb(path)
    (yaml_in,) = load_yaml(path.with_suffix(".yaml"))["pipeline"]["inputs"]
    assert classic["command"] == yaml_in["command"]
    assert size_value(classic["buf_size"]) == size_value(yaml_in["buf_size"])
    assert rewrite["rule"] == load_yaml(path.with_suffix(".yaml"))["pipeline"]["filters"][0]["rule"]


@pytest.mark.parametrize("path", VECTOR, ids=lambda p: p.name)
def test_vector(path: Path) -> None:
    doc = load_yaml(path)
    src = doc["sources"]["c2c"]
    assert src["type"] == "exec"
    assert src["decoding"]["codec"] == "json"
    assert src["framing"]["method"] == "newline_delimited"
    assert src["framing"]["newline_delimited"]["max_length"] >= MAX_LINE_BYTES
    assert src.get("include_stderr", True) is True
    assert not src.get("clear_environment", False)
    argv = src["command"]
    assert isinstance(argv, list)  # argv, no shell: Vector's SIGKILL reaches c2c itself
    assert option(argv, "--log-format") == "json"
    streaming = src["mode"] == "streaming"
    assert src["mode"] in ("scheduled", "streaming")
    if streaming:
        assert src["streaming"]["respawn_on_exit"] is True
    check_c2c_command(argv, follow=streaming,
                      interval=None if streaming else float(src["scheduled"]["exec_interval_secs"]))
    route = doc["transforms"]["c2c_split"]
    assert route["type"] == "route"
    conditions = route["route"]
    assert '._dataType == "health"' in conditions["health"]
    assert '.stream == "stdout"' in conditions["health"]
    assert '.stream == "stderr"' in conditions["logs"]
    assert '._dataType != "health"' in conditions["events"]
    assert '.stream == "stdout"' in conditions["events"]
    assert "._time" in doc["transforms"]["c2c_time"]["source"]
    consumed = {i for sink in doc["sinks"].values() for i in sink["inputs"]}
    assert consumed == {"c2c_split.events", "c2c_split.health", "c2c_split.logs"}
    assert "${" not in json.dumps(doc)  # Vector 0.57 does not expand it; c2c's source config does


def test_example_sources_check_with_secrets_from_env(tmp_path: Path) -> None:
    example = CONF / "c2c-sources.example.json"
    text = example.read_text(encoding="utf-8")
    assert "${DRUVA_CLIENT_ID}" in text
    assert "${DRUVA_SECRET_KEY}" in text
    env = c2c_env({**SECRETS, "CODE42_CLIENT_ID": "key-1", "CODE42_SECRET_KEY": "code42-secret-value",
                   "INSYNC_CLIENT_ID": "insync-1", "INSYNC_SECRET_KEY": "insync-secret-value"})
    ok = subprocess.run([sys.executable, "-m", "c2c", "check", str(example)], env=env, capture_output=True,
                        text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr.count("ok:") == 3
    del env["CODE42_SECRET_KEY"]
    bad = subprocess.run([sys.executable, "-m", "c2c", "check", str(example)], env=env, capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 3
    assert "sources[2].config.secretKey: environment variable CODE42_SECRET_KEY is not set" in bad.stderr
    assert SECRETS["DRUVA_SECRET_KEY"] not in bad.stderr + bad.stdout
