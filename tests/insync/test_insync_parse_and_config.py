"""`c2c parse` on Druva's own sample lines, and the `Druva inSync` config schema."""

from __future__ import annotations

import json

import pytest
from insync_helpers import DATA, c2c, ndjson, v1_config, v2_config, write_config

from c2c.config import load_sources
from c2c.emulator.insync import render_cef, render_syslog, render_v1_json
from c2c.emulator.services import Settings, demo_configs
from c2c.errors import ConfigError

# What README "Druva inSync" promises for Druva's published sample event, in either format.
SAMPLE = {
    "Timestamp": "2017-09-21T13:41:14Z",
    "Hostname": "cloud.druva.com",
    "EventType": "Admin Audit Trail",
    "EventState": "Admin Event",
    "Initiator": "cloud.admin@druva.org",
    "EventDetails": "Device:cloud.admin@druva.org initiated backup for a device Admin\u2019s Mac mini",
    "IP": "192.168.0.0",
    "ProfileID": 1,
    "ProfileName": "Default",
    "inSyncUserID": 1,
    "inSyncUserName": "Ernie",
    "inSyncDataSourceID": 80,
    "inSyncDataSourceName": "Admin\u2019s Mac mini",
    "ClientVersion": "5.9.5r54841",
    "ClientOS": "Mac OS X",
    "Facility": 6,
    "Severity": 6,
}


@pytest.mark.parametrize(("fmt", "file"), [("cef", "insync-cef.txt"), ("syslog", "insync-syslog.txt")])
def test_parse_vendor_sample(fmt: str, file: str):
    proc = c2c("parse", fmt, str(DATA / file))
    assert proc.returncode == 0, proc.stderr
    [record] = ndjson(proc.stdout)
    meta = {k: record.pop(k) for k in [k for k in record if k.startswith("_")]}
    assert record == SAMPLE
    assert meta == {"_source": file, "_dataType": "insyncEvents", "_time": "2017-09-21T13:41:14.000Z"}
    assert b"1 line(s), 0 not parsed" in proc.stderr


def test_parse_stdin_keeps_a_bad_line_raw_and_counts_it(tmp_path):
    lines = (DATA / "insync-syslog.txt").read_bytes().rstrip(b"\n") + b"\n\nthis is not syslog\n"
    proc = c2c("parse", "syslog", "--name", "saved inSync", stdin=lines)
    assert proc.returncode == 0
    good, bad = ndjson(proc.stdout)
    assert good["EventType"] == "Admin Audit Trail"
    assert good["_source"] == "saved inSync"
    assert bad["_raw"] == "this is not syslog"
    assert bad["_parseError"]
    assert bad["_dataType"] == "insyncEvents"
    assert bad["_time"].endswith("Z")
    assert b"stdin: 2 line(s), 1 not parsed" in proc.stderr


def test_parse_missing_file_is_a_usage_error(tmp_path):
    proc = c2c("parse", "cef", str(tmp_path / "nope.txt"))
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"nope.txt: file not found" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_schema_accepts_a_v1_and_a_v2_config(tmp_path):
    path = write_config(tmp_path / "ok.json", v1_config("https://insyncapi-cloud.druva.com", "Syslog"),
                        v2_config("https://apis.druva.com"))
    v1, v2 = load_sources([str(path)])
    assert (v1.type, v1.config["format"], v2.type) == ("Druva inSync", "Syslog", "Druva inSync")
    assert v2.config["format"] == "CEF"  # the default is applied; v2 ignores it
    proc = c2c("check", str(path))
    assert proc.returncode == 0


@pytest.mark.parametrize("drop", [("username", "token", "clientID", "secretKey"), ("token",)])
def test_schema_rejects_a_config_without_a_credential_pair(tmp_path, drop):
    cfg = {k: v for k, v in v1_config("https://insyncapi-cloud.druva.com").items() if k not in drop}
    path = write_config(tmp_path / "bad.json", cfg)
    with pytest.raises(ConfigError) as err:
        load_sources([str(path)])
    assert {p.path for p in err.value.problems} == {"source.config"}
    assert any("username + token" in p.message and "clientID + secretKey" in p.message for p in err.value.problems)
    proc = c2c("check", str(path))
    assert proc.returncode == 3
    assert b"bad.json: source.config: " in proc.stderr


def test_schema_rejects_both_credential_pairs(tmp_path):
    cfg = v1_config("https://insyncapi-cloud.druva.com") | {"clientID": "c", "secretKey": "s"}
    with pytest.raises(ConfigError) as err:
        load_sources([str(write_config(tmp_path / "both.json", cfg))])
    [problem] = err.value.problems
    assert problem.path == "source.config"
    assert "exactly one credential pair" in problem.message


def test_demo_has_a_v1_cef_and_a_v2_insync_source(tmp_path):
    docs = [d for d in demo_configs("http://127.0.0.1:1", Settings()) if d["source"]["schemaRef"]["type"]
            == "Druva inSync"]
    paths = []
    for i, doc in enumerate(docs):
        paths.append(tmp_path / f"d{i}.json")
        paths[-1].write_text(json.dumps(doc))
    v1, v2 = load_sources([str(p) for p in paths])
    assert v1.config["format"] == "CEF"
    assert "username" in v1.config
    assert "clientID" in v2.config


def test_emulator_renders_druvas_sample_byte_for_byte():
    event = {"eventID": 1, "initiator": "cloud.admin@druva.org", "inSyncDataSourceID": 80,
             "inSyncDataSourceName": "Admin\u2019s Mac mini", "clientVersion": "5.9.5r54841", "clientOS": "Mac OS X",
             "inSyncUserID": 1, "inSyncUserName": "Ernie", "inSyncUserEmail": "ernie@example.com", "profileID": 1,
             "profileName": "Default", "eventType": "Admin Audit Trail", "eventState": "Admin Event",
             "eventDetails": "Device:cloud.admin@druva.org initiated backup for a device Admin\u2019s Mac mini",
             "timestamp": "2017-09-21T13:41:14Z", "severity": 6, "ip": "192.168.0.0", "facility": 6, "_trace": None}
    assert render_cef(event) == (DATA / "insync-cef.txt").read_text(encoding="utf-8").rstrip("\n")
    assert render_syslog(event) == (DATA / "insync-syslog.txt").read_text(encoding="utf-8").rstrip("\n")
    assert render_v1_json(event) == SAMPLE
