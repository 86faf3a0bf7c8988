"""Druva inSync attribute names and helpers shared by the CEF and syslog parsers.

Both wire formats decode to the same flat record, keyed by the attribute names Druva uses in its
JSON events API and in its RFC 5424 body (``EventType``, ``Initiator``, ...). Keeping the names,
the int conversion and the error record here means the two parsers cannot drift apart.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from c2c import timefmt

# CEF extension key (short and full ArcSight name) -> Druva attribute. The short names are the
# ones Druva sends; the full names are accepted because CEF allows either spelling.
CEF_KEY_TO_ATTR: dict[str, str] = {
    "outcome": "EventState",
    "eventOutcome": "EventState",
    "suser": "Initiator",
    "sourceUserName": "Initiator",
    "msg": "ErrorLogFullTrace",
    "message": "ErrorLogFullTrace",
    "deviceTranslatedAddress": "IP",
    "duid": "inSyncUserID",
    "destinationUserId": "inSyncUserID",
    "duser": "inSyncUserName",
    "destinationUserName": "inSyncUserName",
    "deviceExternalId": "inSyncDataSourceID",
    "dvchost": "inSyncDataSourceName",
    "deviceHostName": "inSyncDataSourceName",
    "deviceFacility": "Facility",
}

# CEF header positions that carry data; Version/Vendor/Product/Device Version are constants.
CEF_NAME_ATTR = "EventType"
CEF_SEVERITY_ATTR = "Severity"
CEF_SIGNATURE_ATTR = "EventClassID"  # only emitted when non-empty (Druva leaves it empty)

# Druva documents Facility 23 as the default when the CEF line carries no deviceFacility.
DEFAULT_FACILITY = 23

# Custom "label" pairs: <base>Label names the field held in <base>. Short and full names.
_LABEL_BASES: tuple[str, ...] = (
    *(f"cs{i}" for i in range(1, 7)),
    *(f"deviceCustomString{i}" for i in range(1, 7)),
    *(f"cn{i}" for i in range(1, 4)),
    *(f"deviceCustomNumber{i}" for i in range(1, 4)),
    *(f"cfp{i}" for i in range(1, 5)),
    *(f"deviceCustomFloatingPoint{i}" for i in range(1, 5)),
    *(f"c6a{i}" for i in range(1, 5)),
    *(f"deviceCustomIPv6Address{i}" for i in range(1, 5)),
    "flexString1",
    "flexString2",
    "flexNumber1",
    "flexNumber2",
    "flexDate1",
    "deviceCustomDate1",
    "deviceCustomDate2",
)
CEF_LABEL_TO_VALUE_KEY: dict[str, str] = {f"{base}Label": base for base in _LABEL_BASES}

# Keys Druva's RFC 5424 body uses (plus the JSON API names they mirror). A body value runs to
# the next one of these; see syslog.py for how unknown keys are handled.
SYSLOG_KNOWN_KEYS: tuple[str, ...] = (
    "EventType",
    "EventState",
    "EventID",
    "Initiator",
    "EventDetails",
    "IP",
    "ProfileID",
    "ProfileName",
    "inSyncUserID",
    "inSyncUserName",
    "inSyncUserEmail",
    "inSyncDataSourceID",
    "inSyncDataSourceName",
    "ClientVersion",
    "ClientOS",
    "ErrorLogFullTrace",
    "Facility",
    "Severity",
)
# Free-text values (they may legitimately contain " word="): only a known key ends them.
SYSLOG_FREE_TEXT_KEYS: frozenset[str] = frozenset({"EventDetails", "ErrorLogFullTrace"})

# APP-NAMEs that contain a space, which RFC 5424 forbids but Druva sends anyway.
SYSLOG_MULTIWORD_APP_NAMES: tuple[str, ...] = ("Druva inSync",)
SYSLOG_DEFAULT_APP_NAME = "Druva inSync"

# Attributes converted to int when the value is all ASCII digits.
INT_ATTRS: tuple[str, ...] = (
    "Severity",
    "Facility",
    "ProfileID",
    "inSyncUserID",
    "inSyncDataSourceID",
    "EventID",
)

# Text before the first key=value pair (rare; kept so nothing is dropped).
LEADING_TEXT_ATTR = "Message"

MONTHS: dict[str, str] = {
    "Jan": "01",
    "Feb": "02",
    "Mar": "03",
    "Apr": "04",
    "May": "05",
    "Jun": "06",
    "Jul": "07",
    "Aug": "08",
    "Sep": "09",
    "Oct": "10",
    "Nov": "11",
    "Dec": "12",
}


MAX_INT_DIGITS = 4000


def int_or_text(value: Any) -> Any:
    """An int attribute's value: an int when it is text of ASCII digits, else as it is."""
    # isascii(): str.isdigit() also accepts e.g. superscript digits that int() rejects.
    # The length cap stays under Python's int/str conversion limit (4300 digits), so
    # int() cannot raise; a longer "id" stays text.
    if value.__class__ is str and value.isdigit() and value.isascii() and len(value) < MAX_INT_DIGITS:
        return int(value)
    return value


