"""Rule tests for the tolerant Druva inSync RFC 5424 parser (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from c2c.formats.syslog import parse_syslog

TS = "2017-09-21T13:41:14Z"
HEAD = f"<54>1 {TS} cloud.druva.com Druva inSync"
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
        f"{HEAD} - -  EventType=Backup",
        {
            "EventType": "Backup",
            "EventID": ABSENT,
            "MsgID": ABSENT,
            "StructuredData": ABSENT,
            "AppName": ABSENT,
        },
        id="druva-missing-sd-double-space",
    ),
    pytest.param(
        f"{HEAD} - -\u00a0 EventType=Backup",
        {"EventType": "Backup", "Message": ABSENT},
        id="no-break-space-as-in-vendor-page",
    ),
    pytest.param(
        f"{HEAD} 12345 - - EventType=Backup",
        {"EventID": 12345, "EventType": "Backup", "StructuredData": ABSENT},
        id="sd-nil-and-procid-event-id",
    ),
    pytest.param(
        f"{HEAD} evt-9 ID47 - EventType=Backup",
        {"EventID": "evt-9", "MsgID": "ID47", "EventType": "Backup"},
        id="non-numeric-procid-and-msgid",
    ),
    pytest.param(
        f'{HEAD} - - [meta@1 a="1" b="x \\"q\\" \\] \\\\"][other c="3"] EventType=X',
        {
            "StructuredData": {"meta@1": {"a": "1", "b": 'x "q" ] \\'}, "other": {"c": "3"}},
            "EventType": "X",
        },
        id="sd-elements-with-escapes",
    ),
    pytest.param(
        f"{HEAD} - - [exampleSDID@32473] EventType=X",
        {"StructuredData": {"exampleSDID@32473": {}}, "EventType": "X"},
        id="sd-element-without-params",
    ),
    pytest.param(
        f"{HEAD} - - [not sd EventType=X",
        {"StructuredData": ABSENT, "Message": "[not sd", "EventType": "X"},
        id="broken-sd-read-as-message",
    ),
    pytest.param(
        f"<54>1 {TS} host myapp 77 ID47 - EventType=X",
        {"AppName": "myapp", "EventID": 77, "MsgID": "ID47", "Hostname": "host"},
        id="other-single-word-app-name",
    ),
    pytest.param(
        f"<54>1 {TS} - - - - - EventType=X",
        {"Hostname": ABSENT, "AppName": ABSENT, "EventType": "X"},
        id="nil-hostname-and-app",
    ),
    pytest.param(
        f"<54>1 {TS} host Druva inSync - -",
        {"Hostname": "host", "EventType": ABSENT, "Facility": 6},
        id="no-msg",
    ),
    pytest.param(
        f"<165>1 {TS} h Druva inSync - - - Severity=2 Facility=1 EventType=X",
        {"Facility": 20, "Severity": 5, "EventType": "X"},
        id="facility-severity-from-pri-win",
    ),
    pytest.param(f"<0>1 {TS} h Druva inSync - - - EventType=X", {"Facility": 0, "Severity": 0}, id="pri-0"),
    pytest.param(
        f"<191>0 {TS} h Druva inSync - - - EventType=X",
        {"Facility": 23, "Severity": 7},
        id="pri-191-version-0",
    ),
    pytest.param(
        f"{HEAD} - - - \ufeffEventType=X",
        {"EventType": "X", "Message": ABSENT},
        id="bom-removed",
    ),
]

TIMESTAMP_CASES = [
    pytest.param("2017-09-21T13:41:14Z", "2017-09-21T13:41:14Z", id="utc"),
    pytest.param("2017-09-21T13:41:14.123Z", "2017-09-21T13:41:14.123Z", id="fraction-kept"),
    pytest.param("2017-09-21T13:41:14.000001Z", "2017-09-21T13:41:14.000001Z", id="microseconds-kept"),
    pytest.param("2017-09-21T15:41:14+02:00", "2017-09-21T13:41:14Z", id="positive-offset"),
    pytest.param("2017-12-31T20:00:00-05:30", "2018-01-01T01:30:00Z", id="negative-offset-crosses-year"),
    pytest.param("2017-09-21T14:41:14.50+01:00", "2017-09-21T13:41:14.50Z", id="fraction-and-offset"),
    pytest.param("2016-02-29T00:00:00Z", "2016-02-29T00:00:00Z", id="leap-day"),
]

BODY_CASES = [
    pytest.param(
        "ClientOS=Mac OS X EventState=Admin Event",
        {"ClientOS": "Mac OS X", "EventState": "Admin Event"},
        id="values-with-spaces",
    ),
    pytest.param(
        "EventDetails=GET /x?a=1 b=2 IP=1.2.3.4",
        {"EventDetails": "GET /x?a=1 b=2", "IP": "1.2.3.4", "b": ABSENT},
        id="unknown-word-eq-stays-in-free-text-value",
    ),
    pytest.param(
        "EventDetails=set EventState=Done IP=1.2.3.4",
        {"EventDetails": "set", "EventState": "Done", "IP": "1.2.3.4"},
        id="known-word-eq-ends-value",
    ),
    pytest.param(
        "ProfileName=Default NewKey=v x IP=1.2.3.4",
        {"ProfileName": "Default", "NewKey": "v x", "IP": "1.2.3.4"},
        id="unknown-key-after-short-value-is-a-field",
    ),
    pytest.param("Foo=bar EventType=X", {"Foo": "bar", "EventType": "X"}, id="unknown-first-key"),
    pytest.param(
        "ProfileName= IP=1.2.3.4 inSyncUserName=",
        {"ProfileName": "", "IP": "1.2.3.4", "inSyncUserName": ""},
        id="empty-values-kept",
    ),
    pytest.param(
        "inSyncUserID=1 inSyncDataSourceID=x1 ProfileID=0042 EventID=9",
        {"inSyncUserID": 1, "inSyncDataSourceID": "x1", "ProfileID": 42, "EventID": 9},
        id="int-conversion",
    ),
    pytest.param(
        "ErrorLogFullTrace=a\\b c=d inSyncUserEmail=e@x.org",
        {"ErrorLogFullTrace": "a\\b c=d", "inSyncUserEmail": "e@x.org"},
        id="no-escaping-in-syslog-body",
    ),
    pytest.param("just some text", {"Message": "just some text"}, id="plain-text-msg"),
    pytest.param("IP=1.2.3.4  ", {"IP": "1.2.3.4  "}, id="trailing-spaces-kept"),
]


@pytest.mark.parametrize(("line", "expected"), HEADER_CASES)
def test_header_rules(line: str, expected: dict[str, Any]) -> None:
    _check(parse_syslog(line), expected)


@pytest.mark.parametrize(("timestamp", "expected"), TIMESTAMP_CASES)
def test_timestamp_normalised_to_utc(timestamp: str, expected: str) -> None:
    _check(parse_syslog(f"<54>1 {timestamp} h Druva inSync - -  EventType=X"), {"Timestamp": expected})


def test_nil_timestamp_is_absent() -> None:
    _check(parse_syslog("<54>1 - h Druva inSync - -  EventType=X"), {"Timestamp": ABSENT, "Hostname": "h"})


@pytest.mark.parametrize(("body", "expected"), BODY_CASES)
def test_body_rules(body: str, expected: dict[str, Any]) -> None:
    _check(parse_syslog(f"{HEAD} - -  {body}"), expected)


GARBAGE_CASES = [
    pytest.param("", "RFC 5424", id="empty"),
    pytest.param("hello world", "RFC 5424", id="text"),
    pytest.param("Sep 21 13:41:14 host app: msg", "RFC 5424", id="rfc3164"),
    pytest.param("<54>1 2017-09-21 13:41:14 h app - - - x", "RFC 5424", id="space-in-timestamp"),
    pytest.param("<54>1 2017-13-01T00:00:00Z h app - - - x", "RFC 5424", id="month-13"),
    pytest.param("<54>1 2017-02-30T00:00:00Z h app - - - x", "timestamp", id="february-30"),
    pytest.param("<54>1 2017-09-21T13:41:14 h app - - - x", "RFC 5424", id="timestamp-without-zone"),
    pytest.param("<999>1 2017-09-21T13:41:14Z h app - - - x", "PRI", id="pri-out-of-range"),
    pytest.param("<54>1 2017-09-21T13:41:14Z h app", "PROCID", id="truncated-header"),
    pytest.param("<54>1 2017-09-21T13:41:14Z h ", "APP-NAME", id="no-app-name"),
]


@pytest.mark.parametrize(("line", "reason"), GARBAGE_CASES)
def test_garbage_lines_are_kept_raw(line: str, reason: str) -> None:
    record = parse_syslog(line)
    assert record.keys() == {"_raw", "_parseError"}
    assert record["_raw"] == line
    assert reason in record["_parseError"]


@pytest.mark.parametrize("value", [None, 42, b"<54>1 - h a - - -"])
def test_never_raises_on_non_text(value: Any) -> None:
    record = parse_syslog(value)
    assert record["_raw"] is value
    assert record["_parseError"].startswith("internal error")


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_line_terminator_is_not_part_of_last_value(ending: str) -> None:
    assert parse_syslog(f"{HEAD} - -  inSyncUserName=Ernie{ending}")["inSyncUserName"] == "Ernie"
