"""The fast extra (msgspec) against the standard library: the same records, and nothing extra without it.

The comparison needs msgspec (in the `test` extra); without it those tests skip, saying so.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from c2c import jsoncodec
from c2c.jsonstream import Body, Shape, Window, decode
from c2c.output import RecordMaker

from .conftest import PLUGIN

msgspec = pytest.importorskip("msgspec", reason="the fast extra (msgspec) is not installed: nothing to compare")

# Bodies as a vendor might send them, each decoded and re-encoded by both codecs.
BODIES = [
    '{"user": "J\u00fcrgen \u0141\u00f3d\u017a \u6771\u4eac \U0001f600",'
    ' "path": "C:\\\\Users\\\\x\\n\\t\\"q\\"\\u0000\\u001f"}',
    '{"id": 123456789012345678901234567890, "neg": -18446744073709551617, "u64": 18446744073709551615}',
    '{"f": [0.1, 1e16, -0.0, 1.5e-7, 1.7976931348623157e308, 5e-324, 3.0, 123456789.123]}',
    '{"nan": NaN, "inf": Infinity, "ninf": -Infinity, "big": 1e400}',
    '{"lone": "\\ud800", "pair": "\\ud83d\\ude00", "sep": "\\u2028\\u2029\\ufeff\\uffff"}',
    '{"nested": {"a": [1, {"b": [true, false, null]}], "": "", "dup": 1, "dup": 2}, "empty": [{}, []]}',
]


@pytest.fixture
def codecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, tuple[Any, Any]]]:
    """{"stdlib": (loads, encode), "msgspec": (loads, encode)}, each built under its own C2C_JSON_CODEC."""
    out = {}
    for name, value in (("stdlib", "stdlib"), ("msgspec", "")):
        monkeypatch.setenv(jsoncodec.ENV, value)
        jsoncodec._msgspec.cache_clear()
        out[name] = (jsoncodec.decoder(), jsoncodec.encoder())
    assert jsoncodec.fast_backend() == "msgspec"
    monkeypatch.setattr(jsoncodec, "FAST_MIN_CHARS", 0)  # these bodies are short; a page is read the same way
    yield out
    jsoncodec._msgspec.cache_clear()


def canonical(text: str) -> str:
    """The content of a JSON text, spelled one way (floats and NaN as the stdlib writes them)."""
    return json.dumps(json.loads(text), ensure_ascii=False)


@pytest.mark.parametrize("body", BODIES)
def test_both_codecs_decode_and_encode_the_same_content(codecs, body):
    std_loads, std_encode = codecs["stdlib"]
    fast_loads, fast_encode = codecs["msgspec"]
    std_value, fast_value = std_loads(body), fast_loads(body)
    std_text, fast_text = std_encode(std_value), fast_encode(fast_value)
    assert canonical(fast_text) == canonical(std_text)
    assert canonical(std_text) == canonical(body)


def test_values_msgspec_refuses_are_written_as_the_stdlib_writes_them(codecs):
    _, std_encode = codecs["stdlib"]
    fast_loads, fast_encode = codecs["msgspec"]
    value = fast_loads(BODIES[3])  # NaN and Infinity: msgspec refuses the body, the stdlib decodes it
    assert math.isnan(value["nan"])
    assert value["inf"] == value["big"] == math.inf
    assert fast_encode(value) == std_encode(value) == '{"nan":NaN,"inf":Infinity,"ninf":-Infinity,"big":Infinity}'
    lone = fast_loads(BODIES[4])
    assert fast_encode(lone) == std_encode(lone)  # a lone surrogate: the stdlib's text, not an error
    big = {"id": 2**200, "neg": -(2**70)}
    assert fast_encode(big) == std_encode(big) == f'{{"id":{2**200},"neg":{-(2**70)}}}'


def test_strings_and_integers_are_byte_identical(codecs):
    """Only float spelling may differ between the codecs; every other value is written byte for byte alike."""
    text = "".join(chr(i) for i in range(0x300)) + "\u2028\u2029\ufeff\U0001f600\uffff"
    value = {"s": text, "k" + text: [2**100, -(2**80), 0, True, None, {}, []]}
    assert codecs["msgspec"][1](value) == codecs["stdlib"][1](value)


def test_records_are_the_same_field_by_field(codecs, monkeypatch):
    """RecordMaker's lines (metadata, custom fields, a vendor `_time`) under each codec."""
    lines = {}
    for name in codecs:
        monkeypatch.setenv(jsoncodec.ENV, "stdlib" if name == "stdlib" else "")
        jsoncodec._msgspec.cache_clear()
        monkeypatch.setattr("c2c.output._encode", jsoncodec.encoder())
        maker = RecordMaker("src \u00e9", "cat/\u6771", {"team": "\u00fc", "n": 2**65}, "fileEvents")
        loads = codecs[name][0]
        lines[name] = [maker.line(loads(body), "2026-01-02T03:04:05.678Z") for body in BODIES]
    for std_line, fast_line in zip(lines["stdlib"], lines["msgspec"], strict=True):
        std_record, fast_record = json.loads(std_line), json.loads(fast_line)
        assert list(fast_record) == list(std_record)  # same fields, same order
        for field in std_record:
            assert canonical(json.dumps(fast_record[field])) == canonical(json.dumps(std_record[field])), field


