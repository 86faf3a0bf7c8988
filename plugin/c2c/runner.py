"""One collection cycle per source: lock, load state, authenticate, then per page emit -> flush -> checkpoint.

The runner is the only owner of the checkpoint. It records the state as the cycle passes through
Pending -> Started -> Initialized -> Authenticated -> Collecting, and Error with a health record.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from c2c import health, timefmt
from c2c.config import SourceConfig
from c2c.errors import (
    CollectionError,
    FirstPartyGenericError,
    SourceLocked,
    ThirdPartyConfigError,
)
from c2c.output import Emitter, RecordMaker
from c2c.sources import SOURCES
from c2c.state import SourceState, StateStore

log = logging.getLogger(__name__)

# Backoff between runs for ThirdPartyGeneric/FirstPartyGeneric errors: capped exponential with jitter.
BACKOFF_BASE = 30.0
BACKOFF_CAP = 1800.0


@dataclass
class Outcome:
    name: str
    events: int = 0
    error: CollectionError | None = None
    skipped: str | None = None


@dataclass
class RunOptions:
    max_seconds: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def deadline(self, started: float) -> float | None:
        return None if self.max_seconds is None else started + self.max_seconds


def backoff_seconds(failures: int, retry_after: float | None) -> float:
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, failures - 1)) * random.uniform(0.5, 1.0)
    return max(delay, retry_after or 0.0)


class Runner:
    def __init__(self, store: StateStore, emitter: Emitter, options: RunOptions | None = None) -> None:
        self.store = store
        self.emitter = emitter
        self.options = options or RunOptions()
        self.deadline: float | None = None  # monotonic; set per source by run_cycle

    def run_cycle(self, sources: Iterable[SourceConfig]) -> list[Outcome]:
        """Collect every source once; one source's failure never stops the others (except a closed stdout).

        --max-seconds bounds the whole cycle: source i of n may start a new page until i+1 n-ths of the
        budget have passed, so a backlogged first source cannot starve the others and the cycle ends
        within the budget (plus the page in flight) -- before a Vector scheduled run is SIGKILLed.
        """
        outcomes = []
        sources = list(sources)
        started = time.monotonic()
        for i, cfg in enumerate(sources):
            if self.options.stop.is_set():
                break
            budget = self.options.max_seconds
            self.deadline = None if budget is None else started + budget * (i + 1) / len(sources)
            outcome = self.collect(cfg)
            outcomes.append(outcome)
            if isinstance(outcome.error, FirstPartyGenericError) and "stdout" in str(outcome.error):
                break  # nobody is reading: the other sources cannot deliver either
        return outcomes

    def collect(self, cfg: SourceConfig) -> Outcome:
        outcome = Outcome(cfg.name)
        try:
            with self.store.open(cfg.name) as state:
                self._collect_locked(cfg, state, outcome)
        except SourceLocked as exc:
            log.warning("%s; skipping it this run", exc)
            outcome.skipped = "locked"
        except FirstPartyGenericError as exc:  # the state directory itself is unusable
            log.error("%s: %s", cfg.name, exc)
            outcome.error = exc
        return outcome

    def _collect_locked(self, cfg: SourceConfig, state: SourceState, outcome: Outcome) -> None:
        data = state.data
        now = time.time()
        if data.get("state") == "Error":
            err = data.get("error") or {}
            if err.get("class") == "ThirdPartyConfigError" and data.get("configHash") == cfg.hash:
                log.warning("%s: not retrying a config error until the config changes or `c2c restart`: %s",
                            cfg.name, err.get("message"))
                outcome.skipped = "config-error"
                return
            if data.get("nextAttempt", 0) > now and data.get("configHash") == cfg.hash:
                log.info("%s: backing off until %s after %s", cfg.name,
                         timefmt.from_epoch(data["nextAttempt"]), err.get("class"))
                outcome.skipped = "backoff"
                return
        if data.get("configHash") != cfg.hash:
            data["configHash"] = cfg.hash
        self._advance(state, "Pending")
        self._advance(state, "Started")
        source = SOURCES[cfg.type](cfg, data.setdefault("cache", {}))
        try:
            self._advance(state, "Initialized")
            source.authenticate()
            self._advance(state, "Authenticated")
            self._advance(state, "Collecting")  # saved: the cached token is persisted before any data call
            self._collect_streams(cfg, source.streams(), state, outcome)
        except CollectionError as exc:
            outcome.error = exc
            self._enter_error(cfg, state, exc)
        else:
            self._recovered(cfg, state)
        finally:
            source.close()

    def _collect_streams(self, cfg: SourceConfig, streams: list, state: SourceState, outcome: Outcome) -> None:
        deadline = self.deadline
        fields = cfg.config.get("fields") or {}
        category = cfg.config.get("category")
        first_error: CollectionError | None = None
        for stream in streams:
            if self.options.stop.is_set():
                break  # stopping: the other data types wait for the next run
            maker = RecordMaker(cfg.name, category, fields, stream.data_type)
            try:
                for page in stream.pages(state.cursor(stream.data_type)):
                    times = stream.event_time
                    n = self.emitter.write_lines([maker.line(e, times(e)) for e in page.events])
                    outcome.events += n
                    state.set_cursor(stream.data_type, page.cursor)
                    data = state.data
                    data["eventsEmitted"] = int(data.get("eventsEmitted", 0)) + n
                    data["lastSuccess"] = time.time()
                    state.save()
                    if page.warning:
                        self._emit_health(cfg, "Collecting", "ThirdPartyGenericWarning", False, page.warning,
                                          severity="Warning", details=page.details)
                    for notice in maker.take_notices():  # an event over the line limit was truncated
                        log.warning("%s: %s", cfg.name, notice)
                        self._emit_health(cfg, "Collecting", "OversizedEventTruncated", False, notice,
                                          severity="Warning")
                    if self.options.stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                        log.info("%s/%s: stopping after this page (%s)", cfg.name, stream.data_type,
                                 "signal" if self.options.stop.is_set() else "--max-seconds reached")
                        if self.options.stop.is_set():
                            self._advance(state, "Stopping")
                        break
            except (ThirdPartyConfigError, FirstPartyGenericError):
                raise
            except CollectionError as exc:
                # One data type failing must not starve the others; the error is reported after them all.
                log.warning("%s/%s: %s", cfg.name, stream.data_type, exc)
                first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def _advance(self, state: SourceState, to: str) -> None:
        if state.state != to:
            log.debug("%s: %s -> %s", state.data.get("name"), state.state, to)
            state.set_state(to)
            # Persisted as it happens, so `c2c status` (or a crash) shows where the cycle stood.
            state.save()
        else:
            state.set_state(to)  # a first-ever Pending: recorded in memory, saved with Started

    def _enter_error(self, cfg: SourceConfig, state: SourceState, exc: CollectionError) -> None:
        data = state.data
        previous = data.get("error") or {}
        failures = int(data.get("failures", 0)) + 1
        data["failures"] = failures
        data["error"] = {"class": exc.event_name, "message": str(exc), "at": time.time()}
        if isinstance(exc, ThirdPartyConfigError):
            data.pop("nextAttempt", None)
        else:
            data["nextAttempt"] = time.time() + backoff_seconds(failures, exc.retry_after)
        was_error = data.get("state") == "Error" and previous.get("class") == exc.event_name
        state.set_state("Error")
        log.error("%s: %s: %s", cfg.name, exc.event_name, exc)
        try:
            state.save()
        except FirstPartyGenericError as save_exc:
            log.error("%s: %s", cfg.name, save_exc)
        if not was_error:
            self._emit_health(cfg, "Error", exc.event_name, False, str(exc))

    def _recovered(self, cfg: SourceConfig, state: SourceState) -> None:
        data = state.data
        previous = data.pop("error", None)
        data.pop("nextAttempt", None)
        data["failures"] = 0
        state.save()
        if previous:
            self._emit_health(cfg, "Collecting", previous.get("class", "Error"), True,
                              f"recovered from: {previous.get('message', '')}", severity="Info")

    def _emit_health(self, cfg: SourceConfig, state_name: str, event_name: str, healthy: bool, message: str,
                     severity: str | None = None, details: dict | None = None) -> None:
        rec = health.record(
            source_name=cfg.name,
            event_name=event_name,
            healthy=healthy,
            state=state_name,
            error=message.split(":", 1)[0] if not healthy else "Recovered",
            description=message,
            severity=severity,
        )
        if details:
            rec["details"].update(details)
        maker = RecordMaker(cfg.name, cfg.config.get("category"), cfg.config.get("fields") or {}, "health")
        try:
            self.emitter.write_lines([maker.line(rec, rec["eventTime"])])
        except FirstPartyGenericError as exc:
            log.error("%s: health record not delivered: %s", cfg.name, exc)
