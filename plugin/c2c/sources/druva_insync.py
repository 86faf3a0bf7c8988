"""Druva inSync: one source type, two event APIs, chosen by the credentials in the config.

v1, legacy (username + token): GET {baseURL}/api/events/v1[?format=CEF|Syslog] with HTTP Basic. Each
response sets a `progress` cookie; sending it back returns only newer events. The cookie is the cursor,
so it is persisted only after the page it came with is written. Druva's answer to an expired or invalid
cookie (400 "Cookie expired" / "Cookie Invalid") is to call again without it, which returns every event
again: we do that, emit a Warning health record and count the duplicates. CEF and Syslog lines are parsed
into records with Druva's JSON attribute names (EventType, Initiator, ...); a line that does not parse is
emitted raw with `_parseError`.

v2 (clientID + secretKey): OAuth, GET {baseURL}/insync/eventmanagement/v2/events?tracker=... answers
{"tracker", "nextPageExists", "events": [<= 500]}. The tracker is the cursor (URL-encoded by requests,
kept across runs, unchanged by the server when nothing is new). Events are emitted as Druva sends them.

A rejected cursor never stalls the source: an invalid tracker, or one that stays expired even with
`ignoreTrackerExpiry=true`, restarts the chain without a tracker, like the v1 cookie.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from http.cookiejar import DefaultCookiePolicy
from http.cookies import CookieError, SimpleCookie
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from requests.cookies import RequestsCookieJar

from c2c import timefmt
from c2c.errors import ThirdPartyConfigError, ThirdPartyGenericError
from c2c.formats.cef import parse_cef
from c2c.formats.insync_fields import parse_error
from c2c.formats.syslog import parse_syslog
from c2c.http import ApiClient, StatusHook, describe, excerpt
from c2c.sources.base import Page, Source, Stream, as_records
from c2c.sources.druva_base import DruvaOAuthSource

log = logging.getLogger(__name__)

V1_PATH = "/api/events/v1"
V2_PATH = "/insync/eventmanagement/v2/events"
MAX_PAGES_PER_RUN = 100_000  # a guard against a server that never says "caught up"

PARSERS: dict[str, Callable[[str], dict[str, Any]]] = {"CEF": parse_cef, "Syslog": parse_syslog}
TIME_KEYS = ("Timestamp", "timestamp", "timeStamp")  # parsed v1 records, then v2 as sent (both spellings)


def parse_line(line: str, fmt: str = "CEF") -> dict[str, Any]:
    """One CEF or Syslog line -> a record. The line's own shape wins over the requested format."""
    if "CEF:" in line:
        return parse_cef(line)
    if line.startswith("<"):
        return parse_syslog(line)
    return PARSERS.get(fmt, parse_cef)(line)


def event_time(event: dict[str, Any]) -> str | None:
    for key in TIME_KEYS:
        value = event.get(key)
        if value:
            return timefmt.from_any(value)
    return None


class CursorRejected(Exception):
    """The server refused our cookie or tracker; the stream restarts its chain without it."""


class TrackerDenied(CursorRejected):
    """403 on a call that carried a tracker: an expired tracker (or token) rather than a config error."""


class _ChainStream(Stream):
    """A cursor chain (v1 cookie, v2 tracker) that can be restarted, with the duplicates that causes counted.

    Cursor: {"api", <position key>, "delivered" (events since the chain began), "duplicates" (total
    re-delivered by restarts), "restarts"}. A restart re-reads from the oldest event Druva keeps, so the
    events delivered since the chain began are delivered again.
    """

    data_type = "insyncEvents"
    api: str
    position: str  # the cursor key holding the cookie or tracker
    what: str  # how the position is named in messages

    def load(self, cursor: Any) -> dict[str, Any]:
        st = dict(cursor) if isinstance(cursor, dict) and cursor.get("api") == self.api else {}
        return {"api": self.api, self.position: st.get(self.position), "delivered": int(st.get("delivered", 0)),
                "duplicates": int(st.get("duplicates", 0)), "restarts": int(st.get("restarts", 0))}

    def restart(self, st: dict[str, Any], reason: str) -> tuple[str, dict[str, Any]]:
        duplicates = st["delivered"]
        st.update({self.position: None, "delivered": 0, "duplicates": st["duplicates"] + duplicates,
                   "restarts": st["restarts"] + 1})
        message = (f"{self.what} rejected: {reason}; collecting again from the oldest event Druva keeps, so the "
                   f"{duplicates} event(s) delivered since the last restart are delivered again "
                   f"(duplicates: {duplicates})")
        log.warning("%s", message)
        return message, {"duplicates": duplicates, "duplicatesTotal": st["duplicates"], "restarts": st["restarts"]}

    def event_time(self, event: dict[str, Any]) -> str | None:
        return event_time(event)


