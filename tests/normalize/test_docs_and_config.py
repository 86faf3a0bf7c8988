"""The documentation lists every table row; outputFormat is one choice in the schemas, the config and
`c2c parse`."""

from __future__ import annotations

import json
from pathlib import Path

from c2c import schemas
from c2c.normalize import doc, ocsf
from c2c.output import OUTPUT_FORMATS

from .conftest import REPO, run_c2c

DOC = REPO / "docs" / "output-formats.md"


def test_doc_is_generated_from_the_tables() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert doc.splice(text) == text, "run: python -m c2c.normalize.doc --write docs/output-formats.md"
    for row in ocsf.FILE_EVENTS.rows:
        assert f"| `{row.target}` |" in text


def test_doc_has_the_cost_figures() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "COST_FIGURES" not in text
    assert "us/event" in text


def test_schema_enum_is_the_formats_c2c_knows() -> None:
    common = schemas.load("common")["$defs"]["outputFormat"]
    assert tuple(common["enum"]) == OUTPUT_FORMATS
    assert common["default"] == "raw"
    for source_type in schemas.SCHEMA_FILES:
        bundled = schemas.bundled(source_type)["properties"]["outputFormat"]
        assert bundled["enum"] == list(OUTPUT_FORMATS), source_type


def test_check_rejects_an_unknown_output_format(tmp_path: Path) -> None:
    conf = tmp_path / "druva.json"
    conf.write_text(json.dumps({"api.version": "v1", "source": {"config": {
        "name": "x", "baseURL": "https://apis.druva.com", "clientID": "id", "secretKey": "s", "outputFormat": "cef"},
        "schemaRef": {"type": "Druva Cyber Resilience"}, "sourceType": "Universal"}}))
    proc = run_c2c("check", str(conf))
    assert proc.returncode != 0
    assert "outputFormat" in proc.stderr
    assert '"raw", "ocsf", "ecs"' in proc.stderr


def test_check_accepts_each_output_format(tmp_path: Path) -> None:
    for fmt in OUTPUT_FORMATS:
        conf = tmp_path / f"{fmt}.json"
        conf.write_text(json.dumps({"api.version": "v1", "source": {"config": {
            "name": fmt, "baseURL": "https://apis.druva.com", "clientID": "id", "secretKey": "s",
            "outputFormat": fmt}, "schemaRef": {"type": "Druva Cyber Resilience"}, "sourceType": "Universal"}}))
        assert run_c2c("check", str(conf)).returncode == 0, fmt


def test_parse_output_format_flag() -> None:
    sample = str(REPO / "tests" / "data" / "insync-cef.txt")
    raw = json.loads(run_c2c("parse", "cef", sample).stdout)
    ocsf_record = json.loads(run_c2c("parse", "cef", sample, "--output-format", "ocsf").stdout)
    ecs_record = json.loads(run_c2c("parse", "cef", sample, "--output-format", "ecs").stdout)
    assert raw["EventType"] == "Admin Audit Trail"
    assert ocsf_record["class_uid"] == 3004
    assert ecs_record["event"]["action"] == "Admin Audit Trail"
    for record in (ocsf_record, ecs_record):
        assert {k: record[k] for k in ("_source", "_dataType", "_time")} == {
            k: raw[k] for k in ("_source", "_dataType", "_time")}
    bad = run_c2c("parse", "cef", sample, "--output-format", "xml")
    assert bad.returncode == 2
