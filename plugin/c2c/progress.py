"""Progress of a long run, shown on stderr only when it is a terminal (never under a shipper).

The collection path reports through these two functions; they cost one check while no reporter is
installed, which is always the case under Fluent Bit or Vector. `cli` installs a reporter for a terminal.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def page(self, source: str, data_type: str, events: int) -> None: ...

    def waiting(self, source: str, data_type: str | None, seconds: float, reason: str) -> None: ...


_reporter: Reporter | None = None


def install(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter


def page(source: str, data_type: str, events: int) -> None:
    """A page of `events` events of `data_type` was written and flushed."""
    if _reporter is not None:
        _reporter.page(source, data_type, events)


def waiting(source: str, data_type: str | None, seconds: float, reason: str) -> None:
    """The run is about to sleep `seconds` (rate budget, Retry-After, backoff): `reason` says which."""
    if _reporter is not None:
        _reporter.waiting(source, data_type, seconds, reason)
