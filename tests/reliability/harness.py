"""Reliability harness: the table of source scenarios and a Harness that runs c2c against the emulator.

Each attack test is parametrized over SCENARIOS, so a new source joins every attack by adding one row:
how to attach its emulated service, its config, how to name an output record's identity, the identities
the vendor holds, which paths are data and token calls, how to expire its access token, and its cursor
attacks (tracker / progress cookie / page token) with the outcome its docs promise for each.

Identities are compared as multisets (Harness.expected is a Counter): Code42 audit events have no id and
the log holds genuinely identical events, so exactly once is Counter equality, at least once is
containment, and duplicates are what exceeds the vendor's count (Harness.surplus).

Where a source's documented behaviour differs, the row says so (no token endpoint, a cursor attack that
legitimately re-delivers, a smaller chaos backlog, fewer fault kinds) and the tests read it from the row.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from c2c import cli
from c2c.emulator import Emulator, Fault, Request, Response
from c2c.emulator.code42 import IncydrService
from c2c.emulator.druva import TRACKER_TTL, RealizeService
from c2c.emulator.insync import EXPLICIT_DENY as INSYNC_DENY
from c2c.emulator.insync import TRACKER_TTL as INSYNC_TRACKER_TTL
from c2c.emulator.insync import V1_PATH, V2_PATH, InSyncService

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugin"

# Timing knobs (documented in docs/reliability.md): in-run retries are near-instant, a Retry-After above
# 5 s ends the run, and the between-run backoff keeps its real 30 s base so nextAttempt lies in the future.
FAST_ENV = {
    "C2C_RETRY_TRIES": "4",
    "C2C_RETRY_BASE_SECONDS": "0.01",
    "C2C_RETRY_CAP_SECONDS": "0.05",
    "C2C_RETRY_MAX_WAIT_SECONDS": "5",
}
REQUEST_TIMEOUT = 0.2  # the config's requestTimeout extension in every scenario config
CLIENT_ID = "rel-client"
SECRET = "rel-secret-Zq8vX2mK"


@dataclass(frozen=True)
class CursorAttack:
    """Something that happens to the persisted cursor between two runs, and what the source's docs promise."""

    id: str
    apply: Callable[[Harness], None]
    # False: the source resumes where it was (no loss, no duplicate, no health record). True: the documented
    # recovery re-reads from the oldest event the vendor keeps: every event is delivered, the ones delivered
    # since the chain began exactly once more, announced by one Warning health record that counts them.
    redelivers: bool = False


@dataclass(frozen=True)
class Chaos:
    """The kill -9 test's backlog for this row (parsing formats cost time, so rows may use a smaller one)."""

    events: int = 20_000
    page_size: int = 200
    kills: int = 15
    seed: int = 7  # the emulator's data (a row may need one whose backlog holds a particular case)


@dataclass(frozen=True)
class Scenario:
    """How the attack tests drive one source type."""

    id: str
    source_type: str
    attach: Callable[..., Any]  # (emu, *, events, page_size, seed, client_id, secret) -> service
    config: Callable[[str, str, str], dict[str, Any]]  # (base_url, client_id, secret) -> source.config
    event_id: Callable[[dict[str, Any]], Hashable]  # the identity of an output record (its vendor id)
    # Every identity the vendor holds, once per event: a set where ids are unique, a list with repeats where
    # the vendor holds identical events (Harness.expected counts them).
    expected_ids: Callable[[Any], Iterable[Hashable]]
    add_events: Callable[[Any, int], None]
    data_path: str  # faults on this path prefix hit data calls
    token_path: str | None  # and on this one the token endpoint (None: no token endpoint)
    expire_tokens: Callable[[Any], None]  # every issued access token is expired from now on
    cursor_attacks: tuple[CursorAttack, ...]  # expired / invalid tracker, cookie or page token
    cursor_in: Callable[[Request], bool]  # does this data request carry the persisted cursor?
    set_secret: Callable[[Any, str], None]  # the vendor now accepts this secret (the operator fixed it)
    access_tokens: Callable[[Any], list[str]]  # every access token the vendor issued (never printed)
    secrets: Callable[[str], list[str]] = field(default=lambda secret: [secret])  # values that must never leak
    secret_key: str = "secretKey"  # the config key holding the secret
    # The fault kinds of test_faults.FAULTS this row runs (None: all; token faults need a token endpoint).
    fault_kinds: frozenset[str] | None = None
    chaos: Chaos = Chaos()
    # The config key of the page size when the client chooses it (Code42); otherwise the emulator serves
    # `page_size` events a page.
    page_size_key: str | None = None
    fixed_page_size: int | None = None  # the API's own page size, when nobody chooses it (Code42 sessions: 50)

    @property
    def has_token(self) -> bool:
        return self.token_path is not None


