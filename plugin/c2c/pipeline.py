"""The one collection path every data type goes through, page by page:

    build request -> send (rate budget, retries) -> classify -> decode -> emit -> flush -> checkpoint

The data types of a source take turns: each advances one page per turn under the source's shared rate
budget, so a backlog in one delays the others by at most one page per turn. An error that concerns one
data type (a 403 on it, a rejected cursor it cannot recover from, a body that keeps failing) ends only
that data type's run; an error of the whole source (its token endpoint, stdout, the state) ends them all.

Decoding is strict (c2c.jsonstream): a body that is incomplete, undecodable or of another shape is a
ThirdPartyGeneric error inside the retry loop, and nothing of it is written or checkpointed. One item that
does not decode in a complete body is delivered raw (`_raw`, `_parseError`) with a Warning health record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

import requests

from c2c import progress
from c2c.cursors import Read, Reply, Walk
from c2c.errors import (
    CollectionError,
    CursorRejected,
    FirstPartyGenericError,
    PageTooBig,
    ThirdPartyGenericError,
)
from c2c.http import ApiClient, body_chunks
from c2c.jsonstream import Poison, Window, decode
from c2c.output import Emitter, RecordMaker
from c2c.sources.base import DataType, event_time
from c2c.spool import Spool

log = logging.getLogger(__name__)

MAX_PAGES_PER_RUN = 100_000  # a guard against a vendor that never says "caught up"


@dataclass
class Lane:
    """One data type in this run: its declaration, its position, and how its lines are made."""

    data_type: DataType
    walk: Walk
    maker: RecordMaker
    pages: int = 0
    events: int = 0
    error: CollectionError | None = None


@dataclass
class Page:
    """One page read in full: the lines to write, the strategy's read of it, the items that did not decode."""

    lines: Spool  # until the body is known whole: a small page in memory, a big one in a temporary file
    read: Read
    poison: list[str] = field(default_factory=list)


class Hooks:
    """What the runner does at the pipeline's points: checkpoint a page, report a data type's warning or
    failure. The runner alone writes state and health records."""

    def checkpoint(self, lane: Lane, cursor: Any, events: int) -> None: ...

    def warn(self, lane: Lane, message: str, details: dict[str, Any] | None = None,
             event_name: str = "ThirdPartyGenericWarning") -> None: ...

    def failed(self, lane: Lane, exc: CollectionError) -> None: ...


def set_cookies(response: requests.Response) -> dict[str, str]:
    """The cookies a response sets, whatever their domain or path (the session's jar keeps none)."""
    raw_headers: Any = getattr(response.raw, "headers", None)
    values: list[str] = raw_headers.getlist("Set-Cookie") if hasattr(raw_headers, "getlist") else []
    if not values and response.headers.get("Set-Cookie"):
        values = [response.headers["Set-Cookie"]]
    cookies: dict[str, str] = {}
    for header in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        cookies.update({name: morsel.value for name, morsel in jar.items() if morsel.value})
    return cookies


