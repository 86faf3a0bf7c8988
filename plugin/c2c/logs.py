"""Logging to stderr only, as text or JSON lines, with every configured secret redacted."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
import types
from collections.abc import Iterable

from c2c import progress, timefmt

REDACTED = "***"
# Credentials in the forms they travel in, whoever's they are: an error body or proxy page that echoes our
# request must not carry them into a log line or a health record.
_CREDENTIAL_FORMS = re.compile(
    r"(?i)(\b(?:basic|bearer)\s+|\b(?:access_token|refresh_token|client_secret|secretkey|password)\W{1,3})"
    r"(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{4,}"  # a credential has a digit or symbol; "Basic auth" not
)


class Redactor(logging.Filter):
    """Replaces known secret values (and credential-shaped strings) in every log message, exception text and
    health record (defence in depth: we never log them on purpose)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        self.secrets.update(v for v in values if v and len(v) >= 4)

    def scrub(self, text: str) -> str:
        for s in sorted(self.secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, REDACTED)
        return _CREDENTIAL_FORMS.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so Vector (which decodes stderr with the stdout codec) reads it cleanly."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": timefmt.from_epoch(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


redactor = Redactor()


_format = "text"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def say(message: str, level: str = "info") -> None:
    """A message to the operator on stderr, in the chosen log format (one JSON object per line in json mode)."""
    message = redactor.scrub(message)
    if _format == "json":
        line = json.dumps({"time": timefmt.now(), "level": level, "logger": "c2c", "message": message},
                          ensure_ascii=False)
    else:
        line = f"c2c: {message}"
    progress.clear()  # a progress line on a terminal makes way for the message
    with contextlib.suppress(OSError, ValueError):  # stderr closed: nowhere left to report to
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def setup(level: str = "INFO", fmt: str = "text") -> None:
    global _format
    _format = "json" if fmt == "json" else "text"
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    if _format == "json":
        handler.setFormatter(JsonFormatter())
        _route_python_messages()
    else:
        handler.setFormatter(logging.Formatter("c2c %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level.upper() in LEVELS else "INFO")
    # urllib3 logs full URLs with query strings at DEBUG; keep it at WARNING.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def _route_python_messages() -> None:
    """In json mode, what Python itself would print on stderr (warnings, uncaught exceptions, errors during
    cleanup) goes through logging too, so that Vector never decodes a plain-text line from c2c."""
    logging.captureWarnings(True)
    crash = logging.getLogger("c2c.crash")

    def excepthook(kind: type[BaseException], exc: BaseException, tb: types.TracebackType | None) -> None:
        crash.error("uncaught %s: %s", kind.__name__, exc, exc_info=(kind, exc, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            crash.error("uncaught %s in thread %s: %s", args.exc_type.__name__,
                        args.thread.name if args.thread else "?", args.exc_value)

    def unraisable_hook(args: sys.UnraisableHookArgs) -> None:
        crash.warning("%s: %r", args.err_msg or "exception ignored", args.exc_value)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook
