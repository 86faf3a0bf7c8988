"""The pure parts of strict decoding and classification, table-driven (the HTTP paths are test_bodies.py)."""

from __future__ import annotations

import json

import pytest
import requests

from c2c.errors import CursorRejected, PageTooBig, ThirdPartyConfigError, ThirdPartyGenericError, TokenRejected
from c2c.http import Rule, Verdict, classify
from c2c.jsonstream import Body, Poison, Shape, decode

OBJECT = (Body(Shape.OBJECT_LIST, "events"),)
LIST = (Body(Shape.JSON_LIST),)
ANY = (Body(Shape.OBJECT_LIST, "events"), Body(Shape.JSON_LIST), Body(Shape.TEXT_LINES))
EVENTS = [{"id": i, "msg": f"event {i}", "nested": {"a": [1, 2, {"b": "}]"}]}} for i in range(20)]
CEF = [f"CEF:0|Druva|inSync|1||Admin Audit Trail|6|suser=u{i}@example.com" for i in range(20)]


def _all(text: str, bodies: tuple[Body, ...], content_type: str = "") -> tuple[list, dict]:
    d = decode(text, bodies, content_type)
    return list(d.items), d.members


@pytest.mark.parametrize(("text", "bodies"), [
    (json.dumps({"events": EVENTS, "next": "t"}), OBJECT),
    (json.dumps(EVENTS), LIST),
    (json.dumps(CEF), ANY),
    ("".join(line + "\n" for line in CEF), ANY),
])
def test_every_shape_cut_anywhere_in_the_middle_is_an_error_never_fewer_items(text, bodies):
    whole, _ = _all(text, bodies)
    assert len(whole) == 20
    for cut in range(1, len(text) - 1, max(1, len(text) // 97)):
        part = text[:cut]
        if not part.strip() or part.endswith("\n"):
            continue  # a text body cut at a line break is complete text lines (its framing is the vendor's)
        with pytest.raises(ValueError):  # noqa: PT011 -- json's own error type
            _all(part, bodies)


@pytest.mark.parametrize(("text", "bodies", "content_type"), [
    ("<!DOCTYPE html><html><body>maintenance</body></html>", ANY, "text/html"),
    ("<html>sign in</html>", ANY, ""),
    (json.dumps({"events": EVENTS}), ANY, "text/html; charset=utf-8"),
    (json.dumps(EVENTS), OBJECT, "application/json"),  # a list where an object was declared
    (json.dumps({"events": EVENTS}), LIST, "application/json"),
    ("plain text", OBJECT, "text/plain"),
])
def test_another_shape_is_an_error(text, bodies, content_type):
    with pytest.raises(ValueError):  # noqa: PT011
        _all(text, bodies, content_type)


def test_one_bad_item_in_the_middle_is_poison_and_the_rest_decodes():
    good = json.dumps({"events": EVENTS[:10]})[:-2]
    text = good + ', {"id": "bad", "note": "an invalid \\E escape", "x": ["]"]}, ' + json.dumps(EVENTS[10:])[1:] + "}"
    items, members = _all(text, OBJECT)
    assert len(items) == 21
    [poison] = [i for i in items if isinstance(i, Poison)]
    assert "\\E" in poison.raw
    assert "Invalid \\escape" in poison.reason or "invalid" in poison.reason.lower()
    assert [i["id"] for i in items if not isinstance(i, Poison)] == list(range(20))
    assert members == {}


def test_ndjson_is_text_lines_of_objects():
    text = "".join(json.dumps(e) + "\n" for e in EVENTS)
    d = decode(text, ANY)
    assert d.body.shape is Shape.TEXT_LINES
    assert [json.loads(line)["id"] for line in d.items] == list(range(20))


def _response(status: int, body: str = "", headers: dict | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code, r._content, r.url = status, body.encode(), "https://vendor.example/api/x"
    r.headers.update(headers or {})
    r.request = requests.Request("GET", r.url).prepare()
    return r


RULES = (Rule((400,), Verdict.CURSOR_REJECTED, marker="invalid tracker", with_cursor=True),
         Rule((403,), Verdict.CURSOR_EXPIRED, with_cursor=True),
         Rule((400, 500), Verdict.PAGE_TOO_BIG, marker="QUERY_TIMEOUT"),
         Rule((401,), Verdict.CONFIG, hint="create a new token"))


@pytest.mark.parametrize(("status", "body", "cursor", "token", "expected"), [
    (200, "", False, False, None),
    (400, '{"message":"Invalid tracker"}', True, False, CursorRejected),
    (400, '{"message":"Invalid tracker"}', False, False, ThirdPartyConfigError),  # no cursor sent: not it
    (403, "{}", True, False, CursorRejected),
    (403, "{}", False, False, TokenRejected),  # renewed once by ApiClient.call
    (500, '{"problems":[{"type":"QUERY_TIMEOUT"}]}', False, False, PageTooBig),
    (500, "{}", False, False, ThirdPartyGenericError),
    (429, "", False, False, ThirdPartyGenericError),
    (401, "", False, False, ThirdPartyConfigError),
    (404, "", False, False, ThirdPartyConfigError),
    (401, '{"error":"invalid_client"}', False, True, ThirdPartyConfigError),  # a token call, same function
    (503, "", False, True, ThirdPartyGenericError),
])
def test_one_classification_for_every_response(status, body, cursor, token, expected):
    response = _response(status, body)
    if expected is None:
        classify(response, RULES, cursor_sent=cursor, token_call=token)
        return
    with pytest.raises(expected) as err:
        classify(response, () if token else RULES, cursor_sent=cursor, token_call=token)
    assert type(err.value) is expected
    if status == 401 and not token:
        assert "create a new token" in str(err.value)


@pytest.mark.parametrize(("record", "fields", "expected"), [
    ({"occurenceTime": 0}, ("occurenceTime",), None),  # the collection time, never 1970
    ({"occurenceTime": 1700000000}, ("occurenceTime",), "2023-11-14T22:13:20.000Z"),
    ({"lastUpdated": 0, "endTime": 1700000000000, "beginTime": 1}, ("lastUpdated", "endTime", "beginTime"),
     "2023-11-14T22:13:20.000Z"),
    ({"@timestamp": "", "event": {"inserted": "2023-11-14T22:13:20.123456789Z"}}, ("@timestamp", "event.inserted"),
     "2023-11-14T22:13:20.123Z"),
    ({"Timestamp": "not a time", "timestamp": None, "timeStamp": "2023-11-14T22:13:20Z"},
     ("Timestamp", "timestamp", "timeStamp"), "2023-11-14T22:13:20.000Z"),
    ({}, ("timestamp",), None),
])
def test_the_time_rule_skips_zero_missing_and_unusable_fields(record, fields, expected):
    from c2c.sources.base import event_time

    assert event_time(record, fields) == expected
