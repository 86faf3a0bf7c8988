"""`c2c check` as an operator meets it: secret hygiene, a BOM, an empty file, a mistyped value, a huge broken file."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

from operator_helpers import c2c, clean_env, source, write_json

SECRET = "Qz7-never-print-me"


def _code42(**config: object) -> dict[str, object]:
    return source("Code42Incydr", **{"name": "Code42", "baseURL": "https://api.us.code42.com", "clientID": "key-1",
                                     "secretKey": "${CODE42_SECRET_KEY}", **config})


def _errors(result_stderr: str) -> list[str]:
    return [line.split("config error: ", 1)[1] for line in result_stderr.splitlines() if "config error: " in line]


def test_secret_without_braces_is_caught_with_the_fix(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42(secretKey="$CODE42_SECRET_KEY"))
    result = c2c("check", conf, env=clean_env(CODE42_SECRET_KEY=SECRET))
    assert result.code == 3
    assert _errors(result.stderr) == [f"{conf}: source.config.secretKey: the value holds $CODE42_SECRET_KEY without "
                                      "braces, which is taken literally; use ${CODE42_SECRET_KEY} to read the "
                                      "environment variable"]


def test_secret_without_braces_is_caught_even_when_the_variable_is_unset(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42(secretKey="$CODE42_SECRET_KEY"))
    result = c2c("check", conf, env=clean_env())
    assert result.code == 3
    assert "use ${CODE42_SECRET_KEY}" in result.stderr


def test_a_literal_secret_with_a_dollar_inside_is_left_alone(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42(secretKey="ab$cd9"))
    assert c2c("check", conf, env=clean_env()).code == 0


def test_trailing_newline_in_a_substituted_secret_names_the_variable(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42())
    result = c2c("check", conf, env=clean_env(CODE42_SECRET_KEY=SECRET + "\n"))
    assert result.code == 3
    assert _errors(result.stderr) == [
        f'{conf}: source.config.secretKey: environment variable CODE42_SECRET_KEY ends with "\\n" (whitespace is '
        "never part of a credential); remove it (`echo` adds a newline: use `printf %s` or "
        "`kubectl create secret --from-literal`)"]
    assert SECRET not in result.stderr + result.stdout


def test_leading_space_in_a_substituted_client_id_is_caught(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42(clientID="${CODE42_CLIENT_ID}"))
    result = c2c("check", conf, env=clean_env(CODE42_SECRET_KEY=SECRET, CODE42_CLIENT_ID=" key-1"))
    assert result.code == 3
    assert "environment variable CODE42_CLIENT_ID starts with \" \"" in result.stderr


def test_run_refuses_the_same_secret_before_any_request(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42(baseURL="http://127.0.0.1:9"))
    result = c2c("run", conf, "--state-dir", tmp_path / "state", env=clean_env(CODE42_SECRET_KEY=SECRET + "\r\n"))
    assert result.code == 3
    assert "CODE42_SECRET_KEY ends with" in result.stderr
    assert result.stdout == ""


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    conf = tmp_path / "bom.json"
    conf.write_bytes(codecs.BOM_UTF8 + json.dumps(_code42()).encode())
    result = c2c("check", conf, env=clean_env(CODE42_SECRET_KEY=SECRET))
    assert result.code == 0, result.stderr
    assert f"ok: {conf}: source: Code42Incydr 'Code42'" in result.stderr


def test_utf16_says_to_save_as_utf8(tmp_path: Path) -> None:
    conf = tmp_path / "u16.json"
    conf.write_bytes(json.dumps(_code42()).encode("utf-16"))
    result = c2c("check", conf, env=clean_env(CODE42_SECRET_KEY=SECRET))
    assert _errors(result.stderr) == [f"{conf}: saved as UTF-16; save it as UTF-8"]


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    conf = tmp_path / "empty.json"
    conf.write_text("\n  \n", encoding="utf-8")
    result = c2c("check", conf)
    assert result.code == 3
    assert _errors(result.stderr) == [f"{conf}: the file is empty (a source file is one JSON object; "
                                      "`c2c schema TYPE` shows its keys)"]


def test_a_bad_enum_value_is_echoed_with_the_closest_valid_one(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42(dataCollection=["auditEvent", "fileEvents"]))
    result = c2c("check", conf, env=clean_env(CODE42_SECRET_KEY=SECRET))
    assert _errors(result.stderr) == [f'{conf}: source.config.dataCollection[0]: "auditEvent": must be one of '
                                      '"auditEvents", "alerts", "fileEvents"; did you mean "auditEvents"?']


def test_a_wrongly_cased_value_suggests_the_right_case(tmp_path: Path) -> None:
    doc = source("Druva inSync", name="inSync", baseURL="https://insyncapi-cloud.druva.com", username="a@b.c",
                 token="t", format="cef")
    result = c2c("check", write_json(tmp_path / "c.json", doc))
    assert 'source.config.format: "cef": must be one of "CEF", "Syslog", "JSON"; did you mean "CEF"?' in result.stderr


def test_a_source_type_with_a_space_suggests_the_type(tmp_path: Path) -> None:
    doc = _code42()
    doc["source"]["schemaRef"]["type"] = "Code42 Incydr"  # type: ignore[index]
    result = c2c("check", write_json(tmp_path / "c.json", doc), env=clean_env(CODE42_SECRET_KEY=SECRET))
    assert 'source.schemaRef.type: "Code42 Incydr": unknown source type' in result.stderr
    assert 'did you mean "Code42Incydr"?' in result.stderr


def test_no_suggestion_when_nothing_is_close(tmp_path: Path) -> None:
    conf = write_json(tmp_path / "c.json", _code42(dataCollection=["zzz"]))
    result = c2c("check", conf, env=clean_env(CODE42_SECRET_KEY=SECRET))
    assert '"zzz": must be one of "auditEvents", "alerts", "fileEvents"\n' in result.stderr


def test_at_most_50_problems_per_file_then_a_count(tmp_path: Path) -> None:
    broken = {"api.version": "v1", "sources": [
        {"config": {"name": i}, "schemaRef": {"type": "Code42Incydr"}, "sourceType": "Universal"} for i in range(500)]}
    big = write_json(tmp_path / "big.json", broken)
    small = write_json(tmp_path / "small.json", _code42(name=1))
    result = c2c("check", big, small, env=clean_env(CODE42_SECRET_KEY=SECRET))
    assert result.code == 3
    errors = _errors(result.stderr)
    from_big = [e for e in errors if e.startswith(str(big))]
    assert len(from_big) == 51
    assert from_big[-1] == f"{big}: … and 950 more problem(s) in this file"  # 500 sources x 2 problems, 50 shown
    assert [e for e in errors if e.startswith(str(small))] == [
        f"{small}: source.config.name: must be of type string, not number"]
    assert result.stderr.splitlines()[-1] == "c2c: 1001 config problem(s); nothing was collected"


def test_a_missing_keys_problem_is_reported_once(tmp_path: Path) -> None:
    doc = source("Code42Incydr", name="x")
    result = c2c("check", write_json(tmp_path / "c.json", doc))
    assert _errors(result.stderr) == [
        f'{tmp_path / "c.json"}: source.config: missing required key "baseURL", "clientID", "secretKey"']
