"""`c2c parse`'s fast paths give what the general paths give, on tricky input.

- a block of lines parsed at once (`parse_cef_lines`, `parse_syslog_lines`) gives each line's record and event
  time as the line alone gets them, whatever the mix of shapes, of "=" in other places and of lines the block
  path hands on;
- a CEF or Syslog line parsed through a cached plan (the previous line's, or one from the plan cache) gives the
  record the same line gets with empty caches, key order and types included;
- the all-at-once int conversion converts exactly as `convert_ints`;
- `RecordMaker.encode` of the records `finish` and `table` make writes the bytes `RecordMaker.line` writes for
  each event, with either codec (and with the fast extra, a table makes no dict per event);
- `read_lines` gives the lines that iterating the file gives, decoded and stripped as before;
- the inSync `event_time` shortcut gives `timefmt.event_time`'s answer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c import jsoncodec, output, parse_cmd, timefmt
from c2c.formats import cef, insync, syslog
from c2c.formats.insync_fields import INT_ATTRS, convert_ints, int_converter
from c2c.output import RecordMaker

PREFIX = "Sep 21 2017 13:41:14 cloud.druva.com "
HEADER = "CEF:0|Druva|inSync|1||Admin Audit Trail|6|"
SYSLOG_HEAD = "<46>1 2017-09-21T13:41:14Z cloud.druva.com Druva inSync - -  "

CEF_LINES = [
    PREFIX + HEADER + "suser=a cs1Label=EventDetails cs1=x\\=1 y\\\\n\\n duid=007 cn1Label=ProfileID cn1=\u00b2",
    PREFIX + HEADER + "suser=b cs1Label=EventDetails cs1=plain duid=12 cn1Label=ProfileID cn1=3",
    PREFIX + HEADER + "suser=b cs1Label=ClientOS cs1=same keys, other labels duid=12 cn1Label=ProfileName cn1=3",
    PREFIX + HEADER + "suser=c cs1Label=EventDetails cs1=a=b k=v duid= cn1Label=ProfileID cn1=9",
    PREFIX + HEADER + "suser=d cs1Label=EventType cs1=label collides with a header name duid=1",  # not folded
    HEADER + "cs1Label=Hostname cs1=no prefix, so this label may fold duid=2",
    PREFIX + HEADER + "cs1Label=Hostname cs1=the prefix sets Hostname duid=2",
    PREFIX + HEADER + "suser=e suser=repeated suser=keys deviceFacility=3 Facility=4 sourceUserName=full",
    PREFIX + HEADER + "suser=caf\u00e9 \u65e5\u672c dvchost=Admin\u2019s Mac unknownKey=1 a.b=2 x[1]=3 EventID=0042",
    PREFIX + HEADER + "leading text suser=f cs2Label= cs2=empty label cs3=no label cs4Label=orphan",
    PREFIX + "CEF:0|Druva|inSync|1|Sig\\|1|Name \\\\ x|7|suser=g duid=" + "9" * 4001,
    PREFIX + HEADER + "suser=h Severity=99 EventType=shadowed Hostname=too cn2Label=inSyncUserID cn2=77",
    PREFIX + HEADER,
    "<13>Sep 21 10:00:00 h " + HEADER + "suser=i",
]

SYSLOG_LINES = [
    SYSLOG_HEAD + "Initiator=a EventDetails=free text k=v IP=1.2.3.4 ProfileID=007 inSyncUserID=12",
    SYSLOG_HEAD + "Initiator=b EventDetails=free text k=v IP=1.2.3.4 ProfileID=\u00b2 inSyncUserID=",
    SYSLOG_HEAD + "Initiator=c newKey=after a known one EventID=0042 Facility=9 Severity=x",
    "<46>1 2017-09-21T13:41:14Z h Druva inSync 77 ID47 - Initiator=d ProfileID=5 EventID=from body",
    "<46>1 2017-09-21T13:41:14Z h Druva inSync 77z ID47 - Initiator=e ProfileID=5",
    "<46>1 2017-09-21T13:41:14Z h Druva inSync - ID47 [ex@1 a=\"b\\\"c\"] Initiator=f inSyncDataSourceID=" + "9" * 4001,
    SYSLOG_HEAD + "leading Initiator=g ErrorLogFullTrace=x=y z=w ClientOS=caf\u00e9 \u65e5\u672c",
    SYSLOG_HEAD,
]

PARSERS: list[tuple[Callable[[str], dict[str, Any]], Any, list[str]]] = [
    (cef.parse_cef, cef, CEF_LINES),
    (syslog.parse_syslog, syslog, SYSLOG_LINES),
]


def _cold(parse: Callable[[str], dict[str, Any]], module: Any, line: str) -> dict[str, Any]:
    """The line parsed with every plan cache empty: the general path."""
    module._PLANS.clear()
    module._LAST[:] = [None] * len(module._LAST)
    return parse(line)


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert list(a.items()) == list(b.items())
    assert [type(v) for v in a.values()] == [type(v) for v in b.values()]


@pytest.mark.parametrize(("parse", "module", "lines"), PARSERS, ids=["cef", "syslog"])
def test_a_cached_plan_gives_the_record_the_general_path_gives(parse, module, lines):
    cold = [_cold(parse, module, line) for line in lines]
    assert all("_parseError" not in record for record in cold)
    for order in (lines, lines[::-1], [line for line in lines for _ in range(2)]):
        warm = [parse(line) for line in order]  # each after the previous line's plan, the cache filled
        for line, record in zip(order, warm, strict=True):
            _same(record, cold[lines.index(line)])


# Lines that share a shape with their neighbours but differ in what the block path must check line by line.
DRUVA_CEF = PREFIX + "CEF:0|Druva|inSync|1||Backup|6|suser=a cs1Label=EventDetails cs1=x duid=12 deviceFacility=6"
DRUVA_SYSLOG = SYSLOG_HEAD + "Initiator=a EventDetails=free k=v IP=1.2.3.4 ProfileID=7 inSyncUserID=12"
CEF_BLOCK_LINES = [
    DRUVA_CEF,
    DRUVA_CEF.replace("cs1=x", "cs1=C:\\\\Users\\=1 \\n"),  # escapes
    DRUVA_CEF.replace("Sep 21 2017", "Feb 30 2024"),  # no such day
    DRUVA_CEF.replace("Sep 21 2017", "Feb 29 2024"),
    DRUVA_CEF.replace("Sep 21", "Sep  1"),
    DRUVA_CEF + "\r",  # a line end left on
    DRUVA_CEF.replace("||", "|Sig|"),  # a Signature ID on one line only
    DRUVA_CEF.replace("EventDetails", "ClientOS"),  # same keys, another label
    DRUVA_CEF.replace("EventDetails", "Hostname"),  # a label that would shadow a header field
    DRUVA_CEF.replace("suser=", "sourceUserName="),  # another first key
    DRUVA_CEF.replace("suser=a", "lead suser=a"),  # leading text
    DRUVA_CEF.replace("cloud.druva.com", "host:1"),  # a host the block pattern leaves to the line parser
    DRUVA_CEF.replace("cloud.druva.com", "h\\x"),
    DRUVA_CEF.replace("Backup", "Back\\|up"),  # an escape in the header
    DRUVA_CEF.replace("Backup", "Back=up"),
    DRUVA_CEF.replace("duid=12", "duid=\u00b2"),  # not an int
    DRUVA_CEF.replace("duid=12", "duid="),
    DRUVA_CEF.replace("duid=12", "duid=" + "9" * 4001),
    DRUVA_CEF.replace("deviceFacility=6", "Severity=x EventType=y"),  # shadowed by the header
    DRUVA_CEF.replace("cs1=x", "cs1=a|b=c"),
    DRUVA_CEF.replace("CEF:0", "CEF: 0"),
    DRUVA_CEF.replace("Sep 21 2017 13:41:14", "Sep 21 2017 24:41:14"),
    "no marker at all",
    *CEF_LINES,
]
SYSLOG_BLOCK_LINES = [
    DRUVA_SYSLOG,
    DRUVA_SYSLOG.replace("2017-09-21", "2024-02-30"),  # no such day
    DRUVA_SYSLOG.replace("2017-09-21", "2024-02-29"),
    DRUVA_SYSLOG.replace("2017-09-21", "2023-02-29"),
    DRUVA_SYSLOG.replace("13:41:14Z", "13:41:14.123456Z"),
    DRUVA_SYSLOG.replace("13:41:14Z", "13:41:14+02:00"),
    DRUVA_SYSLOG.replace("<46>", "<192>"),
    DRUVA_SYSLOG.replace("<46>", "<191>"),
    DRUVA_SYSLOG + "\r",
    DRUVA_SYSLOG.replace("inSync - -", "inSync 77 -"),  # a PROCID on one line only
    DRUVA_SYSLOG.replace("inSync - -", "inSync - ID1"),
    DRUVA_SYSLOG.replace("inSync - -", "inSync - - -"),  # nil SD
    DRUVA_SYSLOG.replace("inSync - -", "inSync\t-\u00a0-"),
    DRUVA_SYSLOG.replace("inSync - -", "inSync - [ex@1 a=\"b\"]"),
    DRUVA_SYSLOG.replace("inSync - -", "inSync - [ex@1"),
    DRUVA_SYSLOG.replace("cloud.druva.com", "-"),
    DRUVA_SYSLOG.replace("Druva inSync", "Other app"),
    DRUVA_SYSLOG.replace("Initiator=a", "lead Initiator=a"),
    DRUVA_SYSLOG.replace("-  Initiator", "-  \ufeffInitiator"),
    DRUVA_SYSLOG.replace("k=v", "k=v l.m=n"),  # more unknown keys glued to the free text
    DRUVA_SYSLOG.replace("free k=v", "free"),
    DRUVA_SYSLOG.replace("IP=", "newKey=x IP="),  # an unknown key after a known one
    DRUVA_SYSLOG.replace("ProfileID=7", "ProfileID=\u00b2 Facility=1 EventID=x"),
    DRUVA_SYSLOG.replace("inSyncUserID=12", "inSyncUserID=" + "9" * 4001),
    "<46>1 - h Druva inSync - - Initiator=a",
    "not syslog",
    *SYSLOG_LINES,
]
BLOCK_PARSERS = [
    (cef.parse_cef, cef.parse_cef_lines, cef, CEF_BLOCK_LINES),
    (syslog.parse_syslog, syslog.parse_syslog_lines, syslog, SYSLOG_BLOCK_LINES),
]


@pytest.mark.parametrize(("parse", "parse_lines", "module", "lines"), BLOCK_PARSERS, ids=["cef", "syslog"])
def test_a_block_gives_each_lines_record_and_time(parse, parse_lines, module, lines):
    cold = [_cold(parse, module, line) for line in lines]
    first = lines[:1] * 3
    for block in ([*first, *lines], lines, [*first, *lines[::-1]], [line for line in lines for _ in range(3)],
                  lines[1:] + first):
        records, times, slow = parse_lines(block)
        assert len(records) == len(times) == len(block)
        assert slow == sorted(slow)
        for line, record, time_text in zip(block, records, times, strict=True):
            _same(record, cold[lines.index(line)])
            assert time_text == insync.event_time(record)


# Lines the block path reads itself (the others go to the line parser): escapes, ints that are not, repeated and
# shadowed keys, unknown keys glued to free text, PROCID, MSGID and a nil SD.
BLOCK_READ = [
    (cef, "parse_cef", [DRUVA_CEF, CEF_BLOCK_LINES[1], CEF_BLOCK_LINES[15], CEF_BLOCK_LINES[18], CEF_LINES[0],
                        CEF_LINES[7], CEF_LINES[8], CEF_LINES[11]]),
    (syslog, "parse_syslog", [DRUVA_SYSLOG, SYSLOG_BLOCK_LINES[4], SYSLOG_BLOCK_LINES[11], SYSLOG_BLOCK_LINES[19],
                              SYSLOG_BLOCK_LINES[22], SYSLOG_LINES[2], SYSLOG_LINES[3]]),
]


@pytest.mark.parametrize(("module", "name", "lines"), BLOCK_READ, ids=["cef", "syslog"])
def test_druvas_lines_are_read_by_the_block_path(module, name, lines, monkeypatch):
    parse = getattr(module, name)
    cold = [_cold(parse, module, line) for line in lines]

    def refuse(line: str) -> dict[str, Any]:
        raise AssertionError(f"left to the line parser: {line!r}")

    monkeypatch.setattr(module, name, refuse)
    records, times, slow = getattr(module, f"{name}_lines")(lines)
    assert slow == []
    for record, expected, time_text in zip(records, cold, times, strict=True):
        _same(record, expected)
        assert time_text == insync.event_time(expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(CEF_BLOCK_LINES))), max_size=12),
       st.lists(st.sampled_from(range(len(SYSLOG_BLOCK_LINES))), max_size=12))
def test_any_mix_of_lines_in_a_block_gives_each_lines_record(cef_picks, syslog_picks):
    for parse, parse_lines, module, lines, picks in ((*BLOCK_PARSERS[0], cef_picks), (*BLOCK_PARSERS[1], syslog_picks)):
        block = [lines[i] for i in picks]
        records, times, _ = parse_lines(block)
        for line, record, time_text in zip(block, records, times, strict=True):
            _same(record, _cold(parse, module, line))
            assert time_text == insync.event_time(record)


# Lines made of the tricky parts above, in any order and repetition, against empty caches.
CEF_KEYS = ["suser", "sourceUserName", "duid", "deviceFacility", "Facility", "cs1", "cs1Label", "cn1", "cn1Label",
            "EventType", "Hostname", "Severity", "EventID", "ProfileID", "unknownKey"]
SYSLOG_KEYS = ["Initiator", "EventDetails", "ErrorLogFullTrace", "ProfileID", "inSyncUserID", "EventID", "Facility",
               "Severity", "IP", "newKey", "a.b"]
VALUES = st.sampled_from(["1", "007", "", "\u00b2", "x", "a=b", "a\\=b", "x\\\\", "caf\u00e9", "Hostname", "ProfileID",
                          "EventType", "9" * 4001, "two words", "EventID"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CEF_KEYS), VALUES), max_size=8), st.booleans(),
       st.lists(st.tuples(st.sampled_from(SYSLOG_KEYS), VALUES), max_size=8), st.booleans())
def test_any_line_gives_the_same_record_warm_or_cold(cef_pairs, cef_prefix, syslog_pairs, procid):
    cef_line = (PREFIX if cef_prefix else "") + HEADER + " ".join(f"{k}={v}" for k, v in cef_pairs)
    head = "<46>1 2017-09-21T13:41:14Z h Druva inSync " + ("12" if procid else "-") + " - - "
    syslog_line = head + " ".join(f"{k}={v}" for k, v in syslog_pairs)
    for parse, module, line in ((cef.parse_cef, cef, cef_line), (syslog.parse_syslog, syslog, syslog_line)):
        warm = parse(line)  # after whatever line the previous example left cached
        again = parse(line)  # the previous line's plan, reused
        block = (cef.parse_cef_lines if module is cef else syslog.parse_syslog_lines)([line, line])[0]
        cold = _cold(parse, module, line)
        _same(warm, cold)
        _same(again, cold)
        for record in block:
            _same(record, cold)


TEXTS = st.one_of(st.sampled_from(["0", "007", "", "\u00b2", "\u0663", "-5", "+5", "1_0", " 1", "9" * 3999,
                                   "9" * 4000, "12"]), st.text(alphabet="0123456789a\u00b2", max_size=6))


@given(st.dictionaries(st.sampled_from(INT_ATTRS), TEXTS, min_size=1))
def test_the_int_conversion_converts_as_convert_ints(values):
    record = {"other": "1", **values}
    expected = convert_ints(dict(record))
    int_converter(tuple(a for a in INT_ATTRS if a in values))(record)
    _same(record, expected)


@pytest.fixture(params=["stdlib", "msgspec"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each codec in turn (msgspec only when the fast extra is installed)."""
    if request.param == "msgspec":
        pytest.importorskip("msgspec", reason="the fast extra (msgspec) is not installed")
    monkeypatch.setenv(jsoncodec.ENV, "stdlib" if request.param == "stdlib" else "")
    jsoncodec._msgspec.cache_clear()
    monkeypatch.setattr(output, "_encode", jsoncodec.encoder())
    monkeypatch.setattr(output, "_encode_lines", jsoncodec.lines_encoder())
    yield request.param
    jsoncodec._msgspec.cache_clear()


