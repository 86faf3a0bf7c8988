"""Code42 Incydr emulation: /v1/oauth, /v2/file-events, /v1/sessions, /v1/audit/*, after reference/code42.md §9.

File events and audit events are an endless deterministic sequence: event i is computed from (seed, i)
when asked for, never stored, so a backlog of millions costs nothing until it is paged. Event i of the
file-event sequence is inserted at `start - (backlog - i) * spacing` (bursts of 4 share one instant),
happened (`@timestamp`) seconds to days before that, and is searchable only once the virtual clock
passes its insert time plus, for a few, an indexing lag (the late events an overlap window must catch).
Events past `backlog` appear as the clock moves on. Sessions are a small stored set that mutates as
the clock moves. Every data endpoint spends a per-client budget of `rate_limit` requests per
`rate_window` seconds; over it, 429 with Retry-After in seconds, as an HTTP-date, or absent.
"""

from __future__ import annotations

import base64
import bisect
import email.utils
import functools
import heapq
import json
import math
import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from c2c.emulator.core import Emulator, Request, Response
from c2c.emulator.oauth import TokenIssuer

TENANT = "147e9445-2f30-4a91-8b2a-9455332e880a"
NS = 1_000_000_000
MAX_RESULTS_PAGE_MODE = 10_000
DEVICE_BASE = 973435567569502913
EVENT_N_BASE = 986467523038446097
USERS = ["ana.silva", "bo.chen", "carla.diaz", "dev.patel", "eli.novak", "fay.okafor"]
ACTIONS = [("file-created", "Endpoint"), ("file-modified", "Endpoint"), ("removable-media-created", "Endpoint"),
           ("application-read", "Endpoint"), ("file-shared", "GoogleDrive"), ("file-downloaded", "Box"),
           ("emailed", "Office365Email")]
SEVERITIES = ["NO_RISK_INDICATED", "LOW", "MODERATE", "HIGH", "CRITICAL"]
AUDIT_TYPES = ["audit_log::logged_in/1", "audit_log::search_file_events/1", "audit_log::user_role_added/1",
               "audit_log::api_client_created/1", "audit_log::rule_updated/1"]


def mix(*parts: int) -> int:
    """A fast deterministic 64-bit hash of integers (splitmix64 steps)."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x


@functools.lru_cache(maxsize=4096)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def iso_ns(ns: int, digits: int = 9) -> str:
    whole, frac = divmod(ns, NS)
    text = _second(whole)
    return f"{text}.{frac:09d}"[: 20 + digits] + "Z" if digits else text + "Z"


def parse_time_ns(value: Any) -> int | None:
    """Filter values and date ranges: ISO text, or epoch seconds (float) as the SDK sends them."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 1000) * 1_000_000
    from c2c.timefmt import to_epoch_ns

    return to_epoch_ns(str(value))


class Problem(Exception):
    def __init__(self, kind: str, description: str = "", status: int = 400) -> None:
        super().__init__(kind)
        self.kind, self.description, self.status = kind, description or kind, status

    def response(self) -> Response:
        return Response(self.status, {"fileEvents": None, "nextPgToken": None, "totalCount": 0,
                                      "problems": [{"type": self.kind, "description": self.description}]})


