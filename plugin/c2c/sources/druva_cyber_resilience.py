"""Druva Cyber Resilience: Realize events through the tracker API.

GET {baseURL}/realize/eventmanagement/v1/events/tracker?trackerToken=…&ignoreTrackerExpiry=true returns
{"events": [...], "nextTrackerToken": "..."} in creation order. The cursor is the last non-empty
nextTrackerToken. When the API cannot give a new token (empty, or the same one, on the last page), the
ids already emitted under the current token are remembered so the next run does not emit them again.
"""

from __future__ import annotations

from c2c.cursors import Chain, ChainSpec, Request
from c2c.jsonstream import Body, Shape
from c2c.sources.base import DataType
from c2c.sources.druva_base import DruvaOAuthSource

PATH = "/realize/eventmanagement/v1/events/tracker"


def request(token: str | None, waived: bool) -> Request:
    params = {"ignoreTrackerExpiry": "true", **({"trackerToken": token} if token else {})}
    return Request("GET", PATH, params=params, cursor_sent=bool(token))


SPEC = ChainSpec(key="trackerToken", request=request, id_field="id",
                 position=lambda reply: reply.members.get("nextTrackerToken") or None)


def realize_events(source: DruvaOAuthSource) -> DataType:
    return DataType("realizeEvents", lambda saved: Chain(SPEC, saved), (Body(Shape.OBJECT_LIST, "events"),),
                    times=("occurenceTime",))


class DruvaCyberResilience(DruvaOAuthSource):
    type = "Druva Cyber Resilience"

    def data_types(self) -> list[DataType]:
        return [realize_events(self)]