def _druva_cr_attach(emu: Emulator, *, events: int, page_size: int, seed: int, client_id: str, secret: str) -> Any:
    return RealizeService(emu, client_id, secret, seed=seed, events=events, page_size=page_size, token_ttl=1800)


def _druva_cr_set_secret(service: RealizeService, secret: str) -> None:
    service.issuer.secret = secret


# The fault kinds a row other than the reference row runs: one 429, one 5xx, a reset, a truncated and a
# non-JSON body, and a token endpoint failure. The rest of the matrix (other 5xx, timeouts) exercises the
# shared ApiClient the same way for every source; the reference row (Druva CR) runs all of it.
CORE_FAULTS = frozenset({"429", "503", "reset", "truncated", "non-json", "token-503"})


def _advance(seconds: float) -> Callable[[Harness], None]:
    return lambda h: h.emu.clock.advance(seconds)


def _fault_once(status: int, body: Any, count: int = 1, skip: int = 0) -> Callable[[Harness], None]:
    """The next `count` data calls after `skip` (the first carries the persisted cursor) are refused."""
    return lambda h: h.emu.inject(Fault(path=h.scenario.data_path, status=status, body=body, count=count,
                                        skip=skip))


# ---- Druva inSync: v1 (Basic + progress cookie, one row per format worth it) and v2 (OAuth + tracker) ----
INSYNC_USER = "rel.admin@example.com"


def _insync_attach(emu: Emulator, *, events: int, page_size: int, seed: int, client_id: str, secret: str) -> Any:
    return InSyncService(emu, client_id=client_id, secret=secret, username=INSYNC_USER, api_token=secret,
                         seed=seed, events=events, page_size=page_size, token_ttl=1800)


def _insync_v1_set_secret(service: InSyncService, secret: str) -> None:
    service.api_token = secret


def _insync_v1_config(fmt: str) -> Callable[[str, str, str], dict[str, Any]]:
    return lambda url, client_id, secret: {
        "name": f"Druva inSync v1 {fmt} (reliability)",
        "category": "reliability/druva-insync",
        "baseURL": url,
        "username": INSYNC_USER,
        "token": secret,
        "format": fmt,
        "requestTimeout": REQUEST_TIMEOUT,
    }


def _insync_v1(fmt: str, **overrides: Any) -> Scenario:
    return Scenario(
        id=f"druva_insync_v1_{fmt.lower()}",
        source_type="Druva inSync",
        attach=_insync_attach,
        config=_insync_v1_config(fmt),
        # v1 records carry no event id; the emulator's timestamps are unique (13 s apart, jitter < 13 s).
        event_id=lambda rec: rec["Timestamp"],
        expected_ids=lambda svc: {e["timestamp"] for e in svc.store},
        add_events=lambda svc, n: svc.add_events(n),
        data_path=V1_PATH,
        token_path=None,  # Basic auth on every call: nothing to expire, renew or cache
        expire_tokens=lambda svc: None,
        cursor_attacks=(
            # README "Druva inSync": 400 "Cookie expired" / "Cookie Invalid" -> call again without the cookie.
            CursorAttack("cookie-expired", lambda h: h.service.expire_cookies(), redelivers=True),
            CursorAttack("cookie-invalid", _fault_once(400, {"code": 400, "message": "Cookie Invalid"}),
                         redelivers=True),
        ),
        cursor_in=lambda req: "progress" in req.cookies(),
        set_secret=_insync_v1_set_secret,
        access_tokens=lambda svc: list(svc.issuer.tokens),
        secrets=lambda secret: [secret, base64.b64encode(f"{INSYNC_USER}:{secret}".encode()).decode()],
        secret_key="token",
        **overrides,
    )


