"""Code42 Incydr file events: POST /v2/file-events, windowed on event.inserted.

Why `event.inserted` and not `@timestamp`: an event becomes searchable when it is inserted, which can be
hours or days after the device saw it (offline endpoints); a window on `@timestamp` misses those.

A window is [start, end] on event.inserted, sorted ascending, read with `pgToken` ("" first, then
`nextPgToken`) within one run. Its end stays fixed in the cursor until the window is finished, so a run
stopped mid-backfill (--max-seconds, SIGTERM) continues the same window from the newest inserted time it
reached. A new window starts `overlapSeconds` before the newest event.inserted delivered, and every
event.id at or after that point is remembered, so events that became searchable late are still delivered
and none twice. A rejected page token (INVALID_PAGE_TOKEN) restarts the window from the newest inserted
time reached, with the same dedupe: nothing lost, nothing repeated. A search that times out
(QUERY_TIMEOUT) is retried with a quarter of the page size, down to 100.

Cursor: {windowStart, windowEnd (ms; null between windows), resumeNs (newest inserted seen in the
window), maxInsertedNs (newest ever delivered), ids {event.id: inserted ms}}.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import requests

from c2c import timefmt
from c2c.errors import CollectionError, ThirdPartyGenericError
from c2c.jsonstream import LazyObject
from c2c.sources.base import Page
from c2c.sources.incydr_base import IncydrStream

log = logging.getLogger(__name__)

PATH = "/v2/file-events"
MAX_IDS = 200_000  # a cap on dedupe memory for pathological bursts: past it the oldest ids go (dups, not loss)
MAX_TOKEN_RECOVERIES = 5
MIN_PAGE_SIZE = 100


class PageTokenRejected(CollectionError):
    event_name = "ThirdPartyGenericError"


class QueryTooHeavy(CollectionError):
    event_name = "ThirdPartyGenericError"


def _search_problems(response: requests.Response) -> None:
    """File-event search problems that are not a bad config: a stale page token, a search that timed out."""
    if response.status_code in (400, 500) and b'"problems"' in response.content:
        if b"INVALID_PAGE_TOKEN" in response.content:
            raise PageTokenRejected("file-event page token rejected (INVALID_PAGE_TOKEN)", status=400)
        if b"QUERY_TIMEOUT" in response.content or b"RESPONSE_CONTENT_TOO_LARGE" in response.content:
            raise QueryTooHeavy(f"file-event search too heavy (HTTP {response.status_code})", status=400)
        if b"SEARCH_FAILED" in response.content:
            raise ThirdPartyGenericError("file-event search failed (SEARCH_FAILED)", status=response.status_code)


def _ms_iso(ms: int) -> str:
    return timefmt.from_epoch_ns(ms * 1_000_000)


def _id_and_inserted(event: dict[str, Any]) -> tuple[str | None, int | None]:
    inner = event.get("event")
    if isinstance(inner, dict):
        eid, inserted = inner.get("id"), inner.get("inserted")
    else:  # a flattened export ("event.id"), as code42cli#399 met
        eid, inserted = event.get("event.id"), event.get("event.inserted")
    try:
        ns = timefmt.to_epoch_ns(inserted) if isinstance(inserted, str) else None
    except (ValueError, OverflowError):
        ns = None
    return (str(eid) if eid is not None else None), ns


class FileEvents(IncydrStream):
    data_type = "fileEvents"

    page_size: int | None = None  # shrunk for the rest of the run when a search times out

    def query(self, start_ms: int, end_ms: int, token: str) -> dict[str, Any]:
        return {
            "groupClause": "AND",
            "groups": [{"filterClause": "AND", "filters": [
                {"term": "event.inserted", "operator": "ON_OR_AFTER", "value": _ms_iso(start_ms)},
                {"term": "event.inserted", "operator": "ON_OR_BEFORE", "value": _ms_iso(end_ms)},
            ]}],
            "pgNum": 1,
            "pgSize": self.page_size or int(self.setting("fileEventsPageSize")),
            "pgToken": token,  # "" (never null): null means page-number mode, capped at 10,000 results
            "srtDir": "asc",
            "srtKey": "event.inserted",
        }

    def pages(self, cursor: Any) -> Iterator[Page]:
        c = dict(cursor) if isinstance(cursor, dict) else {}
        overlap_ms = int(self.setting("overlapSeconds")) * 1000
        max_ns: int | None = c.get("maxInsertedNs")
        ids: dict[str, int] = dict(c.get("ids") or {})
        if c.get("windowEnd") is None:
            if max_ns is not None:
                start = max_ns // 1_000_000 - overlap_ms
            else:
                start = self.now_ms() - self.lookback_ms("firstRunLookbackHours")
            c = {"windowStart": start, "windowEnd": self.now_ms(), "resumeNs": None}
        start, end, resume_ns = int(c["windowStart"]), int(c["windowEnd"]), c.get("resumeNs")

        token, recoveries, lower = "", 0, start
        while True:
            if token == "":  # (re)start the window where it got to; follow a token with the same query
                lower = max(start, resume_ns // 1_000_000) if resume_ns is not None else start
            try:
                body = self.client.json_lazy("POST", PATH, "fileEvents", json=self.query(lower, end, token),
                                             on_status=_search_problems)
            except QueryTooHeavy as exc:
                size = self.page_size or int(self.setting("fileEventsPageSize"))
                if size <= MIN_PAGE_SIZE:
                    raise ThirdPartyGenericError(f"{exc} even at pgSize {size}") from exc
                self.page_size = max(MIN_PAGE_SIZE, size // 4)
                log.warning("%s; retrying with pgSize %d", exc, self.page_size)
                continue
            except PageTokenRejected as exc:
                if token == "" or recoveries >= MAX_TOKEN_RECOVERIES:
                    why = "on a query without a token" if token == "" else f"{recoveries + 1} times in this run"
                    raise ThirdPartyGenericError(f"{exc} {why}") from exc
                recoveries += 1
                log.warning("%s; re-querying from event.inserted %s", exc, _ms_iso(lower))
                token = ""
                continue
            if not body.has_array:
                raise ThirdPartyGenericError(f"unexpected response from {PATH}: no 'fileEvents' list")
            self.check_problems(body.members, PATH)
            # The page's events are decoded one at a time as the runner writes them (a page of 10,000 would
            # be ~31 MB parsed whole); its cursor is settled once they are all read, before it is saved.
            page = Page([], None)
            seen = 0

            def events(body: LazyObject = body, page: Page = page) -> Iterator[dict[str, Any]]:
                nonlocal ids, resume_ns, max_ns, seen, token, finished
                ids = dict(ids)  # the last page's cursor holds the previous dict: never mutate it
                try:
                    for event in body.items():
                        seen += 1
                        if not isinstance(event, dict):
                            continue
                        eid, ns = _id_and_inserted(event)
                        if eid is not None and eid in ids:
                            continue
                        if ns is None:
                            log.warning("file event without a usable event.inserted (id %s): cannot dedupe it", eid)
                        else:
                            if eid is not None:
                                ids[eid] = ns // 1_000_000
                            resume_ns = ns if resume_ns is None else max(resume_ns, ns)
                            max_ns = ns if max_ns is None else max(max_ns, ns)
                        yield event
                except ValueError as exc:  # an item that does not decode: nothing after it is checkpointed
                    raise ThirdPartyGenericError(f"malformed JSON body from POST {PATH}: {exc}") from exc
                self.check_problems(body.members, PATH)
                if max_ns is not None:
                    cutoff = max_ns // 1_000_000 - overlap_ms
                    ids = {k: v for k, v in ids.items() if v >= cutoff}
                    if len(ids) > MAX_IDS:
                        ids = dict(sorted(ids.items(), key=lambda kv: kv[1])[-MAX_IDS:])
                next_token = body.members.get("nextPgToken") or None
                finished = next_token is None or not seen or next_token == token
                if next_token is not None and next_token == token:
                    log.warning("%s returned the same nextPgToken twice; ending the window", PATH)
                window: dict[str, Any] = (
                    {"windowStart": None, "windowEnd": None, "resumeNs": None} if finished
                    else {"windowStart": start, "windowEnd": end, "resumeNs": resume_ns}
                )
                page.cursor = {**window, "maxInsertedNs": max_ns, "ids": ids}
                token = next_token or ""

            finished = True
            page.events = events()
            yield page
            if finished or page.cursor is None:  # None: the runner did not read the page to its end
                return
            del body, page  # written: let the page go before the next one is fetched and parsed

    def event_time(self, event: dict[str, Any]) -> str | None:
        # @timestamp (when it happened), nanoseconds truncated to ms; event.inserted if it is missing.
        inner = event.get("event")
        inserted = inner.get("inserted") if isinstance(inner, dict) else event.get("event.inserted")
        return timefmt.from_any(event.get("@timestamp")) or timefmt.from_any(inserted)