class InsyncEventsV1(_ChainStream):
    api = "v1"
    position = "progress"
    what = "progress cookie"

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.format = str(self.config.get("format", "CEF"))
        # JSON is the API's default; only CEF and Syslog are asked for.
        self.params = {"format": self.format} if self.format in PARSERS else {}

    def pages(self, cursor: Any) -> Iterator[Page]:
        st = self.load(cursor)
        warning: str | None = None
        details: dict[str, Any] | None = None
        for _ in range(MAX_PAGES_PER_RUN):
            cookie = st["progress"]
            headers = {"Cookie": f"progress={cookie}"} if cookie else {}
            try:
                # Decoded inside the retry loop: a malformed or HTML body is retried like a 5xx.
                events, next_cookie = self.client.decoded("GET", V1_PATH, self.decode, params=self.params,
                                                          headers=headers, on_status=self._on_status(bool(cookie)))
            except CursorRejected as exc:
                warning, details = self.restart(st, str(exc))
                continue
            st["progress"] = next_cookie or cookie
            st["delivered"] += len(events)
            yield Page(events, dict(st), warning, details)
            warning = details = None
            if not events:
                return
        raise ThirdPartyGenericError(f"{V1_PATH} did not catch up after {MAX_PAGES_PER_RUN} calls")

    @staticmethod
    def _on_status(sent_cookie: bool) -> StatusHook:
        def hook(response: requests.Response) -> None:
            status = response.status_code
            if status == 400 and sent_cookie and "cookie" in response.text.lower():
                raise CursorRejected(describe(response))
            if status == 401:
                raise ThirdPartyConfigError(
                    f"{describe(response)}: the admin e-mail or API token was rejected (wrong, or the token "
                    "expired: create a new one under Settings > inSync APIs)", status=status)
            if status == 403:
                raise ThirdPartyConfigError(
                    f"{describe(response)}: access denied (the Events API needs an Elite or Elite Plus licence "
                    "and 'Export Events' enabled under Settings > inSync APIs)", status=status)
        return hook

    def decode(self, response: requests.Response) -> tuple[list[dict[str, Any]], str | None]:
        """(events, the response's progress cookie). The v1 body shape is undocumented, so accept the likely
        ones (see README "Druva inSync"): text, one CEF/Syslog line per line; a JSON list (or {"events": [...]})
        of objects or of lines. A markup page (a proxy's maintenance page answered 200) is not events."""
        text = response.content.decode("utf-8", "replace")  # Druva's text has no charset; it is UTF-8
        if _is_markup(text, response.headers.get("Content-Type", "")):
            raise ThirdPartyGenericError(f"not an events body from GET {V1_PATH}: {excerpt(response)[:80]!r}")
        return self._events(text), progress_cookie(response)

    def _events(self, text: str) -> list[dict[str, Any]]:
        head = text.lstrip()[:1]
        if head in ("[", "{"):
            try:
                body = json.loads(text)
            except ValueError:
                if self.format == "JSON":
                    raise ThirdPartyGenericError(
                        f"malformed JSON body from GET {V1_PATH}: {text[:80]!r}") from None
            else:
                items = body.get("events", [body]) if isinstance(body, dict) else body
                if not isinstance(items, list):
                    items = [items]
                return [self._item(x) for x in items]
        return [self._line(line) for line in text.splitlines() if line.strip()]

    def _item(self, item: Any) -> dict[str, Any]:
        if isinstance(item, dict):
            return item
        if isinstance(item, str):
            return parse_line(item, self.format)
        return parse_error(json.dumps(item), "not an event object or line")

    def _line(self, line: str) -> dict[str, Any]:
        if line.lstrip().startswith("{"):  # NDJSON
            try:
                obj = json.loads(line)
            except ValueError:
                return parse_error(line, "not a JSON object")
            return self._item(obj)
        return parse_line(line, self.format)