def all_int_text(values: Sequence[str]) -> bool:
    """Whether `int_or_text` makes an int of every one of `values` (strs), tested at once: every value non-empty
    and the whole made of ASCII digits, so each is."""
    digits = "".join(values)
    return digits.isdigit() and digits.isascii() and all(values) and max(map(len, values)) < MAX_INT_DIGITS


def convert_ints(record: dict[str, Any]) -> dict[str, Any]:
    """Turn the numeric id/level attributes into ints in place; anything else stays a string."""
    for attr in INT_ATTRS:
        if attr in record:
            record[attr] = int_or_text(record[attr])
    return record


def int_converter(attrs: tuple[str, ...]) -> Callable[[dict[str, Any]], object]:
    """`convert_ints` for records known to hold `attrs` (the INT_ATTRS they have), each a str: all of them
    checked at once, the usual case (all digits) converted in one update; any other goes `convert_ints`."""
    if not attrs:
        return convert_ints
    get = operator.itemgetter(*attrs) if len(attrs) > 1 else lambda record: (record[attrs[0]],)

    def convert(record: dict[str, Any]) -> object:
        values = get(record)
        if all_int_text(values):
            return record.update(zip(attrs, map(int, values), strict=True))
        return convert_ints(record)

    return convert


TIME_KEYS = ("Timestamp", "timestamp", "timeStamp")  # parsed v1 records, then v2 as sent (both spellings)


def event_time(record: dict[str, Any]) -> str | None:
    # The parsers' Timestamp, UTC: what timefmt.event_time returns for it, without its general walk.
    value = record.get("Timestamp")
    if value.__class__ is str and (text := timefmt.from_utc_iso(value)) is not None:
        return text
    return timefmt.event_time(record, TIME_KEYS)


def parse_error(line: Any, reason: str) -> dict[str, Any]:
    """The record for a line we cannot decode: never dropped, never raised."""
    return {"_raw": line, "_parseError": reason}



def never_raises(parse: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """The parsers' contract, "never raise, never drop": an unexpected failure becomes the raw record."""

    @functools.wraps(parse)
    def safe(line: str) -> dict[str, Any]:
        try:
            return parse(line)
        except Exception as exc:  # noqa: BLE001 - a line is kept whatever went wrong with it
            return parse_error(line, f"internal error: {exc.__class__.__name__}: {exc}")

    return safe

def split_pairs(text: str, key_re: re.Pattern[str]) -> tuple[str, list[str], list[str]]:
    """Split ``key=value`` text on ``key_re`` (one capture group: the key, consuming one space).

    ``re.split`` runs in C and returns ``[leading, key1, value1, key2, value2, ...]``, which is
    much faster than scanning pairs in Python.
    """
    parts = key_re.split(text)
    return parts[0], parts[1::2], parts[2::2]
