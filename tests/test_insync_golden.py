"""Golden test: Druva's CEF and RFC 5424 sample lines decode to exactly the same record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from c2c.formats.cef import parse_cef
from c2c.formats.syslog import parse_syslog
from insync_expected import DATA_DIR, EXPECTED_SAMPLE_RECORD, SHARED_EXAMPLES_DIR

SAMPLES: list[tuple[str, Callable[[str], dict[str, Any]]]] = [
    ("insync-cef.txt", parse_cef),
    ("insync-syslog.txt", parse_syslog),
]


def _only_line(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1, f"{path} should hold exactly one sample line"
    return lines[0]


@pytest.mark.parametrize(("name", "parse"), SAMPLES)
def test_sample_copy_decodes_to_golden_record(name: str, parse: Callable[[str], dict[str, Any]]) -> None:
    record = parse(_only_line(DATA_DIR / name))
    assert record == EXPECTED_SAMPLE_RECORD
    # == treats 1 and "1" as different, but also check types explicitly for the int fields.
    assert {k: type(v) for k, v in record.items()} == {k: type(v) for k, v in EXPECTED_SAMPLE_RECORD.items()}


def test_sample_copies_keep_the_typographic_apostrophe() -> None:
    # Guards against an editor "fixing" the vendor's U+2019 into an ASCII quote.
    for name, _ in SAMPLES:
        assert "Admin\u2019s Mac mini" in (DATA_DIR / name).read_text(encoding="utf-8")


def test_cef_and_syslog_samples_decode_identically() -> None:
    cef = parse_cef(_only_line(DATA_DIR / "insync-cef.txt"))
    syslog = parse_syslog(_only_line(DATA_DIR / "insync-syslog.txt"))
    assert cef == syslog


@pytest.mark.parametrize(("name", "parse"), SAMPLES)
def test_copies_match_shared_originals(name: str, parse: Callable[[str], dict[str, Any]]) -> None:
    original = SHARED_EXAMPLES_DIR / name
    if not original.is_file():
        pytest.skip(f"{original} not present (shared/ is outside the repository)")
    assert (DATA_DIR / name).read_bytes() == original.read_bytes()
    assert parse(_only_line(original)) == EXPECTED_SAMPLE_RECORD
