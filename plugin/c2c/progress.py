"""Progress of a long run, shown on stderr only when it is a terminal (never under a shipper).

The collection path reports through these two functions; they cost one check while no reporter is
installed, which is always the case under Fluent Bit or Vector. `cli` installs a reporter for a terminal
(`on_terminal`): `TerminalReporter` below.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TextIO


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


def clear() -> None:
    """Something else is about to be written on stderr: take the progress line away first (it comes back)."""
    clear_line = getattr(_reporter, "clear", None)  # a reporter that draws nothing has none
    if clear_line is not None:
        clear_line()


# --- the terminal reporter -----------------------------------------------------------------------------------

ENV = "C2C_PROGRESS"  # "off" (or 0/no/false) turns progress off even on a terminal; --no-progress does too
_CLEAR = "\r\x1b[K"  # back to the start of the line and erase it


@dataclass
class _Tally:
    events: int = 0
    pages: int = 0
    waited: dict[str, float] = field(default_factory=dict)  # reason -> seconds
    waiting: tuple[float, str] | None = None  # the wait going on now

    def text(self) -> str:
        out = f"{self.events} events, {self.pages} page{'s' if self.pages != 1 else ''}"
        if self.waited:
            out += ", waited " + ", ".join(f"{s:.1f}s on {reason}" for reason, s in self.waited.items())
        if self.waiting is not None:
            out += f"; waiting {self.waiting[0]:.1f}s ({self.waiting[1]})"
        return out


class TerminalReporter:
    """One line per source and data type on a terminal, redrawn in place: events, pages, time spent waiting on
    the rate budget, a Retry-After or a retry backoff. A finished data type's line stays as its total. Log lines
    in between are kept readable: `clear()` runs before each (a logging filter), the line is redrawn after."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tallies: dict[tuple[str, str | None], _Tally] = {}
        self.current: tuple[str, str | None] | None = None
        self.drawn = False  # the current line is on the screen (a log line may have cleared it)
        self.open = False  # the current line has been drawn and not yet ended with a newline

    def page(self, source: str, data_type: str, events: int) -> None:
        tally = self._switch(source, data_type)
        tally.events += events
        tally.pages += 1
        tally.waiting = None
        self._draw()

    def waiting(self, source: str, data_type: str | None, seconds: float, reason: str) -> None:
        if data_type is None and self.current is not None:
            # A wait of the whole source, or of a rate budget (named after its API client), blocks the line being
            # collected: it shows there.
            source, data_type = self.current
        tally = self._switch(source, data_type)
        tally.waited[reason] = tally.waited.get(reason, 0.0) + seconds
        tally.waiting = (seconds, reason)
        self._draw()

    def _switch(self, source: str, data_type: str | None) -> _Tally:
        key = (source, data_type)
        if key != self.current:
            self._finish()  # the finished line stays, as that data type's total
            self.current = key
        return self.tallies.setdefault(key, _Tally())

    def _draw(self) -> None:
        if self.current is None:
            return
        source, data_type = self.current
        label = f"{source} / {data_type}" if data_type else (source or "waiting")
        self._write(f"{_CLEAR}c2c: {label}: {self.tallies[self.current].text()}")
        self.drawn = self.open = True

    def _finish(self) -> None:
        """End the current line with a newline, drawing it again first if a log line had cleared it."""
        if self.open:
            if self.current is not None:
                self.tallies[self.current].waiting = None
            self._draw()
            self._write("\n")
            self.drawn = self.open = False

    def clear(self) -> None:
        """Erase the progress line (before a log line), so that the next draw puts it back below."""
        if self.drawn:
            self._write(_CLEAR)
            self.drawn = False

    def close(self) -> None:
        self._finish()

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed terminal ends the progress, not the run
            self.stream.write(text)
            self.stream.flush()


class _ClearBeforeLogs(logging.Filter):
    def __init__(self, reporter: TerminalReporter) -> None:
        super().__init__()
        self.reporter = reporter

    def filter(self, record: logging.LogRecord) -> bool:
        self.reporter.clear()
        return True


def wanted(stream: TextIO, env: Mapping[str, str], flag_off: bool = False, log_format: str = "text") -> bool:
    """Progress only on a terminal, in text logs, unless turned off: a shipper's stderr is never a terminal."""
    if flag_off or log_format != "text" or env.get(ENV, "").strip().lower() in ("off", "0", "no", "false"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def on_terminal(stream: TextIO, env: Mapping[str, str], flag_off: bool = False,
                log_format: str = "text") -> Iterator[TerminalReporter | None]:
    """Install a TerminalReporter for the duration when `wanted`; the line is finished at the end."""
    if not wanted(stream, env, flag_off, log_format):
        yield None
        return
    reporter = TerminalReporter(stream)
    guard = _ClearBeforeLogs(reporter)
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(guard)
    install(reporter)
    try:
        yield reporter
    finally:
        install(None)
        for handler in handlers:
            handler.removeFilter(guard)
        reporter.close()