SYSLOG_PRI = re.compile(r"<\d{1,3}>")


def _is_markup(text: str, content_type: str) -> bool:
    """HTML or XML rather than event lines: every Syslog line starts with <PRI>, a CEF line with its date."""
    head = text.lstrip()
    return "html" in content_type.lower() or (head.startswith("<") and not SYSLOG_PRI.match(head))


def progress_cookie(response: requests.Response) -> str | None:
    """The `progress` value from the response's Set-Cookie headers, whatever their domain or path."""
    raw_headers = getattr(response.raw, "headers", None)
    values = raw_headers.getlist("Set-Cookie") if hasattr(raw_headers, "getlist") else []
    if not values and response.headers.get("Set-Cookie"):
        values = [response.headers["Set-Cookie"]]
    for header in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        if "progress" in jar and jar["progress"].value:
            return jar["progress"].value
    return None


class InsyncEventsV2(_ChainStream):
    api = "v2"
    position = "tracker"
    what = "tracker"

    def pages(self, cursor: Any) -> Iterator[Page]:
        st = self.load(cursor)
        warning: str | None = None
        details: dict[str, Any] | None = None
        ignore_expiry = False
        for _ in range(MAX_PAGES_PER_RUN):
            tracker = st["tracker"]
            params = {"tracker": tracker} if tracker else {}  # requests URL-encodes it (+ / = included)
            if tracker and ignore_expiry:
                params["ignoreTrackerExpiry"] = "true"
            try:
                body = self.client.json("GET", V2_PATH, params=params, on_status=self._on_status(bool(tracker)))
            except TrackerDenied as exc:
                if not ignore_expiry:
                    # Expired tracker (48 h) or expired token: retry once with a fresh token and the
                    # expiry waived (the flag Sentinel sends), before giving the tracker up.
                    log.info("tracker denied (%s); retrying with ignoreTrackerExpiry=true", exc)
                    invalidate = getattr(self.client.auth, "invalidate", None)
                    if invalidate is not None:
                        invalidate()
                    ignore_expiry = True
                    continue
                warning, details = self.restart(st, f"still denied with ignoreTrackerExpiry=true: {exc}")
                continue
            except CursorRejected as exc:
                warning, details = self.restart(st, str(exc))
                continue
            if not isinstance(body, dict) or not isinstance(body.get("events"), list):
                raise ThirdPartyGenericError(f"unexpected response shape from {V2_PATH}: no events list")
            events = as_records(body["events"])
            next_tracker = body.get("tracker") or tracker
            st["tracker"] = next_tracker
            st["delivered"] += len(events)
            yield Page(events, dict(st), warning, details)
            warning = details = None
            if not events or not body.get("nextPageExists"):
                return
            if next_tracker == tracker:
                log.warning("%s says nextPageExists but did not move the tracker; stopping this run", V2_PATH)
                return
        raise ThirdPartyGenericError(f"{V2_PATH} did not catch up after {MAX_PAGES_PER_RUN} pages")

    @staticmethod
    def _on_status(sent_tracker: bool) -> StatusHook:
        def hook(response: requests.Response) -> None:
            if not sent_tracker:
                return
            if response.status_code == 400 and "invalid tracker" in response.text.lower():
                raise CursorRejected(describe(response))
            if response.status_code == 403:
                raise TrackerDenied(describe(response))
        return hook


class DruvaInSync(DruvaOAuthSource):
    """`clientID` selects the v2 tracker API (OAuth); otherwise username + token select Events API v1."""

    type = "Druva inSync"

    @property
    def api(self) -> str:
        return "v2" if "clientID" in self.config.config else "v1"

    def make_client(self) -> ApiClient:
        if self.api == "v2":
            return super().make_client()
        client = Source.make_client(self)
        cfg = self.config.config
        client.auth = HTTPBasicAuth(str(cfg["username"]), str(cfg["token"]))
        client.session.auth = client.auth
        # The progress cookie is the checkpoint: it goes out only when the stream sends it, never from a jar.
        client.session.cookies = RequestsCookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        return client

    def streams(self) -> list[Stream]:
        return [InsyncEventsV2(self) if self.api == "v2" else InsyncEventsV1(self)]
