"""OAuth2 client-credentials tokens for the emulated vendors: issue, expire, check a bearer."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from c2c.emulator.clock import Clock
from c2c.emulator.messages import Request, Response


@dataclass
class TokenIssuer:
    client_id: str
    secret: str
    ttl: float
    clock: Clock
    # How the vendor answers bad credentials, and an expired or unknown bearer.
    bad_credentials: Callable[[], Response]
    expired_status: int = 401
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (virtual time)
    mint: Callable[[], str] = lambda: secrets.token_urlsafe(24)  # the access token's form (Code42: a JWT)
    issued: int = 0

    def basic_credentials(self, req: Request) -> tuple[str, str] | None:
        header = req.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password

    def issue(self, req: Request) -> Response:
        creds = self.basic_credentials(req)
        if creds is None:
            form = req.form()
            creds = (form.get("client_id", ""), form.get("client_secret", ""))
        if creds != (self.client_id, self.secret):
            return self.bad_credentials()
        token = self.mint()
        self.tokens[token] = self.clock.now() + self.ttl
        self.issued += 1
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": int(self.ttl)})

    def check(self, req: Request) -> Response | None:
        """None when the bearer is valid, else the vendor's answer."""
        header = req.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        expiry = self.tokens.get(token)
        if expiry is None:
            return Response(401, {"message": "Unauthorized"})
        if expiry <= self.clock.now():
            return Response(self.expired_status, {"message": "Token expired"})
        return None

    def expire_all(self) -> None:
        for token in self.tokens:
            self.tokens[token] = 0.0