class Pipeline:
    def __init__(self, source_name: str, client: ApiClient, emitter: Emitter, hooks: Hooks,
                 should_stop: Callable[[], bool], stopping: Callable[[], bool], spool_dir: Path) -> None:
        self.name = source_name
        self.spool_dir = spool_dir  # where a big page's lines wait for its body to be whole (c2c.spool)
        self.client = client
        self.emitter = emitter
        self.hooks = hooks
        self.should_stop = should_stop  # the run's budget is spent or a signal came: end after this turn
        self.stopping = stopping  # a signal came: end after the page in flight

    def run(self, lanes: list[Lane]) -> None:
        """Turns until every lane is done, failed, or the run must stop. A source-wide error propagates."""
        active = list(lanes)
        while active:
            for lane in list(active):
                try:
                    self.step(lane)
                except FirstPartyGenericError:
                    raise
                except CollectionError as exc:
                    if exc.source_wide:
                        raise
                    lane.error = exc
                    active.remove(lane)
                    self.hooks.failed(lane, exc)
                    continue
                if lane.walk.done:
                    active.remove(lane)
                elif lane.pages >= MAX_PAGES_PER_RUN:
                    active.remove(lane)
                    lane.error = ThirdPartyGenericError(f"did not catch up after {MAX_PAGES_PER_RUN} pages")
                    self.hooks.failed(lane, lane.error)
                if self.stopping():
                    return
            if self.should_stop():
                return

    def step(self, lane: Lane) -> None:
        """One page of one data type, or one recovery from a refused cursor or a too-big page."""
        dt, walk = lane.data_type, lane.walk
        request = walk.request()
        self.client.label = (self.name, dt.name)

        what = request.method + " " + request.path

        def attempt() -> Page:
            # Streamed: the body is decoded as it arrives, about one chunk of it alive at a time.
            response = self.client.exchange(request.method, request.path, dt.rules, cursor_sent=request.cursor_sent,
                                            stream=True, params=request.params, json=request.json,
                                            headers=request.headers)
            try:
                cookies, content_type = set_cookies(response), response.headers.get("Content-Type", "")
                body = Window(chunks=body_chunks(response, what, self.client.timeout))
                return self.read(lane, what, body, content_type, cookies)
            finally:
                response.close()  # back to the pool when read to its end; a body left unread closes the connection

        try:
            page = self.client.call(attempt)
        except CursorRejected as exc:
            walk.rejected(exc, self.client.refresh_token)  # raises when it cannot recover
            return
        except PageTooBig as exc:
            walk.shrink(exc)
            return
        try:
            if self.stopping():
                # Not written, so not checkpointed: the next run fetches it again. Fluent Bit stops reading its
                # exec input before it sends SIGTERM, so lines written now would be lost (docs/shippers.md).
                return
            n = sum(map(self.emitter.write_block, page.lines.blocks()))  # written and flushed before the checkpoint
        finally:
            page.lines.close()
        cursor = walk.commit(page.read)
        lane.pages += 1
        lane.events += n
        self.hooks.checkpoint(lane, cursor, n)
        progress.page(self.name, dt.name, n)
        if walk.warning:
            self.hooks.warn(lane, walk.warning, walk.details)
            walk.warning = walk.details = None
        if page.poison:
            shown = "; ".join(page.poison[:3])
            self.hooks.warn(lane, f"{len(page.poison)} item(s) of a page from {request.method} {request.path} did "
                                  f"not decode and were delivered raw (_raw, _parseError): {shown}",
                            {"undecodedItems": len(page.poison)})
        for notice in lane.maker.take_notices():  # an event over the line limit was truncated
            self.hooks.warn(lane, notice, event_name="OversizedEventTruncated")

    def read(self, lane: Lane, what: str, body: Window, content_type: str, cookies: dict[str, str]) -> Page:
        """Decode a whole page into output lines; a body that is not whole and of the declared shape raises
        ThirdPartyGenericError (retried) before anything is written."""
        page = Page(Spool(self.spool_dir), lane.walk.read())
        try:
            self._fill(lane, what, body, content_type, cookies, page)
        except BaseException:
            page.lines.close()
            raise
        return page

    def _fill(self, lane: Lane, what: str, body: Window, content_type: str, cookies: dict[str, str],
              page: Page) -> None:
        dt = lane.data_type
        count = 0
        keyed: list[tuple[Any, str]] = []
        try:
            decoded = decode(body, dt.bodies, content_type)
            for item in decoded.items:
                count += 1
                record = self._record(dt, item, page)
                if record is None:
                    continue
                line = lane.maker.line(record, event_time(record, dt.times))
                if dt.order is not None:
                    keyed.append((dt.order(record), line))
                    continue
                page.lines.add(line)
        except ValueError as exc:
            raise ThirdPartyGenericError(f"malformed body from {what} ({exc}): {_excerpt(body.first)!r}") from exc
        dt.check(decoded.members)
        if not decoded.has_list:
            raise ThirdPartyGenericError(f"unexpected response from {what}: no {decoded.body.key!r} list")
        if keyed:
            keyed.sort(key=lambda pair: pair[0])
            for _, line in keyed:
                page.lines.add(line)
        page.read.finish(Reply(decoded.members, cookies, count))

    @staticmethod
    def _record(dt: DataType, item: Any, page: Page) -> dict[str, Any] | None:
        """The record for a decoded item, or None when it is not new. Undecodable items are always delivered."""
        if isinstance(item, Poison):
            page.poison.append(item.reason)
            return {"_raw": item.raw, "_parseError": item.reason}
        record = dt.record(item)
        if record is None:
            page.poison.append("not an event object")
            return {"_raw": item, "_parseError": "not an event object"}
        if not isinstance(item, dict) and "_parseError" in record:  # a line that did not parse: delivered raw
            page.poison.append(str(record["_parseError"]))
            return record
        return record if page.read.keep(record) else None


def _excerpt(text: str) -> str:
    return " ".join(text.split())[:80]