def _parse(lines: str, tmp_path: Path, codec: str, pythonpath: str) -> subprocess.CompletedProcess[bytes]:
    src = tmp_path / "events.cef"
    src.write_text(lines, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "c2c", "parse", "cef", str(src)], capture_output=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": pythonpath, jsoncodec.ENV: codec})


CEF = (
    "Sep 21 2017 10:00:00 cloud.druva.com CEF:0|Druva|inSync|1||Restore|3|suser=j\u00fcrgen@ex.com "
    "dvchost=J\u00fcrgen\u2019s \u6771\u4eac Mac duid=123456789012345678901234567890 "
    "cs1Label=EventDetails cs1=C:\\\\Users\\\\j\\=1\\nsecond line \U0001f600 \"quoted\"\n"
    "no CEF marker here: kept raw with _parseError \u00e9\n"
)


def test_c2c_parse_writes_the_same_bytes_with_either_codec(tmp_path):
    stdlib = _parse(CEF, tmp_path, "stdlib", str(PLUGIN))
    fast = _parse(CEF, tmp_path, "", str(PLUGIN))
    assert stdlib.returncode == fast.returncode == 0, fast.stderr
    records = [json.loads(line) for line in stdlib.stdout.splitlines()]
    assert records[0]["inSyncUserID"] == 123456789012345678901234567890
    assert records[0]["EventDetails"] == 'C:\\Users\\j=1\nsecond line \U0001f600 "quoted"'
    assert "_parseError" in records[1]
    fast_lines, stdlib_lines = fast.stdout.splitlines(), stdlib.stdout.splitlines()
    assert fast_lines[0] == stdlib_lines[0]  # parsed records hold no floats: byte for byte
    unparsed = [{k: v for k, v in json.loads(line[1]).items() if k != "_time"}  # _time: when it was read
                for line in (fast_lines, stdlib_lines)]
    assert unparsed[0] == unparsed[1]


def test_without_the_extra_nothing_changes_and_nothing_extra_is_imported(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.mkdir()
    (blocker / "msgspec.py").write_text('raise ImportError("the fast extra is not installed")\n')
    probe = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "from c2c import jsoncodec\n"
        "encode, loads = jsoncodec.encoder(), jsoncodec.decoder()\n"
        f"bodies = {BODIES!r}\n"
        "out = [encode(loads(b)) for b in bodies]\n"
        "std = jsoncodec.stdlib_encoder()\n"
        "assert out == [std(json.loads(b)) for b in bodies], out\n"
        "assert loads is json.loads and jsoncodec.fast_backend() is None\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{blocker}:{PLUGIN}"})
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout))
    assert "msgspec" not in loaded
    # Only the standard library beside c2c.jsoncodec (which stdlib modules were already loaded at start-up
    # depends on the interpreter's site setup: a fresh venv loads fewer than this machine's Python).
    foreign = {m for m in loaded if m.split(".")[0] not in sys.stdlib_module_names} - {"c2c", "c2c.jsoncodec"}
    assert foreign == set(), loaded
    parsed_without = _parse(CEF, tmp_path, "", f"{blocker}:{PLUGIN}")
    stdlib_only = _parse(CEF, tmp_path, "stdlib", str(PLUGIN))
    assert parsed_without.stdout.splitlines()[0] == stdlib_only.stdout.splitlines()[0]


