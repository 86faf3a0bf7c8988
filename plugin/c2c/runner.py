"""One collection cycle per source: lock, load state, authenticate, then the pipeline (c2c.pipeline) takes
the source's data types page by page, in turns: emit -> flush -> checkpoint.

The runner is the only writer of state (through the state store) and of health records. It records the
state as the cycle passes through Pending -> Started -> Initialized -> Authenticated -> Collecting, Error
(with one health record on entering it and one on recovery), and Stopping when a signal ends the cycle
after the page in flight. An error of one data type is that data type's (its own Error, backoff and health
records naming it); the source's fields sum its data types up.

Between runs (DESIGN §4): a ThirdPartyConfig error is not retried until the config hash changes or
`c2c restart`; a ThirdPartyGeneric error is retried after a persisted `nextAttempt` (capped exponential
backoff with jitter, at least the server's Retry-After); a FirstPartyGeneric error is retried by the next
run at once (it gets a new stdout), and never advanced the checkpoint.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from c2c import health, logs, timefmt
from c2c.config import SourceConfig
from c2c.errors import (
    CollectionError,
    FirstPartyGenericError,
    OutputClosed,
    SourceLocked,
    ThirdPartyGenericError,
)
from c2c.http import env_float
from c2c.output import Emitter, RecordMaker
from c2c.pipeline import Hooks, Lane, Pipeline
from c2c.sources import SOURCES
from c2c.sources.base import DataType, Source
from c2c.spool import spool_dir
from c2c.state import LastError, Phase, Retry, SourceState, StateStore

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
    delay: float = min(cap, base * 2 ** min(max(0, failures - 1), 32)) * random.uniform(0.5, 1.0)
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
                    if state.state is not Phase.ERROR:
                        self._advance(state, Phase.STOPPING)
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
            # Nothing is collected that could not be checkpointed, but the SIEM hears of it.
            self._emit_health(cfg, "Error", exc.event_name, False, str(exc))
        return outcome

    def _collect_locked(self, cfg: SourceConfig, state: SourceState, outcome: Outcome) -> None:
        rec = state.record
        now = time.time()
        err = rec.error
        if rec.state is Phase.ERROR and err is not None and err.data_type is None:  # the whole source failed
            if err.cls == "ThirdPartyConfigError" and rec.config_hash == cfg.hash:
                log.warning("%s: not retrying a config error until the config changes or `c2c restart`: %s",
                            cfg.name, err.message)
                outcome.skipped = "config-error"
                return
            if (rec.next_attempt or 0) > now and rec.config_hash == cfg.hash:
                log.info("%s: backing off until %s after %s", cfg.name, timefmt.from_epoch(rec.next_attempt or 0),
                         err.cls)
                outcome.skipped = "backoff"
                outcome.next_attempt = rec.next_attempt
                return
        source = SOURCES[cfg.type](cfg, state.token_cache())
        try:
            runnable = self._runnable(cfg, state, source.data_types(), outcome)
            if not runnable:
                return
            rec.config_hash = cfg.hash
            self._advance(state, Phase.PENDING)
            self._advance(state, Phase.STARTED)
            source.client.stop = self.options.stop
            self._advance(state, Phase.INITIALIZED)
            try:
                # Through the client's retry loop, so a token endpoint burst is retried like a data call.
                source.client.label = (cfg.name, None)
                source.client.call(source.authenticate)
            except CollectionError as exc:
                exc.source_wide = True
                raise
            self._advance(state, Phase.AUTHENTICATED)
            self._advance(state, Phase.COLLECTING)  # saved: the cached token is persisted before any data call
            lanes = self._collect_lanes(cfg, source, runnable, state, outcome)
        except CollectionError as exc:
            outcome.error = exc
            self._enter_error(cfg, state, exc)
            if isinstance(exc, ThirdPartyGenericError):
                outcome.next_attempt = rec.next_attempt
        else:
            self._recovered(cfg, state, lanes)
            if self.options.stop.is_set():
                self._advance(state, Phase.STOPPING)
                state.save()
        finally:
            source.close()

    def _runnable(self, cfg: SourceConfig, state: SourceState, data_types: list[DataType],
                  outcome: Outcome) -> list[DataType]:
        """The data types this run collects: not one stopped by a config error (until the config changes or
        `c2c restart`), nor one backing off after a transient error."""
        now = time.time()
        runnable, waits, config_stopped = [], [], False
        for dt in data_types:
            d = state.data_type(dt.name)
            if d.state is Phase.ERROR and d.error is not None and d.config_hash == cfg.hash:
                if d.error.cls == "ThirdPartyConfigError":
                    log.warning("%s/%s: not retrying a config error until the config changes or `c2c restart`: %s",
                                cfg.name, dt.name, d.error.message)
                    config_stopped = True
                    continue
                if (d.next_attempt or 0) > now:
                    log.info("%s/%s: backing off until %s after %s", cfg.name, dt.name,
                             timefmt.from_epoch(d.next_attempt or 0), d.error.cls)
                    waits.append(d.next_attempt or 0)
                    continue
            if d.cursor is None:  # no silent fresh start: say what will be read
                logs.say(f"{cfg.name}/{dt.name}: no saved state, starting fresh: reading {dt.first_read}", "warning")
            runnable.append(dt)
        if not runnable:
            outcome.skipped = "config-error" if config_stopped else "backoff"
            outcome.next_attempt = min(waits) if waits else None
        return runnable

    def _collect_lanes(self, cfg: SourceConfig, source: Source, data_types: list[DataType], state: SourceState,
                       outcome: Outcome) -> list[Lane]:
        fields = cfg.config.get("fields") or {}
        category = cfg.config.get("category")
        output_format = cfg.config.get("outputFormat", "raw")  # raw, ocsf or ecs: mapped in RecordMaker
        lanes = [Lane(dt, dt.walk(state.cursor(dt.name)),
                      RecordMaker(cfg.name, category, fields, dt.name, output_format=output_format))
                 for dt in data_types]
        deadline = self.deadline
        hooks = _RunnerHooks(self, cfg, state, outcome)
        pipeline = Pipeline(cfg.name, source.client, self.emitter, hooks,
                            should_stop=lambda: self._should_stop(deadline), stopping=self.options.stop.is_set,
                            spool_dir=spool_dir(self.store.dir))
        pipeline.run(lanes)
        if self._should_stop(deadline) and any(not lane.walk.done and lane.error is None for lane in lanes):
            log.info("%s: stopping after this page (%s)", cfg.name,
                     "signal" if self.options.stop.is_set() else "--max-seconds reached")
        failed = [lane.error for lane in lanes if lane.error is not None]
        if failed:
            outcome.error = failed[0]
            if isinstance(failed[0], ThirdPartyGenericError):
                outcome.next_attempt = state.record.next_attempt
        return lanes

    def _should_stop(self, deadline: float | None) -> bool:
        return self.options.stop.is_set() or (deadline is not None and time.monotonic() >= deadline)

    def _advance(self, state: SourceState, to: Phase) -> None:
        if state.state is not to:
            log.debug("%s: %s -> %s", state.record.name, state.state.value, to.value)
            state.set_state(to)
            # Persisted as it happens, so `c2c status` (or a crash) shows where the cycle stood. Not
            # fsynced: no cursor moves here, and the cycle's last save (checkpoint, Error or recovery) is.
            state.save(durable=False)
        else:
            state.set_state(to)  # a first-ever Pending: recorded in memory, saved with Started

    def _enter_error(self, cfg: SourceConfig, state: SourceState, exc: CollectionError) -> None:
        """The whole source failed (its token endpoint, stdout, the state directory)."""
        rec = state.record
        if rec.error is not None and rec.error.data_type is not None:  # a data type's summary, not the source's
            rec.error, rec.failures = None, 0
        was_error = _record_error(rec, exc)
        state.set_state(Phase.ERROR)
        log.error("%s: %s: %s", cfg.name, exc.event_name, exc)
        try:
            state.save()
        except FirstPartyGenericError as save_exc:
            log.error("%s: %s", cfg.name, save_exc)
            was_error = False  # not recorded: the next run cannot know it was said, so say it now
        if not was_error and not isinstance(exc, OutputClosed):  # a record cannot reach a closed stdout
            self._emit_health(cfg, "Error", exc.event_name, False, str(exc))

    def data_type_failed(self, cfg: SourceConfig, state: SourceState, name: str, exc: CollectionError) -> None:
        """One data type failed: it stops for this run (a config error until the config changes or `c2c
        restart`); the others go on. One health record names it, on entering the error."""
        d = state.data_type(name)
        d.config_hash = cfg.hash
        was_error = _record_error(d, exc)
        d.state = Phase.ERROR
        log.error("%s/%s: %s: %s", cfg.name, name, exc.event_name, exc)
        self._summarize(state)
        state.save()
        if not was_error:
            self._emit_health(cfg, "Error", exc.event_name, False, str(exc), data_type=name)

    def _summarize(self, state: SourceState) -> None:
        """The source's own fields sum up its data types: Error while one is in error, showing the latest."""
        rec = state.record
        if rec.error is not None and rec.error.data_type is None:
            return  # a source-wide error stays until the source recovers
        failing = {n: d for n, d in rec.data_types.items() if d.state is Phase.ERROR and d.error is not None}
        rec.failures = max((d.failures for d in failing.values()), default=0)
        rec.error = rec.next_attempt = None
        if not failing:
            if state.state is Phase.ERROR:
                state.set_state(Phase.COLLECTING)
            return
        errors = {n: d.error for n, d in failing.items() if d.error is not None}
        latest = max(errors, key=lambda n: errors[n].at)
        rec.error = dataclasses.replace(errors[latest], data_type=latest)
        waits = [d.next_attempt for d in failing.values() if d.next_attempt is not None]
        rec.next_attempt = min(waits) if waits else None
        state.set_state(Phase.ERROR)

    def _recovered(self, cfg: SourceConfig, state: SourceState, lanes: list[Lane]) -> None:
        rec = state.record
        previous = rec.error
        if previous is not None and previous.data_type is None:  # the source-wide error is over
            rec.error, rec.next_attempt, rec.failures = None, None, 0
            self._emit_health(cfg, "Collecting", previous.cls, True, f"recovered from: {previous.message}",
                              severity="Info")
        recovered = []
        for lane in lanes:
            if lane.error is not None:
                continue
            d = state.data_type(lane.data_type.name)
            before = d.error
            d.state, d.error, d.next_attempt, d.failures = Phase.COLLECTING, None, None, 0
            if before is not None:
                recovered.append((lane.data_type.name, before))
        self._summarize(state)
        if state.state is not Phase.ERROR:
            self._advance(state, Phase.COLLECTING)
        state.save()
        for name, before in recovered:
            self._emit_health(cfg, "Collecting", before.cls, True, f"recovered from: {before.message}",
                              severity="Info", data_type=name)

    def _emit_health(self, cfg: SourceConfig, state_name: str, event_name: str, healthy: bool, message: str,
                     severity: str | None = None, details: dict[str, Any] | None = None,
                     data_type: str | None = None) -> None:
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
        if data_type is not None:  # the data type it concerns (docs/reliability.md "Health records")
            rec["details"]["dataType"] = data_type
        if details:
            rec["details"].update(details)
        maker = RecordMaker(cfg.name, cfg.config.get("category"), cfg.config.get("fields") or {}, "health")
        try:
            self.emitter.write_block(maker.line(rec, rec["eventTime"]).encode("utf-8"))
        except FirstPartyGenericError as exc:
            log.error("%s: health record not delivered: %s", cfg.name, exc)


