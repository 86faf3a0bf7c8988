"""One collection cycle per source: lock, load state, authenticate, then per page emit -> flush -> checkpoint.

The runner is the only owner of the checkpoint. It records the state as the cycle passes through
Pending -> Started -> Initialized -> Authenticated -> Collecting, Error (with one health record on entering
it and one on recovery), and Stopping when a signal ends the cycle after the page in flight.

Between runs (DESIGN §4): a ThirdPartyConfig error is not retried until the config hash changes or
`c2c restart`; a ThirdPartyGeneric error is retried after a persisted `nextAttempt` (capped exponential
backoff with jitter, at least the server's Retry-After); a FirstPartyGeneric error is retried by the next
run at once (it gets a new stdout), and never advanced the checkpoint.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from c2c import health, logs, timefmt
from c2c.config import SourceConfig
from c2c.errors import (
    CollectionError,
    FirstPartyGenericError,
    OutputClosed,
    SourceLocked,
    ThirdPartyConfigError,
    ThirdPartyGenericError,
)
from c2c.http import env_float
from c2c.output import Emitter, RecordMaker
from c2c.sources import SOURCES
from c2c.state import SourceState, StateStore

log = logging.getLogger(__name__)

# Backoff between runs for ThirdPartyGeneric errors: capped exponential with jitter. The environment
# knobs C2C_BACKOFF_BASE_SECONDS / C2C_BACKOFF_CAP_SECONDS override them (tests shrink them).
BACKOFF_BASE = 30.0
BACKOFF_CAP = 1800.0


@dataclass
class Outcome:
    name: str
    events: int = 0
    error: CollectionError | None = None
    skipped: str | None = None
    next_attempt: float | None = None  # epoch seconds, when backing off after a transient error


@dataclass
class RunOptions:
    max_seconds: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)


def backoff_seconds(failures: int, retry_after: float | None) -> float:
    """Seconds until the next attempt after `failures` failed runs in a row; never less than Retry-After."""
    base = env_float("C2C_BACKOFF_BASE_SECONDS", BACKOFF_BASE)
    cap = env_float("C2C_BACKOFF_CAP_SECONDS", BACKOFF_CAP)
    delay = min(cap, base * 2 ** min(max(0, failures - 1), 32)) * random.uniform(0.5, 1.0)
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
            if isinstance(outcome.error, OutputClosed):
                break  # nobody is reading: the other sources cannot deliver either
        return outcomes

    def mark_stopping(self, sources: Iterable[SourceConfig]) -> None:
        """On SIGTERM/SIGINT between cycles: record Stopping for every idle source (an Error stays)."""
        for cfg in sources:
            try:
                with self.store.open(cfg.name) as state:
                    if state.state != "Error":
                        self._advance(state, "Stopping")
                        state.save()
            except (SourceLocked, FirstPartyGenericError) as exc:
                log.debug("%s: state not marked Stopping: %s", cfg.name, exc)

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
                outcome.next_attempt = float(data["nextAttempt"])
                return
        if data.get("configHash") != cfg.hash:
            data["configHash"] = cfg.hash
        self._advance(state, "Pending")
        self._advance(state, "Started")
        source = SOURCES[cfg.type](cfg, data.setdefault("cache", {}))
        source.client.stop = self.options.stop
        try:
            self._advance(state, "Initialized")
            # Through the client's retry loop, so a token endpoint burst is retried like a data call.
            source.client.call(source.authenticate)
            self._advance(state, "Authenticated")
            self._advance(state, "Collecting")  # saved: the cached token is persisted before any data call
            self._collect_streams(cfg, source.streams(), state, outcome)
        except CollectionError as exc:
            outcome.error = exc
            self._enter_error(cfg, state, exc)
            if isinstance(exc, ThirdPartyGenericError):
                outcome.next_attempt = data.get("nextAttempt")
        else:
            self._recovered(cfg, state)
            if self.options.stop.is_set():
                self._advance(state, "Stopping")
                state.save()
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
            maker = RecordMaker(cfg.name, category, fields, stream.data_type,
                                output_format=cfg.config.get("outputFormat", "raw"))
            try:
                for page in stream.pages(state.cursor(stream.data_type)):
                    times = stream.event_time
                    n = self.emitter.write_lines(maker.line(e, times(e)) for e in page.events)
                    outcome.events += n
                    moved = n > 0 or page.cursor != state.cursor(stream.data_type)
                    state.set_cursor(stream.data_type, page.cursor)
                    data = state.data
                    data["eventsEmitted"] = int(data.get("eventsEmitted", 0)) + n
                    data["lastSuccess"] = time.time()
                    if moved:  # an empty page at the same cursor: the cycle's last save records it
                        state.save()
                    if page.warning:
                        self._emit_health(cfg, "Collecting", "ThirdPartyGenericWarning", False, page.warning,
                                          severity="Warning", details=page.details)
                    for notice in maker.take_notices():  # an event over the line limit was truncated
                        log.warning("%s: %s", cfg.name, notice)
                        self._emit_health(cfg, "Collecting", "OversizedEventTruncated", False, notice,
                                          severity="Warning")
                    del page  # or its events stay alive while the next page is fetched and parsed
                    if self._should_stop(deadline):
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

    def _should_stop(self, deadline: float | None) -> bool:
        return self.options.stop.is_set() or (deadline is not None and time.monotonic() >= deadline)

    def _advance(self, state: SourceState, to: str) -> None:
        if state.state != to:
            log.debug("%s: %s -> %s", state.data.get("name"), state.state, to)
            state.set_state(to)
            # Persisted as it happens, so `c2c status` (or a crash) shows where the cycle stood. Not
            # fsynced: no cursor moves here, and the cycle's last save (checkpoint, Error or recovery) is.
            state.save(durable=False)
        else:
            state.set_state(to)  # a first-ever Pending: recorded in memory, saved with Started

    def _enter_error(self, cfg: SourceConfig, state: SourceState, exc: CollectionError) -> None:
        data = state.data
        previous = data.get("error") or {}
        failures = int(data.get("failures", 0)) + 1
        data["failures"] = failures
        data["error"] = {"class": exc.event_name, "message": logs.redactor.scrub(str(exc)), "at": time.time()}
        if isinstance(exc, ThirdPartyGenericError):
            data["nextAttempt"] = time.time() + backoff_seconds(failures, exc.retry_after)
        else:
            # Config errors wait for a change or `c2c restart`; first-party errors (stdout closed, state
            # not writable) are retried by the very next run, which has a new stdout.
            data.pop("nextAttempt", None)
        # The state was advanced to Collecting on the way here, so "already in this error" is read from the
        # error record the last run left: a retry that fails the same way adds no health record.
        was_error = previous.get("class") == exc.event_name
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
        message = logs.redactor.scrub(message)  # a vendor may echo a credential in an error body
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
