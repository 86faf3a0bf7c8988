"""`c2c status`: what each source and data type is doing, read from the state store (it calls no vendor).

A source is shown as one of: `Collecting` (a c2c process holds its lock right now), `Error`, `Stopped` (a
signal ended its last run), `Idle` (its last run ended well; it waits for the next), `Pending` (it never ran).
Each data type shows its own state, how long ago its cursor last moved, its last error, and a `stale` flag
when its cursor has not moved for STALE_POLLS poll intervals (no new events, or stuck: the last error says).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from c2c import schemas, timefmt
from c2c.state import LastError, Phase, StateStore

STALE_POLLS = 3
# For a source whose config was not given (`c2c status` without FILE): the schema's pollInterval default.
DEFAULT_POLL_SECONDS = float(schemas.load("common")["$defs"]["pollInterval"]["default"])


def _when(epoch: float | None) -> str | None:
    return timefmt.from_epoch(epoch) if epoch else None


def _age(epoch: float | None, now: float) -> int | None:
    return round(now - epoch) if epoch else None


def _error(err: LastError | None) -> dict[str, Any] | None:
    return None if err is None else {"class": err.cls, "message": err.message, "at": _when(err.at)}


def shown_state(stored: Phase, ran: bool, locked: bool) -> str:
    if locked:
        return "Collecting"
    if stored is Phase.ERROR:
        return "Error"
    if stored is Phase.STOPPING:
        return "Stopped"
    return "Idle" if ran else "Pending"


def problem(store: StateStore) -> str | None:
    """Why runs cannot save state in this directory (read-only, not a directory), or None. A write is tried,
    since permission bits say nothing for root, nor on a read-only mount."""
    if not store.dir.exists():
        return None
    try:
        with tempfile.TemporaryFile(dir=store.dir, prefix=".tmp-status-"):
            pass
    except OSError as exc:
        return (f"the state directory {store.dir} cannot be written ({exc.strerror}): every run exits 6 and "
                "moves no cursor")
    return None


def _unwritable(store: StateStore, path: Path, why: str | None) -> LastError | None:
    if why is None and os.access(path, os.W_OK):
        return None
    return LastError("FirstPartyGenericError", why or f"the state file {path} cannot be written: every run "
                     "exits 6 and moves no cursor", time.time())


def rows(store: StateStore, polls: Mapping[str, float] | None = None, now: float | None = None
         ) -> list[dict[str, Any]]:
    """One row per source with state (only the sources named in `polls`, with their poll interval, if given)."""
    now = time.time() if now is None else now
    out = []
    why = problem(store)
    for path, rec in store.all():
        if polls is not None and rec.name not in polls:
            continue
        poll = (polls or {}).get(rec.name, DEFAULT_POLL_SECONDS)
        locked = store.is_locked(rec.name)
        data_types = []
        for name, d in sorted(rec.data_types.items()):
            cursor_age = _age(d.cursor_at, now)
            in_error = d.state is Phase.ERROR and not locked
            # A data type not in error shows what its source does (the source's error is not its own).
            stored = Phase.ERROR if in_error else (Phase.COLLECTING if rec.state is Phase.ERROR else rec.state)
            data_types.append({
                "name": name,
                "state": shown_state(stored, d.last_page is not None or d.cursor is not None, locked),
                "cursorAgeSeconds": cursor_age,
                "eventsEmitted": d.events_emitted,
                "lastError": _error(d.error) if in_error else None,
                "nextAttempt": _when(d.next_attempt),
                "stale": cursor_age is not None and cursor_age > STALE_POLLS * poll,
            })
        broken = _unwritable(store, path, why)
        out.append({
            "name": rec.name,
            "state": "Error" if broken else shown_state(rec.state, rec.last_success is not None or bool(data_types),
                                                        locked),
            "lastSuccess": _when(rec.last_success),
            "checkpointAgeSeconds": _age(rec.last_success, now),
            "eventsEmitted": rec.events_emitted,
            "lastError": _error(broken or rec.error),
            "nextAttempt": _when(rec.next_attempt),
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
