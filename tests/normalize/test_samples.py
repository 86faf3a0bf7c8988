"""Golden files: the vendors' own sample payloads through every mapping. Regenerate after a deliberate
table change with `C2C_UPDATE_GOLDEN=1 pytest tests/normalize/test_samples.py` and review the diff."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from c2c.output import RecordMaker
from c2c.parse_cmd import run_parse

from .conftest import REPO
from .schemas import ecs_errors, event_part, ocsf_errors

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "samples"
GOLDEN = HERE / "golden"
TIME = "2024-01-02T03:04:05.678Z"
# sample file -> data type (a .json list holds several events)
SAMPLE_TYPES = {"realize-admin-login.json": "realizeEvents", "code42-file-event.json": "fileEvents",
                "code42-session.json": "alerts", "code42-audit.json": "auditEvents", "insync-v2.json": "insyncEvents"}


def compare(name: str, records: list[dict[str, Any]]) -> None:
    path = GOLDEN / name
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    if os.environ.get("C2C_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with C2C_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def check(fmt: str, records: list[dict[str, Any]]) -> None:
    for record in records:
        event = event_part(record, ("env",))
        assert (ocsf_errors(event) if fmt == "ocsf" else ecs_errors(event)) == [], event
        assert "_mappingNotes" not in record, record["_mappingNotes"]  # the vendors' own samples map whole


@pytest.mark.parametrize("fmt", ["ocsf", "ecs"])
@pytest.mark.parametrize("sample", sorted(SAMPLE_TYPES))
def test_sample_payload(sample: str, fmt: str) -> None:
    data = json.loads((SAMPLES / sample).read_text(encoding="utf-8"))
    maker = RecordMaker("sample", "samples", {"env": "test"}, SAMPLE_TYPES[sample], output_format=fmt)
    records = [json.loads(maker.line(e, TIME)) for e in (data if isinstance(data, list) else [data])]
    check(fmt, records)
    for record in records:
        assert record["_source"] == "sample"
        assert record["_sourceCategory"] == "samples"
        assert record["_dataType"] == SAMPLE_TYPES[sample]
        assert record["_time"] == TIME
        assert record["env"] == "test"
    compare(f"{sample.removesuffix('.json')}.{fmt}.ndjson", records)


@pytest.mark.parametrize("fmt", ["ocsf", "ecs"])
@pytest.mark.parametrize("kind", ["cef", "syslog"])
def test_druva_sample_lines_through_c2c_parse(kind: str, fmt: str) -> None:
    out, err = io.BytesIO(), io.StringIO()
    assert run_parse(kind, str(REPO / "tests" / "data" / f"insync-{kind}.txt"), output_format=fmt, out=out,
                     err=err) == 0
    records = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert len(records) == 1
    check(fmt, records)
    compare(f"insync-{kind}.{fmt}.ndjson", records)
