"""`c2c status`: what each source and data type is doing, read from the state store (it calls no vendor).

A source is shown as one of: `Collecting` (a c2c process holds its lock right now), `Error`, `Stopped` (a
signal ended its last run), `Idle` (its last run ended well; it waits for the next), `Pending` (it never ran).
Each data type shows its own state, how long ago its cursor last moved, its last error, and a `stale` flag
when its cursor has not moved for STALE_POLLS poll intervals (no new events, or stuck: the last error says).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from c2c import timefmt
from c2c.state import StateStore

STALE_POLLS = 3
DEFAULT_POLL_SECONDS = 300.0


def _when(epoch: Any) -> str | None:
    return timefmt.from_epoch(float(epoch)) if isinstance(epoch, int | float) and epoch else None


def _age(epoch: Any, now: float) -> int | None:
    return round(now - float(epoch)) if isinstance(epoch, int | float) and epoch else None


def _error(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    err = entry.get("error") or {}
    return {"class": err.get("class"), "message": err.get("message"), "at": _when(err.get("at"))} if err else None


def shown_state(data: Mapping[str, Any], locked: bool) -> str:
    if locked:
        return "Collecting"
    stored = str(data.get("state", "Pending"))
    if stored == "Error":
        return "Error"
    if stored == "Stopping":
        return "Stopped"
    return "Idle" if data.get("lastSuccess") or data.get("cursors") else "Pending"


def _data_type_state(d: Mapping[str, Any], source: Mapping[str, Any], locked: bool) -> str:
    """A data type in error shows Error; the others show what their source is doing (it is not their error)."""
    if d.get("state") == "Error" and not locked:
        return "Error"
    stored = source.get("state")
    return shown_state({"state": "Idle" if stored == "Error" else stored, "lastSuccess": d.get("lastPage")}, locked)


def rows(store: StateStore, polls: Mapping[str, float] | None = None, now: float | None = None
         ) -> list[dict[str, Any]]:
    """One row per source with state (only the sources named in `polls`, with their poll interval, if given)."""
    now = time.time() if now is None else now
    out = []
    for _path, data in store.all():
        name = str(data.get("name", "?"))
        if polls is not None and name not in polls:
            continue
        poll = (polls or {}).get(name, DEFAULT_POLL_SECONDS)
        locked = store.is_locked(name)
        data_types = []
        for dt_name, d in sorted((data.get("dataTypes") or {}).items()):
            cursor_age = _age(d.get("cursorAt"), now)
            data_types.append({
                "name": dt_name,
                "state": _data_type_state(d, data, locked),
                "cursorAgeSeconds": cursor_age,
                "eventsEmitted": d.get("eventsEmitted", 0),
                "lastError": _error(d) if d.get("state") == "Error" else None,
                "nextAttempt": _when(d.get("nextAttempt")),
                "stale": cursor_age is not None and cursor_age > STALE_POLLS * poll,
            })
        out.append({
            "name": name,
            "state": shown_state(data, locked),
            "lastSuccess": _when(data.get("lastSuccess")),
            "checkpointAgeSeconds": _age(data.get("lastSuccess"), now),
            "eventsEmitted": data.get("eventsEmitted", 0),
            "lastError": _error(data),
            "nextAttempt": _when(data.get("nextAttempt")),
            "dataTypes": data_types,
        })
    return out


def text(row: Mapping[str, Any]) -> str:
    """A source's row, then one indented line per data type."""
    err = row["lastError"]
    last = row["lastSuccess"] or "never"
    lines = [f"{row['name']}: {row['state']}; events {row['eventsEmitted']}; last success {last}"
             + (f"; checkpoint age {row['checkpointAgeSeconds']}s" if row["checkpointAgeSeconds"] is not None else "")
             + (f"; last error {err['class']}: {err['message']}" if err else "")
             + (f"; next attempt {row['nextAttempt']}" if row["nextAttempt"] else "")]
    for dt in row["dataTypes"]:
        age = dt["cursorAgeSeconds"]
        e = dt["lastError"]
        lines.append(f"  {dt['name']}: {dt['state']}; events {dt['eventsEmitted']}"
                     + (f"; cursor moved {age}s ago" if age is not None else "; cursor never moved")
                     + (f" (STALE: not moved for {STALE_POLLS}+ poll intervals: no new events, or stuck)"
                        if dt["stale"] else "")
                     + (f"; last error {e['class']}: {e['message']}" if e else "")
                     + (f"; next attempt {dt['nextAttempt']}" if dt["nextAttempt"] else ""))
    return "\n".join(lines)