def test_an_idle_run_does_not_import_the_extra(served, conf, run):
    """The codec is picked at the first record: a run with nothing new never loads msgspec."""
    first = run("run", conf)
    assert first.code == 0
    assert first.records
    assert "msgspec" in first.modules
    idle = run("run", conf)
    assert idle.code == 0
    assert not idle.records
    assert "msgspec" not in idle.modules


def test_a_collection_run_gives_the_same_records_with_either_codec(served, tmp_path, run):
    """Druva Cyber Resilience events over HTTP from the emulator, collected twice from the start."""
    from .conftest import source_doc

    records = {}
    for codec in ("stdlib", ""):
        conf = tmp_path / f"source-{codec or 'fast'}.json"
        conf.write_text(json.dumps(source_doc(served.base_url, name=f"perf {codec or 'fast'}")))
        result = run("run", conf, env={jsoncodec.ENV: codec})
        assert result.code == 0, result.stderr
        assert ("msgspec" in result.modules) == (codec == "")
        records[codec] = [{k: v for k, v in r.items() if k != "_source"} for r in result.records]
    assert len(records[""]) == len(records["stdlib"]) > 200
    for std_record, fast_record in zip(records["stdlib"], records[""], strict=True):
        assert fast_record == std_record


PAGES = [
    '{"fileEvents": [' + ", ".join(BODIES) + '], "nextPgToken": "t-1", "problems": null, "totalCount": 6}',
    '{"totalCount": 2, "fileEvents": [{"id": 1}, 123456789012345678901234567890, "x", [], {}], "nextPgToken": null}',
    '{"fileEvents": [ ] , "nextPgToken": null}',
    '{"fileEvents": null, "problems": [{"type": "X"}]}',
    '{"problems": []}',
]


OBJECT = (Body(Shape.OBJECT_LIST, "fileEvents"),)


def _arriving(text: str, size: int) -> Window:
    """`text` as a body read `size` characters at a time."""
    return Window(chunks=(text[i : i + size] for i in range(0, len(text), size)))


def _read(text: str, size: int, bodies: tuple[Body, ...] = OBJECT) -> tuple[list[Any], dict[str, Any]] | str:
    """(items, members) of a body, or the kind of error it raised."""
    try:
        decoded = decode(_arriving(text, size), bodies)
        return list(decoded.items), decoded.members
    except ValueError as exc:
        return type(exc).__name__


@pytest.mark.parametrize("size", [5, 97, 1 << 20])
@pytest.mark.parametrize("page", PAGES)
def test_an_object_page_is_read_item_by_item_as_the_stdlib_reads_it(codecs, page, size):
    whole = json.loads(page)
    read = _read(page, size)
    assert not isinstance(read, str), read
    items, members = read
    expected = whole.pop("fileEvents", None)
    if isinstance(expected, list):
        assert [canonical(json.dumps(i)) for i in items] == [canonical(json.dumps(i)) for i in expected]
    else:
        assert items == []
        if "fileEvents" in page:
            whole["fileEvents"] = expected
    assert members == whole


def test_with_the_extra_a_page_is_read_a_window_at_a_time_by_msgspec(codecs, monkeypatch):
    """One msgspec call per window, not one per item (the CPU the fast extra saves) nor one per body (the
    memory the windows save); the items are the standard library's."""
    calls: list[int] = []
    read_list = jsoncodec._read_list
    monkeypatch.setattr(jsoncodec, "_read_list", lambda text: calls.append(len(text)) or read_list(text))
    page = json.dumps({"fileEvents": [{"id": i, "path": f"C:\\\u00e9\u6771/{i}", "n": [i, 0.5]} for i in range(400)],
                       "nextPgToken": None})
    items, members = _read(page, 2000)  # type: ignore[misc]
    assert [i["id"] for i in items] == list(range(400))
    assert members == {"nextPgToken": None}
    assert len(page) // 2000 - 2 <= len(calls) <= len(page) // 2000 + 2
    assert max(calls) < 2 * 2000


