"""Druva inSync emulation: the legacy Events API v1 and the v2 tracker API, over one event store.

One module a job: `events` generates the events, `render` writes them as Druva does (v2 JSON, v1 JSON,
CEF, Syslog), `service` serves both APIs.

v1 `GET /api/events/v1`: HTTP Basic (admin e-mail, API token); 403 when not licensed; `format` = CEF |
Syslog | JSON (absent = JSON, Druva's default). The body shape is undocumented; we serve CEF and Syslog as
`text/plain` with one event per line (or, with `v1_lines="json"`, as a JSON list of the lines), JSON as a
list of objects with Druva's attribute names. Every 200
sets `progress=<opaque>`; the cookie sent back returns only newer events. An undecodable cookie gives
400 "Cookie Invalid", an expired one (cookie_ttl, or `expire_cookies()`) 400 "Cookie expired".

v2 `GET /insync/eventmanagement/v2/events`: OAuth bearer from the shared Druva /token; <= 500 events a
page in `{tracker, nextPageExists, events}`; no tracker = the same first page; the tracker (base64 with
`+`, `/` and `=` in it, so a client that does not URL-encode it breaks) is unchanged when nothing is new,
expires 48 h after issue (403 explicit deny, unless ignoreTrackerExpiry=true), and garbage gives 400
"Invalid tracker".

CEF and Syslog lines are rendered the way Druva's published samples are (`examples/insync-*.txt`):
ArcSight prefix with no zone, empty Signature ID, label pairs; RFC 5424 with APP-NAME "Druva inSync" and
no STRUCTURED-DATA (a no-break space and a space, as in the sample). Values carry `\\`, `=` and the
typographic apostrophe on purpose.
"""

from __future__ import annotations

from c2c.emulator.insync.events import DEMO_USERNAME, make_insync_event
from c2c.emulator.insync.render import render_cef, render_syslog, render_v1_json, render_v2
from c2c.emulator.insync.service import (
    EXPLICIT_DENY,
    TRACKER_TTL,
    V1_PATH,
    V2_PATH,
    InSyncService,
    insync_service,
)

__all__ = ["DEMO_USERNAME", "EXPLICIT_DENY", "TRACKER_TTL", "V1_PATH", "V2_PATH", "InSyncService", "insync_service",
           "make_insync_event", "render_cef", "render_syslog", "render_v1_json", "render_v2"]
