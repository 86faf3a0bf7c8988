"""A request as the emulator received it and the response a handler gives back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def cookies(self) -> dict[str, str]:
        out = {}
        for part in self.headers.get("cookie", "").split(";"):
            k, sep, v = part.strip().partition("=")
            if sep:
                out[k] = v
        return out


@dataclass
class Response:
    status: int = 200
    body: Any = None  # bytes, str, or anything JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)
    # The body already gzipped, for services that pre-render pages (benchmarks): served when gzip is on.
    gzipped: bytes | None = None

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        if self.body is None:
            return b""
        self.headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")