# ---- Code42 Incydr: OAuth at /v1/oauth (15 min tokens), file events windowed on event.inserted ----
def _code42_attach(emu: Emulator, *, events: int, page_size: int, seed: int, client_id: str, secret: str) -> Any:
    # A frozen clock: the data set is exactly the backlog (no event "arrives" while a test runs), every event
    # is searchable at once, and the server's own rate limit is off (the 429 faults stand in for it).
    emu.clock.freeze()
    return IncydrService(emu, client_id=client_id, secret=secret, seed=seed, events=events, late_permille=0,
                         rate_limit=0)


def _code42_add_events(service: IncydrService, n: int) -> None:
    now = service.emulator.clock.now()
    for k in range(n):  # inserted just now, a tenth of a millisecond apart
        service.add_file_event(inserted=now - 0.5 + k * 1e-4)


def _code42_file_event_ids(service: IncydrService) -> set[Hashable]:
    return set(service.file_events_between(0, service.emulator.clock.now()))


def _code42_set_secret(service: IncydrService, secret: str) -> None:
    service.issuer.secret = secret


def _code42_page_token(req: Request) -> bool:
    body = req.json() if req.body else None
    return isinstance(body, dict) and bool(body.get("pgToken"))


def _code42_alerts_attach(emu: Emulator, *, events: int, page_size: int, seed: int, client_id: str,
                          secret: str) -> Any:
    """events/2 sessions (about 70% with alerts) over the last 12 h; the clock is frozen, so none changes.
    Every run re-reads all of them, so fewer keep a subprocess run within the client-side burst of 10."""
    emu.clock.freeze()
    return IncydrService(emu, client_id=client_id, secret=secret, seed=seed, events=10, sessions=events // 2,
                         late_permille=0, rate_limit=0)


def _code42_add_sessions(service: IncydrService, n: int) -> None:
    store = service.session_store
    now_ms = int(service.emulator.clock.now() * 1000)
    store.items += [store._new(now_ms - 3_600_000 + k, with_alert=True) for k in range(n)]


def _code42_alert_ids(service: IncydrService) -> set[Hashable]:
    return {(s["sessionId"], s["lastUpdated"]) for s in service.session_store.items if s["triggeredAlerts"]}


# Code42 audit events: no id, so a record's identity is its vendor event (canonical JSON, without our `_`
# keys), counted: the log holds genuinely identical events (same instant, same content), each delivered once.
AUDIT_SPACING_S = 0.02  # the backlog is dense (inside the 300 s overlap), so every run re-reads and dedupes it


def canonical(event: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in event.items() if not k.startswith("_")}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


def _code42_audit_attach(emu: Emulator, *, events: int, page_size: int, seed: int, client_id: str,
                         secret: str) -> Any:
    """events - 1 audit events: the log's identical pairs (event i = event i-1, i % 50 == 49) then straddle
    the boundaries of pages of 50 or 100, newest first, so the counted dedupe is tested across pages."""
    emu.clock.freeze()
    n = events - 1
    service = IncydrService(emu, client_id=client_id, secret=secret, seed=seed, events=10, audit_events=n,
                            span_s=n * AUDIT_SPACING_S, late_permille=0, rate_limit=0)
    stamps = [service.audit.timestamp(i) for i in range(n + 64)]
    # The emulator finds a dateRange by bisection over the sequence: it must stay in time order (a dense
    # log once was not: a timestamp truncated to the millisecond could sort before its predecessor).
    assert stamps == sorted(stamps), "the audit sequence is out of order: choose another spacing"
    return service


def _code42_audit_ids(service: IncydrService) -> list[Hashable]:
    audit, now_ns = service.audit, int(service.emulator.clock.now() * 1e9)
    return [canonical(audit.render(i)) for i in range(audit.first_at_or_after(now_ns - 86_400 * 10**9),
                                                      audit.first_at_or_after(now_ns + 1))]


def _code42_add_audit_events(service: IncydrService, n: int) -> None:
    """Move the frozen clock so that exactly n more audit events exist, and let real time (the source's own
    clock, which ends its dateRange) pass that instant."""
    audit, clock = service.audit, service.emulator.clock
    old = audit.first_at_or_after(int(clock.now() * 1e9) + 1)
    last, following = audit.timestamp(old + n - 1), audit.timestamp(old + n)
    assert following - last > 10_000, "events old+n-1 and old+n share an instant: choose another n or seed"
    target = (last + following) / 2 / 1e9
    clock.advance(target - clock.now())
    assert audit.first_at_or_after(int(clock.now() * 1e9) + 1) == old + n
    time.sleep(max(0.0, target + 0.002 - time.time()))