def _record_error(entry: Retry, exc: CollectionError) -> bool:
    """Record `exc` as the last error of a source or data type entry; True when it was already in it."""
    previous = entry.error
    entry.failures += 1
    entry.error = LastError(exc.event_name, logs.redactor.scrub(str(exc)), time.time())
    if isinstance(exc, ThirdPartyGenericError):
        entry.next_attempt = time.time() + backoff_seconds(entry.failures, exc.retry_after)
    else:
        # Config errors wait for a change or `c2c restart`; first-party errors (stdout closed, state not
        # writable) are retried by the very next run, which has a new stdout.
        entry.next_attempt = None
    # "Already in this error" is read from the error record the last run left: a retry that fails the same
    # way adds no health record.
    return previous is not None and previous.cls == exc.event_name


class _RunnerHooks(Hooks):
    """The pipeline's checkpoints and reports, written by the runner (the only writer of state)."""

    def __init__(self, runner: Runner, cfg: SourceConfig, state: SourceState, outcome: Outcome) -> None:
        self.runner, self.cfg, self.state, self.outcome = runner, cfg, state, outcome

    def checkpoint(self, lane: Lane, cursor: Any, events: int) -> None:
        state, name = self.state, lane.data_type.name
        moved = events > 0 or cursor != state.cursor(name)
        state.set_cursor(name, cursor)
        self.outcome.events += events
        now = time.time()
        rec, d = state.record, state.data_type(name)
        rec.events_emitted += events
        rec.last_success = d.last_page = now
        d.events_emitted += events
        if moved:  # an empty page at the same cursor: the cycle's last save records it
            d.cursor_at = now
            state.save()

    def warn(self, lane: Lane, message: str, details: dict[str, Any] | None = None,
             event_name: str = "ThirdPartyGenericWarning") -> None:
        log.warning("%s/%s: %s", self.cfg.name, lane.data_type.name, message)
        self.runner._emit_health(self.cfg, "Collecting", event_name, False, message, severity="Warning",
                                 details=details, data_type=lane.data_type.name)

    def failed(self, lane: Lane, exc: CollectionError) -> None:
        self.runner.data_type_failed(self.cfg, self.state, lane.data_type.name, exc)
