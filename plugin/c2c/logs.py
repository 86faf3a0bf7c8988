"""Logging to stderr only, as text or JSON lines, with every configured secret redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

from c2c import timefmt

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


def setup(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("c2c %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # urllib3 logs full URLs with query strings at DEBUG; keep it at WARNING.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