CODE42_INVALID_PAGE_TOKEN = {"fileEvents": None, "nextPgToken": None, "totalCount": 0, "problems": [
    {"type": "INVALID_PAGE_TOKEN", "description": "page token does not match an event of this query"}]}


SCENARIOS = [
    Scenario(
        id="druva_cyber_resilience",
        source_type="Druva Cyber Resilience",
        attach=_druva_cr_attach,
        config=lambda url, client_id, secret: {
            "name": "Druva CR (reliability)",
            "category": "reliability/druva-cr",
            "baseURL": url,
            "clientID": client_id,
            "secretKey": secret,
            "requestTimeout": REQUEST_TIMEOUT,
        },
        event_id=lambda rec: rec["id"],
        expected_ids=lambda svc: {e["id"] for e in svc.store},
        add_events=lambda svc, n: svc.add_events(n),
        data_path="/realize/",
        token_path="/token",
        expire_tokens=lambda svc: svc.issuer.expire_all(),
        # Past the 48 h tracker lifetime (the access token expires too): ignoreTrackerExpiry=true must carry on.
        cursor_attacks=(CursorAttack("tracker-expired", _advance(TRACKER_TTL + 3600)),),
        cursor_in=lambda req: bool(req.arg("trackerToken")),
        set_secret=_druva_cr_set_secret,
        access_tokens=lambda svc: list(svc.issuer.tokens),
        secrets=lambda secret: [secret, base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()],
    ),
    _insync_v1("CEF", fault_kinds=CORE_FAULTS, chaos=Chaos(events=4000, page_size=100, kills=8)),
    # JSON parses differently (a malformed body is retried, not parsed into _raw lines): the body attacks
    # and one burst/outage kind are what it adds over the CEF row.
    _insync_v1("JSON", fault_kinds=frozenset({"503", "truncated", "non-json"}),
               chaos=Chaos(events=2000, page_size=100, kills=8)),
    Scenario(
        id="druva_insync_v2",
        source_type="Druva inSync",
        attach=_insync_attach,
        config=lambda url, client_id, secret: {
            "name": "Druva inSync v2 (reliability)",
            "category": "reliability/druva-insync",
            "baseURL": url,
            "clientID": client_id,
            "secretKey": secret,
            "requestTimeout": REQUEST_TIMEOUT,
        },
        event_id=lambda rec: rec["eventID"],
        expected_ids=lambda svc: {e["eventID"] for e in svc.store},
        add_events=lambda svc, n: svc.add_events(n),
        data_path=V2_PATH,
        token_path="/token",
        expire_tokens=lambda svc: svc.issuer.expire_all(),
        cursor_attacks=(
            # 48 h later the tracker (and the token) are expired: 403, then ignoreTrackerExpiry=true resumes.
            CursorAttack("tracker-expired", _advance(INSYNC_TRACKER_TTL + 3600)),
            # README "Druva inSync": 400 "Invalid tracker", or a 403 that persists with ignoreTrackerExpiry=true,
            # restarts the chain without a tracker.
            CursorAttack("tracker-invalid", _fault_once(400, {"code": "InsyncEndpoints-1001",
                                                              "message": "Invalid tracker", "retryable": False}),
                         redelivers=True),
            CursorAttack("tracker-denied", _fault_once(403, {"Message": INSYNC_DENY}, count=2), redelivers=True),
        ),
        cursor_in=lambda req: bool(req.arg("tracker")),
        set_secret=_druva_cr_set_secret,
        access_tokens=lambda svc: list(svc.issuer.tokens),
        secrets=lambda secret: [secret, base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()],
        fault_kinds=CORE_FAULTS,
        chaos=Chaos(events=6000, page_size=200, kills=8),
    ),
    Scenario(
        id="code42_file_events",
        source_type="Code42Incydr",
        attach=_code42_attach,
        config=lambda url, client_id, secret: {
            "name": "Code42 file events (reliability)",
            "category": "reliability/code42",
            "baseURL": url,
            "clientID": client_id,
            "secretKey": secret,
            "dataCollection": ["fileEvents"],
            "requestsPerMinute": 110,
            "requestTimeout": REQUEST_TIMEOUT,
        },
        event_id=lambda rec: rec["event"]["id"],
        expected_ids=_code42_file_event_ids,
        add_events=_code42_add_events,
        data_path="/v2/file-events",
        token_path="/v1/oauth",
        expire_tokens=lambda svc: svc.issuer.expire_all(),
        cursor_attacks=(
            # The page token of the 2nd page of the next run is rejected: the window is re-queried from the
            # newest event.inserted reached, deduped by event.id (README "Code42 Incydr").
            CursorAttack("page-token-invalid", _fault_once(400, CODE42_INVALID_PAGE_TOKEN, skip=1)),
        ),
        cursor_in=_code42_page_token,
        set_secret=_code42_set_secret,
        access_tokens=lambda svc: list(svc.issuer.tokens),
        secrets=lambda secret: [secret, base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()],
        page_size_key="fileEventsPageSize",
        fault_kinds=CORE_FAULTS,
        chaos=Chaos(events=3000, page_size=200, kills=8),
    ),
    Scenario(
        id="code42_alerts",
        source_type="Code42Incydr",
        attach=_code42_alerts_attach,
        config=lambda url, client_id, secret: {
            "name": "Code42 alerts (reliability)",
            "category": "reliability/code42",
            "baseURL": url,
            "clientID": client_id,
            "secretKey": secret,
            "dataCollection": ["alerts"],
            "requestsPerMinute": 110,
            "requestTimeout": REQUEST_TIMEOUT,
        },
        # A record is a session as of its lastUpdated (README "Code42 Incydr"): never twice for the same pair.
        event_id=lambda rec: (rec["sessionId"], rec["lastUpdated"]),
        expected_ids=_code42_alert_ids,
        add_events=_code42_add_sessions,
        data_path="/v1/sessions",
        token_path="/v1/oauth",
        expire_tokens=lambda svc: svc.issuer.expire_all(),
        # No vendor cursor to expire: every run re-reads the look-back window from page 0, and the
        # checkpoint is what was emitted.
        cursor_attacks=(),
        cursor_in=lambda req: int(req.arg("page_number") or 0) > 0,
        set_secret=_code42_set_secret,
        access_tokens=lambda svc: list(svc.issuer.tokens),
        secrets=lambda secret: [secret, base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()],
        fixed_page_size=50,
        fault_kinds=frozenset({"429", "503", "truncated", "token-503"}),
        chaos=Chaos(events=800, page_size=50, kills=8),
    ),
    Scenario(
        id="code42_audit_events",
        source_type="Code42Incydr",
        attach=_code42_audit_attach,
        config=lambda url, client_id, secret: {
            "name": "Code42 audit events (reliability)",
            "category": "reliability/code42",
            "baseURL": url,
            "clientID": client_id,
            "secretKey": secret,
            "dataCollection": ["auditEvents"],
            "requestsPerMinute": 110,
            "requestTimeout": REQUEST_TIMEOUT,
        },
        event_id=canonical,
        expected_ids=_code42_audit_ids,
        add_events=_code42_add_audit_events,
        data_path="/v1/audit/search-audit-log",
        token_path="/v1/oauth",
        expire_tokens=lambda svc: svc.issuer.expire_all(),
        # Offset pages over a closed dateRange: no vendor cursor to expire (a stopped window resumes shrunk).
        cursor_attacks=(),
        cursor_in=lambda req: bool((req.json() or {}).get("page")),
        set_secret=_code42_set_secret,
        access_tokens=lambda svc: list(svc.issuer.tokens),
        secrets=lambda secret: [secret, base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()],
        page_size_key="auditEventsPageSize",
        fault_kinds=CORE_FAULTS,
        # Every run re-reads the backlog (it lies inside the overlap): 8 pages stay within the client-side
        # burst of 10 requests a subprocess run has. Seed 3 puts three identical pairs in it, each across a
        # page boundary (seed 7: none).
        chaos=Chaos(events=400, page_size=50, kills=8, seed=3),
    ),
]


