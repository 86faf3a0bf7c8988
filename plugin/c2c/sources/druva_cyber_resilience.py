"""Druva Cyber Resilience: Realize events through the tracker API.

GET {baseURL}/realize/eventmanagement/v1/events/tracker?trackerToken=…&ignoreTrackerExpiry=true returns
{"events": [...], "nextTrackerToken": "..."} in creation order. The cursor is the last non-empty
nextTrackerToken. When the API cannot give a new token (empty, or the same one, on the last page), the
ids already emitted under the current token are remembered so the next run does not emit them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from c2c import timefmt
from c2c.errors import ThirdPartyGenericError
from c2c.sources.base import Page, Stream, as_records
from c2c.sources.druva_base import DruvaOAuthSource

PATH = "/realize/eventmanagement/v1/events/tracker"
MAX_PAGES_PER_RUN = 100_000  # a guard against a server that never says "caught up"


class RealizeEvents(Stream):
    data_type = "realizeEvents"

    def pages(self, cursor: Any) -> Iterator[Page]:
        cursor = dict(cursor or {})
        token: str | None = cursor.get("trackerToken")
        seen: set[Any] = set(cursor.get("seenIds", []))
        for _ in range(MAX_PAGES_PER_RUN):
            params = {"ignoreTrackerExpiry": "true"}
            if token:
                params["trackerToken"] = token
            body = self.client.json("GET", PATH, params=params)
            if not isinstance(body, dict) or not isinstance(body.get("events"), list):
                raise ThirdPartyGenericError(f"unexpected response shape from {PATH}: no events list")
            events = as_records([e for e in body["events"] if not (isinstance(e, dict) and e.get("id") in seen)])
            next_token = body.get("nextTrackerToken") or None
            if next_token and next_token != token:
                token, seen = next_token, set()
                advanced = True
            else:
                # No new position: remember what this token already delivered.
                seen.update(e["id"] for e in events if e.get("id") is not None)
                advanced = False
            yield Page(events, {"trackerToken": token, "seenIds": sorted(seen, key=str)})
            if not advanced or not body["events"]:
                return
        raise ThirdPartyGenericError(f"{PATH} did not catch up after {MAX_PAGES_PER_RUN} pages")

    def event_time(self, event: dict[str, Any]) -> str | None:
        return timefmt.from_any(event.get("occurenceTime"))


class DruvaCyberResilience(DruvaOAuthSource):
    type = "Druva Cyber Resilience"

    def streams(self) -> list[Stream]:
        return [RealizeEvents(self)]