@pytest.mark.parametrize("body", ['{"fileEvents": [{"a": 1}, {"b": 2', "<html>busy</html>", "[1, 2]",
                                  '{"fileEvents": [1]} trailing', '{"fileEvents": [1, NaN]}',
                                  '{"fileEvents": [{"a": 1}, {"a": NaN}, {"a": "\\E"}, {"a": 3}]}'])
@pytest.mark.parametrize("size", [3, 1 << 20])
def test_a_window_msgspec_refuses_is_read_as_the_stdlib_reads_it(codecs, monkeypatch, body, size):
    fast = _read(body, size)
    monkeypatch.setenv(jsoncodec.ENV, "stdlib")
    jsoncodec._msgspec.cache_clear()
    assert repr(fast) == repr(_read(body, size))


def test_a_list_body_is_read_item_by_item(codecs):
    items, _ = _read('[{"a": "\\u00e9"}, 1e400, 2]', 4, (Body(Shape.JSON_LIST),))  # type: ignore[misc]
    assert items == [{"a": "\u00e9"}, math.inf, 2]
    assert _read('{"a": 1}', 4, (Body(Shape.JSON_LIST),)) == "ValueError"
    assert _read("[1, 2", 4, (Body(Shape.JSON_LIST),)) == "ValueError"


def test_the_stdlib_reader_marks_non_finite_numbers_only_when_msgspec_encodes(codecs, monkeypatch):
    """A page msgspec refuses is read by the standard library; its NaN must still be written as NaN."""
    monkeypatch.setenv(jsoncodec.ENV, "")
    jsoncodec._msgspec.cache_clear()
    value, _ = jsoncodec.stdlib_raw_decode()('{"a": NaN, "b": 1e400, "c": 1.5}', 0)
    assert isinstance(value["a"], jsoncodec.NonFinite)
    assert isinstance(value["b"], jsoncodec.NonFinite)
    assert type(value["c"]) is float
    assert jsoncodec.encoder()(value) == '{"a":NaN,"b":Infinity,"c":1.5}'
    monkeypatch.setenv(jsoncodec.ENV, "stdlib")
    plain, _ = jsoncodec.stdlib_raw_decode()('{"a": NaN}', 0)
    assert type(plain["a"]) is float


@pytest.fixture
def code42() -> Iterator[str]:
    """An Incydr emulator with 1,500 file events and no late ones (two runs a moment apart see the same)."""
    from c2c.emulator.code42 import IncydrService
    from c2c.emulator.core import Emulator

    emu = Emulator()
    IncydrService(emu, client_id="perf-c42", secret="perf-c42-secret", seed=7, events=1500, rate_limit=0,
                  late_permille=0, max_index_lag_s=0)
    emu.start()
    try:
        yield emu.base_url
    finally:
        emu.stop()


def test_code42_pages_give_the_same_records_with_either_codec(code42, tmp_path, run):
    """Pages of 1,000 file events (~800 KB, read by msgspec item by item with the extra) over HTTP."""
    records = {}
    for codec in ("stdlib", ""):
        conf = tmp_path / f"code42-{codec or 'fast'}.json"
        conf.write_text(json.dumps({"api.version": "v1", "source": {"config": {
            "name": f"c42 {codec or 'fast'}", "baseURL": code42, "clientID": "perf-c42", "secretKey": "perf-c42-secret",
            "dataCollection": ["fileEvents"], "fileEventsPageSize": 1000, "firstRunLookbackHours": 24},
            "schemaRef": {"type": "Code42Incydr"}, "sourceType": "Universal"}}))
        result = run("run", conf, env={jsoncodec.ENV: codec})
        assert result.code == 0, result.stderr
        records[codec] = [{k: v for k, v in r.items() if k != "_source"} for r in result.records]
    assert len(records["stdlib"]) == 1500
    assert records[""] == records["stdlib"]