def scenario_params(kinds: dict[str, Any] | None = None,
                    applies: Callable[[Scenario, str], bool] = lambda s, kind: True) -> list[Any]:
    """pytest params over SCENARIOS (x kinds when given), keeping the (row, kind) pairs that apply."""
    if kinds is None:
        return [pytest.param(s, id=s.id) for s in SCENARIOS]
    return [pytest.param(s, kind, id=f"{s.id}-{kind}") for s in SCENARIOS for kind in kinds if applies(s, kind)]


def wrap(source_type: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"api.version": "v1", "source": {"config": config, "schemaRef": {"type": source_type},
                                            "sourceType": "Universal"}}


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("_dataType") != "health"]

    @property
    def health(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("_dataType") == "health"]


@dataclass(frozen=True)
class Delivery:
    """A delivery check: true or false, and on failure pytest shows what was missing or extra."""

    ok: bool
    missing: Counter[Hashable]
    extra: Counter[Hashable]

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        def some(c: Counter[Hashable]) -> str:
            return f"{c.total()} (e.g. {[str(k)[:160] for k in list(c)[:2]]})" if c else "0"
        return f"<delivery {'ok' if self.ok else 'FAILED'}: missing {some(self.missing)}, extra {some(self.extra)}>"


class Harness:
    """One emulated vendor on 127.0.0.1, one config file, one state directory."""

    def __init__(self, scenario: Scenario, tmp: Path, *, events: int = 1000, page_size: int = 100, seed: int = 7,
                 secret: str = SECRET) -> None:
        self.scenario = scenario
        self.tmp = tmp
        self.page_size = scenario.fixed_page_size or page_size
        self.emu = Emulator()
        self.service = scenario.attach(self.emu, events=events, page_size=page_size, seed=seed,
                                       client_id=CLIENT_ID, secret=secret)
        self.emu.start()
        self.secret = secret
        self.config_path = tmp / "source.json"
        self.state_dir = tmp / "state"
        self.write_config()

    # ---- setup ---------------------------------------------------------------------------------
    def write_config(self, **overrides: Any) -> None:
        config = self.scenario.config(self.emu.base_url, CLIENT_ID, self.secret)
        if self.scenario.page_size_key:
            config[self.scenario.page_size_key] = self.page_size
        config.update(overrides)
        self.config_path.write_text(json.dumps(wrap(self.scenario.source_type, config)), encoding="utf-8")

    @property
    def name(self) -> str:
        return str(json.loads(self.config_path.read_text())["source"]["config"]["name"])

    def fault(self, where: str = "data", **kwargs: Any) -> Fault:
        path = self.scenario.data_path if where == "data" else self.scenario.token_path
        assert path is not None, f"{self.scenario.id} has no {where} endpoint"
        return self.emu.inject(Fault(path=path, **kwargs))

    def wrap_routes(self, where: str, wrapper: Callable[[Callable[[Request], Response]], Callable[[Request], Response]]
                    ) -> None:
        """Wrap the emulator handlers of the data (or token) endpoints."""
        prefix = self.scenario.data_path if where == "data" else self.scenario.token_path
        assert prefix is not None
        for key, handler in list(self.emu.routes.items()):
            if key[1].startswith(prefix):
                self.emu.routes[key] = wrapper(handler)
        for i, (method, path, handler) in enumerate(self.emu.prefix_routes):
            if path.startswith(prefix):
                self.emu.prefix_routes[i] = (method, path, wrapper(handler))

    def expire_tokens_after(self, data_requests: int) -> None:
        """Expire every access token once `data_requests` data calls have been answered (mid-run)."""
        counter = {"n": 0}

        def wrap_handler(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
            def wrapped(req: Request) -> Response:
                response = handler(req)
                counter["n"] += 1
                if counter["n"] == data_requests:
                    self.scenario.expire_tokens(self.service)
                return response
            return wrapped

        self.wrap_routes("data", wrap_handler)

    # ---- observing ---------------------------------------------------------------------------------
    def data_requests(self) -> int:
        return sum(1 for r in self.emu.requests if r.path.startswith(self.scenario.data_path))

    def token_requests(self) -> int:
        path = self.scenario.token_path
        return 0 if path is None else sum(1 for r in self.emu.requests if r.path.startswith(path))

    def state_file(self) -> Path:
        files = [p for p in self.state_dir.glob("*.json") if not p.name.startswith(".")]
        assert len(files) == 1, files
        return files[0]

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_file().read_text())

    def pass_backoff(self) -> None:
        """Let the persisted backoff elapse (as if the operator's scheduler ran again later)."""
        path = self.state_file()
        data = json.loads(path.read_text())
        assert data.get("nextAttempt"), "no nextAttempt persisted"
        data["nextAttempt"] = time.time() - 1
        for entry in data.get("dataTypes", {}).values():  # each data type backs off on its own
            if entry.get("nextAttempt"):
                entry["nextAttempt"] = time.time() - 1
        path.write_text(json.dumps(data))

    def ids(self, records: list[dict[str, Any]]) -> list[Hashable]:
        return [self.scenario.event_id(r) for r in records if r.get("_dataType") != "health"]

    # The delivery guarantees over multisets of identities (a set row counts each id once):
    # exactly once = Counter equality, at least once = containment, duplicates = what exceeds the vendor's.
    def expected(self) -> Counter[Hashable]:
        return Counter(self.scenario.expected_ids(self.service))

    def exactly_once(self, ids: Iterable[Hashable]) -> Delivery:
        delivered, expected = Counter(ids), self.expected()
        return Delivery(delivered == expected, expected - delivered, delivered - expected)

    def at_least_once(self, ids: Iterable[Hashable]) -> Delivery:
        delivered, expected = Counter(ids), self.expected()
        unknown = Counter({k: n for k, n in delivered.items() if k not in expected})
        return Delivery(not expected - delivered and not unknown, expected - delivered, unknown)

    def surplus(self, ids: Iterable[Hashable] | Counter[Hashable]) -> int:
        """How many deliveries exceed what the vendor holds (the duplicates)."""
        return (Counter(ids) - self.expected()).total()

    def twins(self) -> int:
        """Events identical to another one the vendor holds. Once one copy has been over-delivered, the first
        delivery of its twin cannot be told from a repeat: a per-restart count of repeats may include them
        (a total over all runs, `surplus`, is exact)."""
        expected = self.expected()
        return expected.total() - len(expected)

    # ---- running c2c ---------------------------------------------------------------------------------
    def run(self, *extra: str, command: str = "run", log_level: str = "INFO", log_format: str = "text") -> Result:
        """`c2c run CONFIG --state-dir D` in-process (the same code path as the console script)."""
        argv = ["--log-level", log_level, "--log-format", log_format, command, str(self.config_path),
                "--state-dir", str(self.state_dir), *extra]
        return run_main(argv)

    def spawn(self, *extra: str, stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE,
              log_level: str = "WARNING", env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`python -m c2c run` as a real process (for signals, kills and pipes)."""
        argv = [sys.executable, "-m", "c2c", "--log-level", log_level, "run", str(self.config_path),
                "--state-dir", str(self.state_dir), *extra]
        return subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=subprocess_env(env))

    def close(self) -> None:
        self.emu.stop()


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **FAST_ENV, "PYTHONPATH": str(PLUGIN)}
    env.pop("C2C_STATE_DIR", None)
    env.update(extra or {})
    return env


def run_main(argv: list[str]) -> Result:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    saved = sys.stdout, sys.stderr, cli._handle_signals
    sys.stdout, sys.stderr = out, err
    cli._handle_signals = lambda stop: None  # keep pytest's own SIGINT handling
    try:
        code = cli.main(argv)
    finally:
        sys.stdout, sys.stderr, cli._handle_signals = saved
    out.flush()
    return Result(code, out.buffer.getvalue(), err.getvalue())


# ---- body attacks: the emulator's body faults on the data path (HTTP framing intact) ----
BODY_ATTACKS: dict[str, dict[str, Any]] = {
    "cut-body": {"cut": 0.5},  # the real answer with its body cut in the middle, Content-Length matching
    "html-200": {"html": True},  # a proxy's or maintenance window's HTML page, 200
    "poison-item": {"poison_item": True},  # the middle item of a good page made undecodable
}


def attack_bodies(h: Harness, kind: str, *, skip: int = 1, count: int = 1) -> Fault:
    """Spoil `count` data answers (-1: until cleared) after the first `skip` good ones."""
    return h.fault("data", skip=skip, count=count, **BODY_ATTACKS[kind])
