"""Druva inSync Events API v2 (clientID + secretKey, OAuth).

GET {baseURL}/insync/eventmanagement/v2/events?tracker=... answers {"tracker", "nextPageExists", "events":
[<= 500]}. The tracker is the cursor (URL-encoded by requests, kept across runs, unchanged by the server
when nothing is new). A 403 on a call with a tracker (expired after 48 h, or its token) is retried once
with a fresh token and `ignoreTrackerExpiry=true`; an invalid tracker, or one still refused, restarts the
chain without a tracker, like the v1 cookie.
"""

from __future__ import annotations

from c2c.cursors import Chain, ChainSpec, Request
from c2c.formats.insync import TIME_KEYS
from c2c.http import Rule, Verdict
from c2c.jsonstream import Body, Shape
from c2c.sources.base import DataType

PATH = "/insync/eventmanagement/v2/events"
RULES = (
    Rule((400,), Verdict.CURSOR_REJECTED, marker="invalid tracker", with_cursor=True),
    Rule((403,), Verdict.CURSOR_EXPIRED, with_cursor=True),
)


def request(tracker: str | None, waived: bool) -> Request:
    params = {"tracker": tracker} if tracker else {}  # requests URL-encodes it (+ / = included)
    if tracker and waived:
        params["ignoreTrackerExpiry"] = "true"
    return Request("GET", PATH, params=params, cursor_sent=bool(tracker))


SPEC = ChainSpec(key="tracker", request=request, position=lambda reply: reply.members.get("tracker") or None,
                 more=lambda reply: bool(reply.members.get("nextPageExists")), restarts=True, api="v2")


def insync_events_v2() -> DataType:
    return DataType("insyncEvents", lambda saved: Chain(SPEC, saved), (Body(Shape.OBJECT_LIST, "events"),),
                    times=TIME_KEYS, rules=RULES)