# ---- file events ---------------------------------------------------------------------------------------
@dataclass
class FileEventSequence:
    seed: int
    start_ns: int  # the virtual time the sequence was anchored at
    backlog: int  # events inserted before start_ns
    spacing_ns: int
    late_permille: int = 20  # events searchable only after an indexing lag
    max_index_lag_s: int = 120
    extras: list[tuple[int, str, int, str]] = field(default_factory=list)  # (inserted, id, visible, json)
    extra_index: dict[str, int] = field(default_factory=dict)  # id -> position in extras

    @property
    def base_ns(self) -> int:
        return self.start_ns - self.backlog * self.spacing_ns

    def inserted(self, i: int) -> int:
        block = i >> 2
        if mix(self.seed, block, 1) % 8 == 0:  # a burst: four events with one insert instant
            i = block << 2
        return self.base_ns + i * self.spacing_ns + mix(self.seed, i, 2) % self.spacing_ns

    def visible(self, i: int) -> int:
        h = mix(self.seed, i, 3)
        lag = (h >> 20) % (self.max_index_lag_s * NS) if h % 1000 < self.late_permille else 0
        return self.inserted(i) + lag

    def event_id(self, i: int) -> str:
        h = mix(self.seed, i, 4)
        if h % 3:  # endpoint form; the index is in the event number
            return f"0_{TENANT}_{DEVICE_BASE + h % 1000}_{EVENT_N_BASE + i}_0_EPS" + ("_DARWIN" if h % 5 == 0 else "")
        g = f"{mix(self.seed, i, 5):016x}"
        return f"{g[:8]}-{g[8:12]}-4{g[12:15]}-{'89ab'[h % 4]}{f'{h:016x}'[:3]}-{i:012x}"

    def index_of(self, event_id: str) -> int | None:
        try:
            i = int(event_id.split("_")[3]) - EVENT_N_BASE if event_id.startswith("0_") else int(event_id[-12:], 16)
        except (ValueError, IndexError):
            return None
        return i if i >= 0 and self.event_id(i) == event_id else None

    def first_at_or_after(self, t_ns: int) -> int:
        hi = max(0, (t_ns - self.base_ns) // self.spacing_ns + 8)
        return bisect.bisect_left(range(hi), t_ns, key=self.inserted)

    def render(self, i: int) -> str:
        h = mix(self.seed, i, 6)
        inserted = self.inserted(i)
        tier = h % 100
        delay_s = (h >> 8) % 300 + 2 if tier < 94 else ((h >> 8) % 36_000 if tier < 99 else (h >> 8) % 432_000)
        ts = inserted - delay_s * NS - (h >> 40) % NS
        ingested = inserted - ((h >> 24) % 5 + 1) * NS // 2
        action, source = ACTIONS[(h >> 12) % len(ACTIONS)]
        user = USERS[(h >> 16) % len(USERS)]
        sev = SEVERITIES[(h >> 20) % len(SEVERITIES)]
        size = (h >> 28) % 50_000_000
        ts_text = iso_ns(ts, 9 if h % 7 == 0 else 3)  # a few detection times carry nanoseconds
        ext = ["pdf", "xlsx", "docx", "zip", "png"][(h >> 33) % 5]
        tabs = "null" if h % 11 else f'[{{"title":"Drive","url":"https://drive.example.com/{h % 997}"}}]'
        extra = f',"x{h % 17}":{{"unknownVendorField":{h % 1000}}}' if h % 13 == 0 else ""
        return (
            f'{{"@timestamp":"{ts_text}","event":{{"id":"{self.event_id(i)}","action":"{action}",'
            f'"observer":"{source}","vector":null,"shareType":[],"ingested":"{iso_ns(ingested, 3)}",'
            f'"inserted":"{iso_ns(inserted, 9)}","relatedEvents":[]}},'
            f'"user":{{"email":"{user}@example.com","id":"{h % 10**12}","deviceUid":"{DEVICE_BASE + h % 1000}"}},'
            f'"file":{{"name":"report-{i}.{ext}","directory":"/Users/{user}/Documents/","sizeInBytes":{size},'
            f'"category":"Document","hash":{{"md5":"{h:016x}{h >> 3:016x}","sha256":null}}}},'
            f'"source":{{"category":"Device","name":"{source}","tabs":{tabs}}},'
            f'"destination":{{"category":null,"name":null}},'
            f'"risk":{{"score":{(h >> 40) % 30},"severity":"{sev}","indicators":[],"trusted":false}}{extra}}}'
        )

    def add(self, event: dict[str, Any], inserted_ns: int, visible_ns: int | None = None) -> None:
        """Test hook: an explicit event (e.g. one that becomes searchable late)."""
        eid = str(event["event"]["id"])
        item = (inserted_ns, eid, visible_ns if visible_ns is not None else inserted_ns,
                json.dumps(event, separators=(",", ":")))
        bisect.insort(self.extras, item, key=lambda x: (x[0], x[1]))
        self.extra_index = {e[1]: n for n, e in enumerate(self.extras)}

    def stream(self, lo_ns: int, hi_ns: int, after: tuple[int, str] | None) -> Iterator[tuple[int, str, int, Any]]:
        """(inserted, id, visible, index or json) in (inserted, id) order within [lo, hi], after `after`."""
        first = self.first_at_or_after(max(lo_ns, after[0] if after else lo_ns))

        def generated() -> Iterator[tuple[int, str, int, Any]]:
            block = first >> 2
            while True:
                items = sorted((self.inserted(i), self.event_id(i), i) for i in range(block << 2, (block + 1) << 2))
                for ins, eid, i in items:
                    if ins > hi_ns:
                        return
                    yield ins, eid, self.visible(i), i
                block += 1

        def extra() -> Iterator[tuple[int, str, int, Any]]:
            pos = bisect.bisect_left(self.extras, lo_ns, key=lambda x: x[0])
            for ins, eid, vis, text in self.extras[pos:]:
                if ins > hi_ns:
                    return
                yield ins, eid, vis, text

        for item in heapq.merge(generated(), extra(), key=lambda x: (x[0], x[1])):
            if item[0] < lo_ns or (after is not None and (item[0], item[1]) <= after):
                continue
            yield item

    def lookup(self, event_id: str) -> tuple[int, str, int, Any] | None:
        n = self.extra_index.get(event_id)
        if n is not None:
            ins, eid, vis, text = self.extras[n]
            return ins, eid, vis, text
        i = self.index_of(event_id)
        return None if i is None else (self.inserted(i), event_id, self.visible(i), i)

    def text(self, item: tuple[int, str, int, Any]) -> str:
        return item[3] if isinstance(item[3], str) else self.render(item[3])


OPERATORS = {"IS", "IS_NOT", "IS_ANY", "IS_NONE", "EXISTS", "DOES_NOT_EXIST", "GREATER_THAN", "LESS_THAN", "ON",
             "ON_OR_AFTER", "ON_OR_BEFORE", "WITHIN_THE_LAST"}
SORT_KEYS = {"event.inserted", "@timestamp", "event.id", "event.ingested", "file.sizeInBytes", "risk.score"}
DATE_TERMS = {"@timestamp", "event.inserted", "event.ingested"}


def _dotted(event: dict[str, Any], term: str) -> Any:
    if term in event:
        return event[term]
    value: Any = event
    for part in term.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _duration_ns(text: str) -> int:
    import re

    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", str(text))
    if not m or not any(m.groups()):
        raise Problem("ILLEGAL_VALUE", f"bad duration {text!r}")
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 * NS + s * NS


def compile_filters(body: dict[str, Any], now_ns: int) -> tuple[Callable[[dict[str, Any]], bool], int, int, bool]:
    """A predicate on event dicts, the event.inserted bounds implied by AND-ed filters, and whether the
    query is nothing but those bounds (so the predicate need not be evaluated)."""
    groups = body.get("groups")
    if not groups:
        raise Problem("MISSING_GROUPS", "groups must not be empty")
    lo, hi, only_inserted, count = 0, 2**62, True, 0
    and_outer = str(body.get("groupClause", "AND")).upper() == "AND"
    compiled_groups = []
    for g in groups:
        filters = g.get("filters")
        if not filters:
            raise Problem("MISSING_FILTERS", "a group has no filters")
        and_inner = str(g.get("filterClause", "AND")).upper() == "AND"
        preds = []
        for f in filters:
            count += 1
            term, op, value = f.get("term"), str(f.get("operator", "")).upper(), f.get("value")
            if op not in OPERATORS:
                raise Problem("ILLEGAL_OPERATOR", f"unknown operator {op!r}")
            if term in DATE_TERMS and op in ("ON_OR_AFTER", "ON_OR_BEFORE", "ON", "GREATER_THAN", "LESS_THAN",
                                             "WITHIN_THE_LAST"):
                try:
                    t = now_ns - _duration_ns(value) if op == "WITHIN_THE_LAST" else parse_time_ns(value)
                except (ValueError, OverflowError) as exc:
                    raise Problem("ILLEGAL_VALUE", f"bad date {value!r}") from exc
                assert t is not None
                if op == "ON":
                    day = t - t % (86400 * NS)
                    a, b = day, day + 86400 * NS - 1
                elif op in ("ON_OR_AFTER", "WITHIN_THE_LAST"):
                    a, b = t, 2**62
                elif op == "GREATER_THAN":
                    a, b = t + 1, 2**62
                elif op == "ON_OR_BEFORE":
                    a, b = 0, t
                else:
                    a, b = 0, t - 1
                if term == "event.inserted" and and_outer and (and_inner or len(filters) == 1):
                    lo, hi = max(lo, a), min(hi, b)
                else:
                    only_inserted = False
                preds.append(lambda e, term=term, a=a, b=b: _in_range(_dotted(e, term), a, b))
                continue
            only_inserted = False
            preds.append(_term_predicate(term, op, value))
        compiled_groups.append((and_inner, preds))
    if count > 1024:
        raise Problem("MAX_FILTERS_EXCEEDED", "at most 1024 criteria")
    if len(groups) > 1 and not and_outer:
        only_inserted = False

    def predicate(e: dict[str, Any]) -> bool:
        results = (all(p(e) for p in ps) if a else any(p(e) for p in ps) for a, ps in compiled_groups)
        return all(results) if and_outer else any(results)

    return predicate, lo, hi, only_inserted


def _in_range(value: Any, a: int, b: int) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return a <= parse_time_ns(value) <= b  # type: ignore[operator]
    except ValueError:
        return False


def _term_predicate(term: str, op: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    def norm(v: Any) -> list[Any]:
        return v if isinstance(v, list) else [v]

    if op in ("IS", "IS_ANY"):
        wanted = {str(v) for v in norm(value)}
        return lambda e: any(str(v) in wanted for v in norm(_dotted(e, term)) if v is not None)
    if op in ("IS_NOT", "IS_NONE"):
        unwanted = {str(v) for v in norm(value)}
        return lambda e: not any(str(v) in unwanted for v in norm(_dotted(e, term)) if v is not None)
    if op == "EXISTS":
        return lambda e: _dotted(e, term) not in (None, [], "")
    if op == "DOES_NOT_EXIST":
        return lambda e: _dotted(e, term) in (None, [], "")
    if op in ("GREATER_THAN", "LESS_THAN"):
        bound = float(value)
        return (lambda e: _num(_dotted(e, term)) > bound) if op == "GREATER_THAN" else (
            lambda e: _num(_dotted(e, term)) < bound)
    raise Problem("ILLEGAL_OPERATOR", f"{op} does not apply to {term}")


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else float("nan")


# ---- the service ---------------------------------------------------------------------------------------
@dataclass
class IncydrService:
    emulator: Emulator
    client_id: str = "key-demo-client"
    secret: str = "demo-secret"
    seed: int = 1
    events: int = 250  # file events already inserted when the emulator starts
    audit_events: int | None = None  # default: events
    sessions: int | None = None  # default: events // 10, within 8..2000
    # The share of the initial sessions that carry an alert (only those are listed by default,
    # has_alerts=true): 1.0 makes a backlog of exactly `sessions` (<= 50 a page).
    sessions_alerted: float = 0.7
    span_s: float = 12 * 3600  # the backlog spreads over this many seconds before the start
    token_ttl: float = 900
    rate_limit: int = 120  # requests per client per rate_window; 0 = unlimited
    rate_window: float = 60.0
    rate_scope: str = "client"  # or "endpoint": one budget per client and path
    retry_after: str = "seconds"  # "seconds" | "date" | "none"
    retention_s: float = 90 * 86400
    late_permille: int = 20
    max_index_lag_s: int = 120
    mutate_every_s: float = 300.0  # a session changes this often (virtual time)
    page_cache: dict[bytes, tuple[float, bytes]] = field(default_factory=dict)
    throttled: int = 0

    def __post_init__(self) -> None:
        clock = self.emulator.clock
        start_ns = int(clock.now() * NS)
        self.files = FileEventSequence(self.seed, start_ns, self.events,
                                       max(1, int(self.span_s * NS / max(1, self.events))),
                                       self.late_permille, self.max_index_lag_s)
        n_audit = self.events if self.audit_events is None else self.audit_events
        self.audit = AuditSequence(self.seed, start_ns, n_audit, max(1, int(self.span_s * NS / max(1, n_audit))))
        self.session_store = SessionStore(self.seed, start_ns // 1_000_000,
                                          self.sessions if self.sessions is not None
                                          else min(2000, max(8, self.events // 10)),
                                          int(self.span_s * 1000), int(self.mutate_every_s * 1000),
                                          self.sessions_alerted)
        self.issuer = TokenIssuer(self.client_id, self.secret, self.token_ttl, clock,
                                  bad_credentials=lambda: Response(401, {"error": "invalid_client"}),
                                  mint=self._jwt)
        self.calls: dict[str, deque[float]] = {}
        emu = self.emulator
        emu.route("POST", "/v1/oauth", self.oauth)
        emu.route("POST", "/v2/file-events", self._data(self.file_events))
        emu.route("GET", "/v1/sessions", self._data(self.list_sessions))
        emu.route("POST", "/v1/audit/search-audit-log", self._data(self.search_audit))
        emu.route("POST", "/v1/audit/search-results-count", self._data(self.count_audit))
        emu.route("POST", "/v1/alerts/", lambda r: Response(410, {"error": "The alerts API has been retired; "
                                                                           "use /v1/sessions"}), prefix=True)
        emu.route("POST", "/v1/file-events", lambda r: Response(410, {"error": "/v1/file-events is end-of-life; "
                                                                                "use /v2/file-events"}))

        emu.control("POST", "/_emulator/code42/settings", self._ctl_settings)
        emu.control("POST", "/_emulator/code42/file-events", self._ctl_file_event)
        emu.control("POST", "/_emulator/code42/sessions/touch", self._ctl_touch)

    # ---- control (for `c2c emulator`; tests call the methods directly) --------------------------
    SETTABLE = ("rate_limit", "rate_window", "rate_scope", "retry_after", "token_ttl", "retention_s")

    def _ctl_settings(self, req: Request) -> Response:
        body = req.json() or {}
        unknown = sorted(set(body) - set(self.SETTABLE))
        if unknown:
            return Response(400, {"error": f"unknown settings {unknown}; settable: {list(self.SETTABLE)}"})
        for key, value in body.items():
            setattr(self, key, value)
        self.issuer.ttl = float(self.token_ttl)
        return Response(200, {k: getattr(self, k) for k in self.SETTABLE})

    def _ctl_file_event(self, req: Request) -> Response:
        """{"insertedAgo": s, "visibleIn": s, "timestampAgo": s, "eventId": "..."}: one late event."""
        body = req.json() or {}
        now = self.emulator.clock.now()
        event = self.add_file_event(inserted=now - float(body.get("insertedAgo", 0)),
                                    visible=now + float(body.get("visibleIn", 0)),
                                    timestamp=now - float(body.get("timestampAgo", 5)), event_id=body.get("eventId"))
        return Response(201, event)

    def _ctl_touch(self, req: Request) -> Response:
        """{"sessionId": optional, "alert": true}: a session changes (and gains an alert)."""
        body = req.json() or {}
        alert = bool(body.get("alert", True))
        store = self.session_store
        try:
            s = store.find(body["sessionId"]) if body.get("sessionId") else next(
                x for x in store.items if not (alert and x["triggeredAlerts"]))
        except StopIteration:
            return Response(404, {"error": "no such session"})
        store.touch(s, int(self.emulator.clock.now() * 1000), alert=alert)
        return Response(200, s)

    # ---- auth and budget ------------------------------------------------------------------------
    def _jwt(self) -> str:
        def part(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        claims = {"tenantUid": TENANT, "sub": self.client_id, "iat": int(self.emulator.clock.now()),
                  "jti": secrets.token_hex(8)}
        return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(16)}"

    def oauth(self, req: Request) -> Response:
        grant = req.arg("grant_type") or req.form().get("grant_type")
        if grant is not None and grant != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        return self.issuer.issue(req)

    def _data(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def serve(req: Request) -> Response:
            denied = self.issuer.check(req)
            if denied is not None:
                return denied
            limited = self._throttle(req)
            if limited is not None:
                return limited
            try:
                return handler(req)
            except Problem as exc:
                return exc.response()

        return serve

    def _throttle(self, req: Request) -> Response | None:
        if self.rate_limit <= 0:
            return None
        key = self.client_id + ("|" + req.path if self.rate_scope == "endpoint" else "")
        now = self.emulator.clock.now()
        calls = self.calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.rate_window:
            calls.popleft()
        if len(calls) < self.rate_limit:
            calls.append(now)
            return None
        self.throttled += 1
        wait = max(1, int(calls[0] + self.rate_window - now + 0.999))
        headers = {}
        if self.retry_after == "seconds":
            headers["Retry-After"] = str(wait)
        elif self.retry_after == "date":
            # An HTTP-date is wall-clock time (like the Date header), rounded up so a client never wakes early.
            headers["Retry-After"] = email.utils.formatdate(math.ceil(time.time() + wait), usegmt=True)
        return Response(429, {"error": "Too Many Requests"}, headers)

    # ---- file events ----------------------------------------------------------------------------
    def file_events(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise Problem("ILLEGAL_VALUE", "body must be a JSON object")
        now_ns = int(self.emulator.clock.now() * NS)
        cached = self.page_cache.get(req.body)
        if cached is not None and cached[0] == now_ns:
            return Response(200, cached[1], {"Content-Type": "application/json"})
        size = body.get("pgSize", 100)
        if not isinstance(size, int) or not 1 <= size <= MAX_RESULTS_PAGE_MODE:
            raise Problem("INVALID_PAGE_SIZE", "pgSize must be 1..10000")
        key = body.get("srtKey", "event.id")
        if key not in SORT_KEYS:
            raise Problem("ILLEGAL_SORT", f"cannot sort by {key!r}")
        desc = str(body.get("srtDir", "desc")).lower() == "desc"
        predicate, lo, hi, only_inserted = compile_filters(body, now_ns)
        lo = max(lo, now_ns - int(self.retention_s * NS))
        hi = min(hi, now_ns)
        token = body.get("pgToken")
        seq = self.files

        def matches(item: tuple[int, str, int, Any]) -> bool:
            if item[2] > now_ns:
                return False
            return only_inserted or predicate(json.loads(seq.text(item)))

        if key == "event.inserted" and not desc and token is not None:
            after = None
            if token:
                found = seq.lookup(str(token))
                if found is None or not (lo <= found[0] <= hi) or not matches(found):
                    raise Problem("INVALID_PAGE_TOKEN", "page token does not match an event of this query")
                after = (found[0], found[1])
            page = []
            for item in seq.stream(lo, hi, after):
                if matches(item):
                    page.append(item)
                    if len(page) == size:
                        break
            total = self._count(lo, hi, now_ns, matches, only_inserted)
        else:
            everything = [it for it in seq.stream(lo, hi, None) if matches(it)]
            if key != "event.inserted":
                texts = {it[1]: json.loads(seq.text(it)) for it in everything}
                everything.sort(key=lambda it: (str(_dotted(texts[it[1]], key)), it[1]), reverse=desc)
            elif desc:
                everything.reverse()
            total = len(everything)
            if token is None:
                num = body.get("pgNum", 1)
                if not isinstance(num, int) or num < 1 or num * size > MAX_RESULTS_PAGE_MODE:
                    raise Problem("INVALID_PAGE_NUMBER", "page-number mode cannot go past 10,000 results")
                page = everything[(num - 1) * size : num * size]
            else:
                start = 0
                if token:
                    ids = [it[1] for it in everything]
                    if token not in ids:
                        raise Problem("INVALID_PAGE_TOKEN", "page token does not match an event of this query")
                    start = ids.index(token) + 1
                page = everything[start : start + size]
        more = token is not None and len(page) == size
        next_token = json.dumps(page[-1][1]) if more else "null"
        payload = (
            '{"fileEvents":[' + ",".join(seq.text(it) for it in page) + f'],"nextPgToken":{next_token},'
            f'"problems":null,"totalCount":{total}}}'
        ).encode()
        if len(self.page_cache) >= 4:  # pages can be megabytes: keep only the latest few for replays
            self.page_cache.pop(next(iter(self.page_cache)))
        self.page_cache[req.body] = (now_ns, payload)
        return Response(200, payload, {"Content-Type": "application/json"})

    def _count(self, lo: int, hi: int, now_ns: int, matches: Callable[..., bool], only_inserted: bool) -> int:
        seq = self.files
        if not only_inserted:
            return sum(1 for it in seq.stream(lo, hi, None) if matches(it))
        a, b = seq.first_at_or_after(lo), seq.first_at_or_after(hi + 1)
        # Only events near the head can still be waiting for their indexing lag.
        head = max(a, seq.first_at_or_after(now_ns - seq.max_index_lag_s * NS))
        hidden = sum(1 for i in range(head, b) if seq.visible(i) > now_ns)
        extras = sum(1 for ins, _, vis, _ in seq.extras if lo <= ins <= hi and vis <= now_ns)
        return b - a - hidden + extras

    def add_file_event(self, *, inserted: float, visible: float | None = None, timestamp: float | None = None,
                       event_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Test hook: one explicit file event (times in epoch seconds; `visible` = when it becomes searchable)."""
        ins_ns = int(inserted * NS)
        event = {"@timestamp": iso_ns(int((timestamp if timestamp is not None else inserted - 5) * NS), 3),
                 "event": {"id": event_id or f"{random.Random(ins_ns).getrandbits(128):032x}",
                           "action": "file-created", "inserted": iso_ns(ins_ns), "ingested": iso_ns(ins_ns, 3),
                           "observer": "Endpoint"},
                 **fields}
        self.files.add(event, ins_ns, int(visible * NS) if visible is not None else None)
        self.page_cache.clear()
        return event

    def file_events_between(self, lo: float, hi: float) -> list[str]:
        """Every searchable event id inserted in [lo, hi] (epoch seconds), for assertions."""
        now_ns = int(self.emulator.clock.now() * NS)
        return [it[1] for it in self.files.stream(int(lo * NS), min(int(hi * NS), now_ns), None) if it[2] <= now_ns]

    # ---- sessions -------------------------------------------------------------------------------
    def list_sessions(self, req: Request) -> Response:
        size = int(req.arg("page_size") or 10)
        if size > 50:
            return Response(400, {"msg": "page_size must be less than or equal to 50"})
        number = int(req.arg("page_number") or 0)
        self.session_store.evolve(int(self.emulator.clock.now() * 1000))
        items = self.session_store.query(req.query)
        page = items[number * size : (number + 1) * size]
        return Response(200, {"items": page, "totalCount": len(items)})

    # ---- audit log ------------------------------------------------------------------------------
    def _audit_range(self, req: Request) -> tuple[int, int]:
        body = req.json() or {}
        rng = body.get("dateRange") or {}
        now_ns = int(self.emulator.clock.now() * NS)
        try:
            start = parse_time_ns(rng.get("startTime")) or 0
            end = parse_time_ns(rng.get("endTime"))
        except (ValueError, OverflowError):
            raise Problem("ILLEGAL_VALUE", "bad dateRange") from None
        return max(start, now_ns - int(self.retention_s * NS)), min(end if end is not None else now_ns, now_ns)

    def search_audit(self, req: Request) -> Response:
        body = req.json() or {}
        page, size = int(body.get("page", 0)), int(body.get("pageSize", 100))
        if size < 1 or size > 10_000 or page < 0:
            return Response(400, {"msg": "page must be >= 0 and pageSize 1..10000"})
        lo, hi = self._audit_range(req)
        a, b = self.audit.first_at_or_after(lo), self.audit.first_at_or_after(hi + 1)
        # newest first: offset 0 is index b-1
        first, last = b - 1 - page * size, max(a, b - (page + 1) * size)
        events = [self.audit.render(i) for i in range(first, last - 1, -1)] if first >= a else []
        return Response(200, {"events": events, "paginationRangeStartIndex": page * size,
                              "paginationRangeEndIndex": page * size + len(events)})

    def count_audit(self, req: Request) -> Response:
        lo, hi = self._audit_range(req)
        return Response(200, {"totalResultCount": max(0, self.audit.first_at_or_after(hi + 1)
                                                      - self.audit.first_at_or_after(lo))})


# ---- audit log -----------------------------------------------------------------------------------------
@dataclass
class AuditSequence:
    seed: int
    start_ns: int
    backlog: int
    spacing_ns: int

    def _anchor(self, i: int) -> int:
        return i >> 2 << 2 if mix(self.seed, i >> 2, 11) % 6 == 0 else i  # several events at one instant

    def digits(self, i: int) -> int:
        return 9 if mix(self.seed, self._anchor(i), 13) % 5 == 0 else 3  # some carry nanoseconds

    def timestamp(self, i: int) -> int:
        a = self._anchor(i)
        # The jitter stays a millisecond short of the spacing: an event truncated to the millisecond then never
        # sorts before its predecessor (the log is in time order, and dateRange is found by bisection).
        jitter = mix(self.seed, a, 12) % max(1, self.spacing_ns - 1_000_000)
        ns = self.start_ns - (self.backlog - a) * self.spacing_ns + jitter
        return ns if self.digits(i) == 9 else ns - ns % 1_000_000

    def first_at_or_after(self, t_ns: int) -> int:
        hi = max(0, (t_ns - (self.start_ns - self.backlog * self.spacing_ns)) // self.spacing_ns + 8)
        return bisect.bisect_left(range(hi), t_ns, key=self.timestamp)

    def render(self, i: int) -> dict[str, Any]:
        # Every 50th event repeats its predecessor exactly (same instant, same content): both are real.
        if i % 50 == 49 and self.timestamp(i) == self.timestamp(i - 1):
            return self.render(i - 1)
        h = mix(self.seed, i, 14)
        kind = AUDIT_TYPES[h % len(AUDIT_TYPES)]
        user = USERS[(h >> 8) % len(USERS)]
        ts = self.timestamp(i)
        event: dict[str, Any] = {
            "type$": kind, "actorId": str(10**15 + h % 10**6), "actorName": f"{user}@example.com",
            "actorAgent": "py42 1.26.0 python 3.11" if h % 4 == 0 else "Mozilla/5.0",
            "actorIpAddress": "50.93.255.223, 64.252.71.111" if h % 9 == 0 else f"198.51.100.{h % 250}",
            "timestamp": iso_ns(ts, self.digits(i)), "actorType": "USER" if h % 3 else "API_CLIENT",
        }
        if kind.startswith("audit_log::logged_in"):
            event.update(success=bool(h % 7), loginType="LOCAL")
        elif kind.startswith("audit_log::search_file_events"):
            event.update(resultCount=h % 5000, requestJson='{"groups":[]}', fileEventQuery=None)
        else:
            event.update(resourceId=f"res-{h % 9999}", federationId=None)
        return event


# ---- sessions ------------------------------------------------------------------------------------------
class SessionStore:
    def __init__(self, seed: int, start_ms: int, n: int, span_ms: int, mutate_every_ms: int,
                 alerted_share: float = 0.7) -> None:
        self.rng = random.Random(seed * 7919 + 42)
        self.mutate_every_ms = max(1, mutate_every_ms)
        self.evolved_to = start_ms
        self.items: list[dict[str, Any]] = []
        self.alert_seq = 0
        for k in range(n):
            begin = start_ms - span_ms + (span_ms * k) // max(1, n) + self.rng.randint(0, 60_000)
            self.items.append(self._new(begin, with_alert=self.rng.random() < alerted_share))

    def _new(self, begin: int, *, with_alert: bool) -> dict[str, Any]:
        actor = str(10**15 + self.rng.randint(0, 10**6))
        end = begin + self.rng.randint(60_000, 3_600_000)
        s: dict[str, Any] = {
            "sessionId": f"{actor}_{begin}", "tenantId": TENANT, "actorId": actor,
            "actorName": f"{self.rng.choice(USERS)}@example.com", "userId": None, "type": "STANDARD",
            "beginTime": begin, "endTime": end, "firstObserved": begin + 2000, "lastUpdated": end,
            "noRiskEvents": self.rng.randint(0, 40), "lowEvents": self.rng.randint(0, 5), "moderateEvents": 0,
            "highEvents": self.rng.randint(0, 3), "criticalEvents": 0, "notes": [],
            "riskIndicators": [{"id": "ri-1", "name": "Removable media", "weight": 3, "eventCount": 2}],
            "scores": [{"score": self.rng.randint(1, 9), "severity": 1, "sourceTimestamp": end}],
            "states": [{"state": "OPEN", "stateV2": "OPEN", "sourceTimestamp": begin, "userId": None}],
            "triggeredAlerts": [], "exfiltrationSummary": None, "contextSummary": None,
            "riskIndicatorsAlertedOn": [], "contentInspectionResults": None,
        }
        if with_alert:
            self._alert(s)
        return s

    def _alert(self, s: dict[str, Any]) -> None:
        self.alert_seq += 1
        s["triggeredAlerts"].append({"alertId": f"alert-{self.alert_seq}", "ruleId": f"rule-{self.alert_seq % 7}",
                                     "ruleName": "Departing employee exfiltration", "lessonId": None})

    def touch(self, s: dict[str, Any], at_ms: int, *, alert: bool = False) -> None:
        """A session changes: it runs longer, gains a score, and maybe an alert."""
        s["endTime"] = max(s["endTime"], at_ms)
        s["lastUpdated"] = max(s["lastUpdated"] + 1, at_ms)
        s["scores"].append({"score": self.rng.randint(1, 9), "severity": 2, "sourceTimestamp": at_ms})
        if alert:
            self._alert(s)

    def evolve(self, now_ms: int) -> None:
        steps = 0
        while self.evolved_to + self.mutate_every_ms <= now_ms and steps < 1000:
            self.evolved_to += self.mutate_every_ms
            steps += 1
            recent = [s for s in self.items if s["beginTime"] >= self.evolved_to - 86_400_000] or self.items
            self.touch(self.rng.choice(recent), self.evolved_to, alert=self.rng.random() < 0.3)
            if self.rng.random() < 0.2:
                self.items.append(self._new(self.evolved_to - self.rng.randint(0, 600_000),
                                            with_alert=self.rng.random() < 0.5))
        if steps == 1000:
            self.evolved_to = now_ms

    def query(self, q: dict[str, list[str]]) -> list[dict[str, Any]]:
        def arg(name: str) -> str | None:
            values = q.get(name)
            return values[-1] if values else None

        items = list(self.items)
        if (arg("has_alerts") or "true").lower() == "true":
            items = [s for s in items if s["triggeredAlerts"]]
        if arg("on_or_after"):
            items = [s for s in items if s["beginTime"] >= int(arg("on_or_after") or 0)]
        if arg("before"):
            items = [s for s in items if s["beginTime"] < int(arg("before") or 0)]
        if arg("actor_id"):
            items = [s for s in items if s["actorId"] == arg("actor_id")]
        by = "endTime" if (arg("order_by") or "end_time") == "end_time" else "score"
        desc = (arg("sort_direction") or "DESC").upper() == "DESC"
        if by == "score":
            items.sort(key=lambda s: (s["scores"][-1]["score"], s["sessionId"]), reverse=desc)
        else:
            items.sort(key=lambda s: (s["endTime"], s["sessionId"]), reverse=desc)
        return items

    def find(self, session_id: str) -> dict[str, Any]:
        return next(s for s in self.items if s["sessionId"] == session_id)