EVENTS: list[dict[str, Any]] = [
    {"a": "caf\u00e9 \u65e5\u672c \U0001f600", "n": 12, "big": 2**70, "esc": "q\"\\\n\t\x00\u2028"},
    {},
    {"_source": "vendor's", "_time": "vendor time", "x": 1},  # metadata keys: renamed to _vendor...
    {"_dataType": "v", "_sourceCategory": "c"},
    {"Timestamp": "2024-01-01T00:00:00Z", "long": "x" * 6000},  # over a 4096-byte limit: cut
    {"long": "\u00e9" * 3000},  # 6000 bytes in 3000 characters
    {"lone": "\ud800"},  # msgspec refuses it: the stdlib writes it (and UTF-8 would refuse it: left out below)
    {"nan": float("nan")},
]


# Tables of events of one shape, as `c2c parse` hands them over (names, a column per name).
TABLES: list[tuple[list[str], list[list[Any]]]] = [
    (["a", "n", "big", "esc"], [["caf\u00e9 \u65e5\u672c \U0001f600", "", "x"], [12, 0, -1], [2**70, -(2**65), 7],
                                ["q\"\\\n\t\x00\u2028", "\u00e9" * 3000, "y"]]),
    (["long", "Timestamp"], [["x" * 6000, "short"], ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"]]),  # one cut
    (["_source", "_time", "x"], [["vendor's", "v"], ["vendor time", "t"], [1, 2]]),  # metadata: renamed _vendor...
    (['q"uote', "back\\slash", "\x01"], [["a", "b"], ["c", "d"], ["e", "f"]]),  # names msgspec cannot write
    ([], [[], []]),
]


@pytest.mark.parametrize("fields", [{}, {"env": "prod", "a": "custom loses"}])
@pytest.mark.parametrize("category", [None, "cat"])
@pytest.mark.parametrize("output_format", ["raw", "ocsf"])
def test_finished_records_are_the_lines_one_by_one(codec, fields, category, output_format, monkeypatch):
    monkeypatch.setattr(timefmt, "now", lambda: "2026-01-01T00:00:00.000Z")  # None: the time of collection
    events = [e for e in EVENTS if "lone" not in e]
    times = [("2024-01-02T03:04:05.678Z", None)[i % 2] for i in range(len(events))]

    def maker() -> RecordMaker:
        return RecordMaker('n"ame', category, fields, "insyncEvents", max_line=4096, output_format=output_format)

    one, many = maker(), maker()
    expected = "".join(one.line(e, t) for e, t in zip(events, times, strict=True)).encode("utf-8")
    assert many.encode([many.finish(dict(e), t) for e, t in zip(events, times, strict=True)]) == expected
    assert many.take_notices() == one.take_notices() != []
    assert many.encode([]) == b""

    for names, columns in TABLES:
        rows = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        times = [("2024-01-02T03:04:05.678Z", None)[i % 2] for i in range(len(rows))]
        expected = "".join(one.line(e, t) for e, t in zip(rows, times, strict=True)).encode("utf-8")
        assert many.encode(many.table(names, columns, times)) == expected
        assert many.take_notices() == one.take_notices()


def test_with_the_fast_extra_a_table_makes_no_dict_per_event(codec):
    names, columns = TABLES[0]
    records = RecordMaker("s", None, {}, "insyncEvents").table(names, columns, ["T"] * 3)
    assert all(isinstance(r, dict) for r in records) == (codec == "stdlib")
    assert jsoncodec.plain(records[0]) == {**dict(zip(names, (c[0] for c in columns), strict=True)),
                                           "_source": "s", "_dataType": "insyncEvents", "_time": "T"}


CHUNKS = st.lists(st.sampled_from([b"a", b"CEF:0|x", b"\n", b"\r", b"\r\n", b"\xff", b"\xc3", b"\xa9", b"\xe2\x80",
                                   b"\x99", b"\xef\xbb\xbf", b" ", b"\x0c", b"\xc2\x85", b"\xe2\x80\xa8"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(CHUNKS, st.integers(min_value=1, max_value=8))
def test_blocks_of_lines_are_the_lines_one_by_one(chunks, block):
    data = b"".join(chunks)
    expected = [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in io.BytesIO(data)]
    original = parse_cmd.BLOCK_BYTES
    parse_cmd.BLOCK_BYTES = block  # tiny blocks: lines and characters across block ends
    try:
        got = [line for lines in parse_cmd.read_lines(io.BytesIO(data)) for line in lines]
    finally:
        parse_cmd.BLOCK_BYTES = original
    assert got == expected


@pytest.mark.parametrize("value", ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05",
                                   "2024-01-02T03:04:05+02:00", "", "garbage ending in Z", "2024-01-02T03:04:05.x Z",
                                   None, 0, 1700000000, True])
def test_the_event_time_shortcut_gives_the_general_answer(value):
    for record in ({"Timestamp": value}, {"Timestamp": value, "timestamp": "2020-01-01T00:00:00Z"}, {}):
        assert insync.event_time(record) == timefmt.event_time(record, insync.TIME_KEYS)


PREFIXES = ["Sep 21 2017 13:41:14 cloud.druva.com ", "Sep  1 2017 01:02:03 h ", "Feb 30 2024 10:00:00 h ",
            "Feb 29 2024 10:00:00 h ", "Sep 21 2017 13:41:60 h ", "Sep 21 2017 24:00:00 h ", "Sep 21 2017 13:41:14 ",
            "Sep 21 2017 13:41:14  h  ", "Sep 21 2017 13:41:14 <h ", "Sep 21 2017 13:41:14.5 h ", "Sep 21 13:41:14 h ",
            "<13>Sep 21 2017 13:41:14 h ", " Sep 21 2017 13:41:14 h ", "Xyz 21 2017 13:41:14 h ",
            "Sep 321 2017 1:2:3 h ", "Sep 21 2017 13:41:14 h\u00e9 ", "Sep 21 2017 13:41:14 h\tx "]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_druvas_prefix_is_read_as_the_general_pattern_reads_it(prefix, monkeypatch):
    fast: dict[str, Any] = {}
    cef._parse_prefix(prefix, fast)
    cef._parse_prefix(prefix, fast)  # the date now cached
    monkeypatch.setattr(cef, "_DRUVA_PREFIX_RE", re.compile(r"(?!)(.)(.)(.)"))  # never matches
    general: dict[str, Any] = {}
    cef._parse_prefix(prefix, general)
    _same(fast, general)


# Lines of one block with as many "=" as each other but not in the same places: in keys, in escapes ("\="), in
# bare values ("a=b", " b=c" which is a key), in the CEF header and the Syslog HOSTNAME, PROCID and MSGID.
EQUALS_VALUES = st.sampled_from(["x", "a=b", "a\\=b", "x\\\\=y", "a b=c", "=", "\\=", "two words", "", "q\\"])
CEF_HEADS = st.sampled_from([PREFIX + HEADER, PREFIX + "CEF:0|Druva|inSync|1||Admin x=y|6|",
                             PREFIX + "CEF:0|Druva|inSync|1|a=b|Audit|6|", "Sep 21 2017 13:41:14 h=x " + HEADER])
SYSLOG_HEADS = st.sampled_from([SYSLOG_HEAD, "<46>1 2017-09-21T13:41:14Z q=r Druva inSync - -  ",
                                "<46>1 2017-09-21T13:41:14Z h Druva inSync 1=2 - -  ",
                                "<46>1 2017-09-21T13:41:14Z h Druva inSync - m=n -  ",
                                "<46>1 2017-09-21T13:41:14Z h Druva inSync - -  x\\=1 "])


@st.composite
def _lines(draw: st.DrawFn, heads: st.SearchStrategy[str], keys: list[str]) -> list[str]:
    """Lines of one key sequence (now and then another), each with its own values and head."""
    shared = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4))
    lines = []
    for _ in range(draw(st.integers(min_value=2, max_value=10))):
        line_keys = draw(st.one_of(st.just(shared), st.lists(st.sampled_from(keys), min_size=1, max_size=4)))
        values = [draw(EQUALS_VALUES) for _ in line_keys]
        lines.append(draw(heads) + " ".join(f"{k}={v}" for k, v in zip(line_keys, values, strict=True)))
    return lines


@settings(max_examples=400, deadline=None)
@given(_lines(CEF_HEADS, ["suser", "cs1", "cs1Label", "duid", "a"]),
       _lines(SYSLOG_HEADS, ["Initiator", "EventDetails", "ProfileID", "a", "b"]))
def test_lines_with_as_many_equals_signs_give_each_lines_record(cef_lines, syslog_lines):
    for parse, parse_lines, module, lines in ((cef.parse_cef, cef.parse_cef_lines, cef, cef_lines),
                                              (syslog.parse_syslog, syslog.parse_syslog_lines, syslog, syslog_lines)):
        block = [*lines, *lines[:1] * 2]  # the first line's shape more than once
        records, times, _ = parse_lines(block)
        for line, record, time_text in zip(block, records, times, strict=True):
            _same(record, _cold(parse, module, line))
            assert time_text == insync.event_time(record)
