"""Config files: the vendor examples validate; each malformed file gets its precise message, exit 3,
no traceback; `check` never touches the network; `schema` prints usable schemas."""

from __future__ import annotations

import json
import logging
import socket
import time

import jsonschema
import pytest

from c2c.cli import main

from .conftest import REPO, source_doc

BASE = "https://apis.druva.com"


@pytest.fixture
def check(capsys, monkeypatch):
    """`c2c check FILES` in this process (fast); returns (exit code, stdout, stderr)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def run(*files, env=None):
        for key in list(env or {}):
            monkeypatch.setenv(key, env[key])
        code = main(["check", *[str(f) for f in files]])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    yield run
    root.handlers[:], level = saved
    root.setLevel(level)


def _config(**overrides):
    return source_doc(BASE, **overrides)


def _edit(doc, fn):
    fn(doc)
    return doc


def _code42(**overrides):
    doc = _config(**overrides)
    doc["source"]["schemaRef"]["type"] = "Code42Incydr"
    return doc


# (case id, file content, JSON path, message): each is the only problem reported.
MALFORMED = [
    ("api-version", _edit(_config(), lambda d: d.update({"api.version": "v2"})), '["api.version"]', 'must be "v1"'),
    ("neither-source-nor-sources", {"api.version": "v1"}, "",
     'needs exactly one of "source" (one source) or "sources" (a list)'),
    ("unknown-type", _edit(_config(), lambda d: d["source"]["schemaRef"].update({"type": "Druva Realize"})),
     "source.schemaRef.type",
     '"Druva Realize": unknown source type; expected one of "Druva Cyber Resilience", "Code42Incydr", "Druva inSync"'
     '; did you mean "Druva Cyber Resilience"?'),
    ("missing-clientID", _config(clientID=None), "source.config", 'missing required key "clientID"'),
    ("empty-secretKey", _config(secretKey=""), "source.config.secretKey", "must not be empty"),
    ("http-not-loopback", _config(baseURL="http://apis.druva.com"), "source.config.baseURL",
     "http:// is only allowed for loopback hosts; use https://apis.druva.com"),
    ("ftp-url", _config(baseURL="ftp://apis.druva.com"), "source.config.baseURL",
     "must be an https:// URL (http:// only for loopback hosts)"),
    ("underscore-field", _config(fields={"team": "soc", "_index": "x"}), "source.config.fields._index",
     'field names must not start with "_" (only _siemForward may)'),
    ("number-for-baseURL", _config(baseURL=443), "source.config.baseURL", "must be of type string, not number"),
    ("unknown-dataCollection", _code42(dataCollection=["alerts", "deviceEvents"]), "source.config.dataCollection[1]",
     '"deviceEvents": must be one of "auditEvents", "alerts", "fileEvents"; did you mean "fileEvents"?'),
    ("pollInterval-too-small", _config(pollInterval=5), "source.config.pollInterval",
     "5 is less than the minimum of 10"),
    ("missing-sourceType", _edit(_config(), lambda d: d["source"].pop("sourceType")), "source",
     'missing required key "sourceType"'),
    ("config-not-object", _edit(_config(), lambda d: d["source"].update({"config": []})), "source.config",
     "must be of type object, not array"),
    ("empty-sources", {"api.version": "v1", "sources": []}, "sources", "must list at least one source"),
    ("error-in-second-source", {"api.version": "v1", "sources": [
        _config(name="one")["source"], _config(name="two", clientID=7)["source"]]},
     "sources[1].config.clientID", "must be of type string, not number"),
]


@pytest.mark.parametrize(("doc", "path", "message"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_config_gets_its_precise_message(check, write_config, doc, path, message):
    conf = write_config(doc)

    code, out, err = check(conf)

    assert code == 3
    assert out == ""
    where = f"{conf}: {path}" if path else str(conf)
    assert err.splitlines() == [
        f"c2c: config error: {where}: {message}",
        "c2c: 1 config problem(s); nothing was collected",
    ]


def test_unknown_key_typo_is_named(check, write_config):
    conf = write_config(_config(clientID=None, clientId="abc"))
    code, _, err = check(conf)
    assert code == 3
    assert f'{conf}: source.config: unknown key "clientId"' in err
    assert f'{conf}: source.config: missing required key "clientID"' in err


def test_unset_variable_names_variable_and_path_but_no_value(check, write_config, monkeypatch):
    monkeypatch.delenv("C2C_TEST_UNSET", raising=False)
    conf = write_config(_config(secretKey="${C2C_TEST_UNSET}", clientID="id-${C2C_TEST_SET}"))

    code, _, err = check(conf, env={"C2C_TEST_SET": "visible-only-in-config"})

    assert code == 3
    assert err.splitlines() == [
        f"c2c: config error: {conf}: source.config.secretKey: environment variable C2C_TEST_UNSET is not set",
        "c2c: 1 config problem(s); nothing was collected",
    ]
    assert "visible-only-in-config" not in err


def test_variables_are_substituted_and_dollar_dollar_escapes(check, write_config, monkeypatch):
    monkeypatch.setenv("C2C_TEST_SECRET", "from-the-environment")
    conf = write_config(_config(secretKey="${C2C_TEST_SECRET}", description="literal $${NOT_A_VAR}"))
    code, _, err = check(conf)
    assert code == 0, err
    from c2c.config import load_sources

    [src] = load_sources([str(conf)])
    assert src.config["secretKey"] == "from-the-environment"
    assert src.config["description"] == "literal ${NOT_A_VAR}"
    assert src.config["pollInterval"] == 300  # extension defaults are filled in
    assert src.config["requestTimeout"] == 60


def test_duplicate_name_across_files_names_both_places(check, write_config):
    a = write_config(_config(name="Same"), "a.json")
    sources = [_config(name="Other")["source"], _config(name="Same")["source"]]
    b = write_config({"api.version": "v1", "sources": sources}, "b.json")
    code, _, err = check(a, b)
    assert code == 3
    assert f'c2c: config error: {b}: sources[1].config.name: name "Same" is already used by {a}: source.config.name' \
        in err.splitlines()


def test_several_errors_in_one_file_are_all_reported(check, write_config):
    conf = write_config(_config(clientID=None, baseURL=42, secretKey="", fields={"_x": 1}))
    code, _, err = check(conf)
    assert code == 3
    lines = err.splitlines()
    assert f'c2c: config error: {conf}: source.config: missing required key "clientID"' in lines
    assert f"c2c: config error: {conf}: source.config.baseURL: must be of type string, not number" in lines
    assert f"c2c: config error: {conf}: source.config.secretKey: must not be empty" in lines
    assert f"c2c: config error: {conf}: source.config.fields._x: " \
        'field names must not start with "_" (only _siemForward may)' in lines
    assert lines[-1] == "c2c: 4 config problem(s); nothing was collected"


def test_errors_in_several_files_are_all_reported(check, write_config, tmp_path):
    bad_json = write_config('{"api.version": "v1",\n  "source": {,}\n}', "broken.json")
    missing = tmp_path / "nope.json"
    bad = write_config(_config(secretKey=""), "bad.json")
    code, _, err = check(bad_json, missing, bad)
    assert code == 3
    assert err.splitlines() == [
        f"c2c: config error: {bad_json}: line 2 column 14: "
        "invalid JSON: Expecting property name enclosed in double quotes",
        f"c2c: config error: {missing}: file not found",
        f"c2c: config error: {bad}: source.config.secretKey: must not be empty",
        "c2c: 3 config problem(s); nothing was collected",
    ]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://127.3.0.1/", "http://[::1]:8443", "http://localhost",
                                 "https://apis.druva.com/", "https://govcloudapis.druva.com"])
def test_accepted_base_urls(check, write_config, url):
    code, _, err = check(write_config(_config(baseURL=url)))
    assert code == 0, err


def test_siem_forward_field_is_accepted(check, write_config):
    code, _, err = check(write_config(_config(fields={"_siemForward": True, "team": "soc"})))
    assert code == 0, err


def test_vendor_examples_validate(run_c2c):
    result = run_c2c(["check", "conf/druva-cyber-resilience.json", "conf/code42-incydr.json"], ndjson=False)
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert "conf/code42-incydr.json: source: Code42Incydr 'Code42'" in result.stderr


def test_subprocess_reports_config_errors_without_traceback(run_c2c, write_config, tmp_path):
    # The same path as above through the real entry point (run_c2c also asserts no "Traceback").
    conf = write_config(_config(baseURL="http://example.com"))
    for command in (["check", conf], ["run", conf], ["check", tmp_path / "missing.json"]):
        result = run_c2c(command)
        assert result.code == 3
        assert result.stdout == ""
        assert "c2c: config error: " in result.stderr


def test_check_makes_no_network_call(check, write_config, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("c2c check touched the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    conf = write_config(_config(baseURL=f"http://127.0.0.1:{port}"))
    started = time.monotonic()
    code, _, err = check(conf, REPO / "conf" / "druva-cyber-resilience.json")
    assert code == 0, err
    assert time.monotonic() - started < 2


def test_schema_lists_types_and_prints_usable_schemas(run_c2c):
    listed = run_c2c(["schema"], ndjson=False)
    assert listed.code == 0
    types = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert types == ["Druva Cyber Resilience", "Code42Incydr", "Druva inSync"]
    for source_type in types:
        result = run_c2c(["schema", source_type], ndjson=False)
        assert result.code == 0, result.stderr
        schema = json.loads(result.stdout)
        jsonschema.validators.validator_for(schema).check_schema(schema)
        for key in ("pollInterval", "requestTimeout"):  # extensions carry a default and a description
            prop = schema["properties"][key]
            assert "default" in prop, (source_type, key)
            assert prop.get("description"), (source_type, key)

    # A printed schema stands alone (an editor can use it): the example config validates against it.
    druva = json.loads(run_c2c(["schema", "Druva Cyber Resilience"], ndjson=False).stdout)
    example = json.loads((REPO / "conf" / "druva-cyber-resilience.json").read_text())["source"]["config"]
    jsonschema.validate(example, druva)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example, "baseURL": 443}, druva)


def test_schema_of_unknown_type_is_a_usage_error(run_c2c):
    result = run_c2c(["schema", "Druva Realize"], ndjson=False)
    assert result.code == 2
    assert "unknown source type 'Druva Realize'" in result.stderr
    assert result.stdout == ""


def test_every_secret_shaped_key_is_redacted_as_a_secret():
    # `c2c run` redacts the keys whose schema is common.json's `secret`: a new source's secret must use it.
    import re

    from c2c import schemas

    for source_type in schemas.SCHEMA_FILES:
        for key in schemas.for_type(source_type)["properties"]:
            if re.search("secret|token|password|apikey", key, re.IGNORECASE):
                assert key in schemas.secret_keys(source_type), (source_type, key)
