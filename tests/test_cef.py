"""Rule tests for the Druva inSync CEF parser (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c.formats.cef import parse_cef
from c2c.formats.insync_fields import CEF_LABEL_TO_VALUE_KEY

PREFIX = "Sep 21 2017 13:41:14 cloud.druva.com "
HEADER = "CEF:0|Druva|inSync|1||Admin Audit Trail|6|"
ABSENT = object()


def _check(record: dict[str, Any], expected: dict[str, Any]) -> None:
    """Compare the listed keys (ABSENT means the key must not be there), types included."""
    assert "_parseError" not in record, record
    got = {k: record.get(k, ABSENT) for k in expected}
    assert got == expected
    for key, value in expected.items():
        if value is not ABSENT:
            assert type(record[key]) is type(value), key


HEADER_CASES = [
    pytest.param(
        "CEF:0|Druva|inSync|1||Name \\| with pipe|6|suser=a",
        {"EventType": "Name | with pipe", "Severity": 6, "Initiator": "a"},
        id="escaped-pipe-in-name",
    ),
    pytest.param(
        "CEF:0|Druva|inSync|1||C:\\\\dir|6|suser=a",
        {"EventType": "C:\\dir", "Severity": 6},
        id="escaped-backslash-in-name",
    ),
    pytest.param(
        "CEF:0|Druva|inSync|1||Name\\\\|6|suser=a",
        {"EventType": "Name\\", "Severity": 6, "Initiator": "a"},
        id="escaped-backslash-just-before-pipe",
    ),
    pytest.param(
        "CEF:0|Dru\\|va|inSync|1||N|7|suser=a",
        {"EventType": "N", "Severity": 7, "Initiator": "a"},
        id="escaped-pipe-in-vendor-shifts-nothing",
    ),
    pytest.param(
        "CEF:0|Druva|inSync|1||Name a=b|6|suser=a",
        {"EventType": "Name a=b", "Initiator": "a", "Name a": ABSENT, "a": ABSENT},
        id="equals-in-header-needs-no-escape",
    ),
    pytest.param(
        "CEF:0|Druva|inSync|1|AuditTrail|N|6|",
        {"EventClassID": "AuditTrail", "EventType": "N"},
        id="signature-id-kept-when-set",
    ),
    pytest.param(
        "CEF:0|Druva|inSync|1||N|6|",
        {"EventClassID": ABSENT, "DeviceVendor": ABSENT, "Druva": ABSENT, "Facility": 23},
        id="empty-signature-id-and-constants-not-emitted",
    ),
    pytest.param(
        "CEF:0||||||6|suser=a",
        {"EventType": "", "Severity": 6, "Initiator": "a"},
        id="all-empty-header-fields",
    ),
    pytest.param(
        "CEF:0|Druva|inSync|1||N|High|",
        {"Severity": "High"},
        id="non-numeric-severity-stays-text",
    ),
]

EXTENSION_CASES = [
    pytest.param(
        "cs1Label=EventDetails cs1=a\\=b c",
        {"EventDetails": "a=b c"},
        id="escaped-equals",
    ),
    pytest.param("msg=C:\\\\Windows\\\\x", {"ErrorLogFullTrace": "C:\\Windows\\x"}, id="escaped-backslash"),
    pytest.param("msg=l1\\nl2\\rl3", {"ErrorLogFullTrace": "l1\nl2\rl3"}, id="escaped-newline-cr"),
    pytest.param("msg=a\\\\n", {"ErrorLogFullTrace": "a\\n"}, id="unescaped-exactly-once-n"),
    pytest.param("msg=a\\\\=b", {"ErrorLogFullTrace": "a\\=b"}, id="unescaped-exactly-once-eq"),
    pytest.param("msg=a\\/b", {"ErrorLogFullTrace": "a\\/b"}, id="unknown-escape-left-alone"),
    pytest.param(
        "msg=x \\= y suser=u",
        {"ErrorLogFullTrace": "x = y", "Initiator": "u"},
        id="escaped-equals-after-space-is-not-a-key",
    ),
    pytest.param(
        "outcome=Admin Event dvchost=Admin\u2019s Mac mini",
        {"EventState": "Admin Event", "inSyncDataSourceName": "Admin\u2019s Mac mini"},
        id="values-with-spaces",
    ),
    pytest.param(
        "dst= spt= suser=x duser=",
        {"dst": "", "spt": "", "Initiator": "x", "inSyncUserName": ""},
        id="empty-values-kept",
    ),
    pytest.param(
        "msg=hello   suser=x",
        {"ErrorLogFullTrace": "hello  ", "Initiator": "x"},
        id="extra-spaces-belong-to-previous-value",
    ),
    pytest.param("duser=Ernie ", {"inSyncUserName": "Ernie "}, id="trailing-space-of-last-value-kept"),
    pytest.param(" suser=x", {"Initiator": "x", "Message": ABSENT}, id="leading-space-after-header"),
    pytest.param("   suser=x", {"Initiator": "x", "Message": ABSENT}, id="several-leading-spaces"),
    pytest.param("msg=a|b|c suser=x", {"ErrorLogFullTrace": "a|b|c", "Initiator": "x"}, id="pipes-in-value"),
    pytest.param(
        "src=10.0.0.1 act=blocked ad.X-User[1]=u",
        {"src": "10.0.0.1", "act": "blocked", "ad.X-User[1]": "u"},
        id="unknown-keys-kept-with-key-charset",
    ),
    pytest.param(
        "cs2Label=ClientVersion cs2=5.9 cs3=Mac OS X cs3Label=ClientOS",
        {"ClientVersion": "5.9", "ClientOS": "Mac OS X", "cs2": ABSENT, "cs3Label": ABSENT},
        id="labels-before-and-after-values",
    ),
    pytest.param("cs4=foo", {"cs4": "foo"}, id="unlabelled-value-keeps-key"),
    pytest.param("cs4Label=Foo", {"cs4Label": "Foo", "Foo": ABSENT}, id="label-without-value-keeps-key"),
    pytest.param("cs4Label= cs4=v", {"cs4Label": "", "cs4": "v"}, id="empty-label-not-folded"),
    pytest.param(
        "cs1Label=Initiator cs1=x suser=y",
        {"Initiator": "y", "cs1Label": "Initiator", "cs1": "x"},
        id="label-colliding-with-field-stays-unfolded",
    ),
    pytest.param(
        "cn1Label=ProfileID cn1=12 cs5Label=ProfileName cs5=Default",
        {"ProfileID": 12, "ProfileName": "Default"},
        id="profile-id-int",
    ),
    pytest.param("cn1Label=ProfileID cn1=-3", {"ProfileID": "-3"}, id="negative-id-stays-text"),
    pytest.param(
        "duid=007 deviceExternalId=abc",
        {"inSyncUserID": 7, "inSyncDataSourceID": "abc"},
        id="id-int-only-when-all-digits",
    ),
    pytest.param("duid=\u0663", {"inSyncUserID": "\u0663"}, id="non-ascii-digit-stays-text"),
    pytest.param("deviceFacility=6", {"Facility": 6}, id="facility-from-extension"),
    pytest.param("suser=a", {"Facility": 23}, id="facility-default-23"),
    pytest.param(
        "sourceUserName=a destinationUserName=b deviceHostName=h eventOutcome=o",
        {"Initiator": "a", "inSyncUserName": "b", "inSyncDataSourceName": "h", "EventState": "o"},
        id="full-key-names-map-too",
    ),
    pytest.param(
        "deviceTranslatedAddress=192.168.0.0 msg=boom",
        {"IP": "192.168.0.0", "ErrorLogFullTrace": "boom", "deviceTranslatedAddress": ABSENT},
        id="mapped-keys-renamed",
    ),
    pytest.param("free text suser=x", {"Message": "free text", "Initiator": "x"}, id="text-before-first-key"),
    pytest.param("", {"EventType": "Admin Audit Trail", "Facility": 23}, id="empty-extension"),
]


@pytest.mark.parametrize(("line", "expected"), HEADER_CASES)
def test_header_rules(line: str, expected: dict[str, Any]) -> None:
    _check(parse_cef(line), expected)


@pytest.mark.parametrize(("extension", "expected"), EXTENSION_CASES)
def test_extension_rules(extension: str, expected: dict[str, Any]) -> None:
    _check(parse_cef(PREFIX + HEADER + extension), expected)


@pytest.mark.parametrize("label_key", sorted(CEF_LABEL_TO_VALUE_KEY))
def test_every_label_pair_folds_in_both_orders(label_key: str) -> None:
    value_key = CEF_LABEL_TO_VALUE_KEY[label_key]
    for extension in (f"{label_key}=My Field {value_key}=v 1", f"{value_key}=v 1 {label_key}=My Field"):
        record = parse_cef(HEADER + extension)
        assert record["My Field"] == "v 1"
        assert label_key not in record
        assert value_key not in record


PREFIX_CASES = [
    pytest.param(
        "Sep 21 2017 13:41:14 cloud.druva.com ",
        {"Timestamp": "2017-09-21T13:41:14Z", "Hostname": "cloud.druva.com"},
        id="druva-prefix",
    ),
    pytest.param(
        "Sep  1 2017 03:04:05 h.example ",
        {"Timestamp": "2017-09-01T03:04:05Z", "Hostname": "h.example"},
        id="space-padded-day",
    ),
    pytest.param(
        "Sep 21 2017 13:41:14.250 h ",
        {"Timestamp": "2017-09-21T13:41:14.250Z", "Hostname": "h"},
        id="fractional-seconds",
    ),
    pytest.param(
        "<134>Sep 21 2017 13:41:14 h ",
        {"Timestamp": "2017-09-21T13:41:14Z", "Hostname": "h"},
        id="with-pri",
    ),
    pytest.param(
        "<134>Sep 21 13:41:14 h ",
        {"Timestamp": ABSENT, "SyslogTimestamp": "Sep 21 13:41:14", "Hostname": "h"},
        id="rfc3164-no-year",
    ),
    pytest.param(
        "Sep 21 2017 13:41:14 ", {"Timestamp": "2017-09-21T13:41:14Z", "Hostname": ABSENT}, id="no-host"
    ),
    pytest.param("", {"Timestamp": ABSENT, "Hostname": ABSENT, "_prefix": ABSENT}, id="no-prefix"),
    pytest.param(
        "Feb 30 2017 13:41:14 h ",
        {"Timestamp": ABSENT, "_prefix": "Feb 30 2017 13:41:14 h"},
        id="impossible-date-kept-raw",
    ),
    pytest.param(
        "Foo 21 2017 13:41:14 h ",
        {"Timestamp": ABSENT, "_prefix": "Foo 21 2017 13:41:14 h"},
        id="bad-month-kept-raw",
    ),
    pytest.param(
        "2017-09-21 something else ",
        {"Timestamp": ABSENT, "_prefix": "2017-09-21 something else"},
        id="unknown-prefix-kept-raw",
    ),
]


@pytest.mark.parametrize(("prefix", "expected"), PREFIX_CASES)
def test_prefix_rules(prefix: str, expected: dict[str, Any]) -> None:
    _check(parse_cef(prefix + HEADER + "suser=a"), expected)


GARBAGE_CASES = [
    pytest.param("", "no 'CEF:' marker", id="empty"),
    pytest.param("hello world", "no 'CEF:' marker", id="text"),
    pytest.param("CEF:0|Druva|inSync", "separators", id="short-header"),
    pytest.param("CEF:0|a|b|c|d|e|f", "separators", id="missing-last-pipe"),
    pytest.param("CEF:0|a|b|c|d|e|f\\|", "separators", id="last-pipe-escaped"),
    pytest.param("CEF:x|a|b|c|d|e|f|suser=a", "version", id="bad-version"),
]


@pytest.mark.parametrize(("line", "reason"), GARBAGE_CASES)
def test_garbage_lines_are_kept_raw(line: str, reason: str) -> None:
    record = parse_cef(line)
    assert record.keys() == {"_raw", "_parseError"}
    assert record["_raw"] == line
    assert reason in record["_parseError"]


@pytest.mark.parametrize("value", [None, 42, b"CEF:0|a|b|c|d|e|f|"])
def test_never_raises_on_non_text(value: Any) -> None:
    record = parse_cef(value)
    assert record["_raw"] is value
    assert record["_parseError"].startswith("internal error")


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_line_terminator_is_not_part_of_last_value(ending: str) -> None:
    assert parse_cef(HEADER + "duser=Ernie" + ending)["inSyncUserName"] == "Ernie"


COLLISION_CASES = [
    pytest.param(
        "suser=short sourceUserName=full",
        {"Initiator": "short", "sourceUserName": "full"},
        id="short-name-wins-over-full-name",
    ),
    pytest.param("suser=a suser=b", {"Initiator": "b", "suser": ABSENT}, id="repeated-key-keeps-last"),
    pytest.param(
        "cs1Label=X cs1=one cs2Label=X cs2=two",
        {"X": "one", "cs2Label": "X", "cs2": "two"},
        id="same-label-twice-second-unfolded",
    ),
    pytest.param(
        "cs1Label=EventType cs1=v",
        {"EventType": "Admin Audit Trail", "cs1Label": "EventType", "cs1": "v"},
        id="label-colliding-with-header-unfolded",
    ),
    pytest.param("EventType=ext", {"EventType": "Admin Audit Trail"}, id="header-wins-over-extension-key"),
]


@pytest.mark.parametrize(("extension", "expected"), COLLISION_CASES)
def test_collisions(extension: str, expected: dict[str, Any]) -> None:
    _check(parse_cef(PREFIX + HEADER + extension), expected)


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ("", {"EventClassID": "v", "cs1Label": ABSENT, "cs1": ABSENT}),
        ("Sig", {"EventClassID": "Sig", "cs1Label": "EventClassID", "cs1": "v"}),
    ],
)
def test_label_collision_depends_on_the_line_header(signature: str, expected: dict[str, Any]) -> None:
    # Same keys and labels, different header: the cached fold plan must not leak across lines.
    for _ in range(3):
        line = f"CEF:0|Druva|inSync|1|{signature}|N|6|cs1Label=EventClassID cs1=v"
        _check(parse_cef(line), expected)


def test_cached_shape_gives_fresh_values_and_records() -> None:
    first = parse_cef(HEADER + "cs1Label=EventDetails cs1=one duid=1")
    second = parse_cef(HEADER + "cs1Label=EventDetails cs1=two duid=2")
    renamed = parse_cef(HEADER + "cs1Label=Other cs1=three duid=3")
    assert (first["EventDetails"], first["inSyncUserID"]) == ("one", 1)
    assert (second["EventDetails"], second["inSyncUserID"]) == ("two", 2)
    assert (renamed["Other"], "EventDetails" in renamed) == ("three", False)
    assert first is not second


def _reference_unescape(value: str) -> str:
    """Character scanner: the obvious implementation of CEF extension unescaping."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in "\\=nr":
            out.append({"\\": "\\", "=": "=", "n": "\n", "r": "\r"}[value[i + 1]])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


@settings(max_examples=500)
@given(st.text(alphabet="ab =\\nr|", max_size=30))
def test_unescape_matches_a_character_scanner(raw: str) -> None:
    # Keep the generated text a single value: no " key=" inside it.
    value = raw.replace(" ", "_")
    record = parse_cef(HEADER + "msg=" + value)
    assert record["ErrorLogFullTrace"] == _reference_unescape(value)
