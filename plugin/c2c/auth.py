"""Authenticators, set once on the session so every request (retries included) is signed in one place."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from c2c import logs
from c2c.errors import ThirdPartyGenericError
from c2c.http import classify, transport_error
from c2c.state import SourceRecord, TokenCache

log = logging.getLogger(__name__)

__all__ = ["HTTPBasicAuth", "OAuthClientCredentials"]


@dataclass(slots=True)
class Token:
    access_token: str
    expires_at: float


class OAuthClientCredentials(AuthBase):
    """OAuth2 client credentials, with the token cached in the source's state until shortly before expiry.

    Vendors differ only in how the request looks, so that is a parameter: Druva posts a form body
    (`grant_type=client_credentials&scope=read`) with HTTP Basic; Incydr posts to /v1/oauth with Basic only.
    """

    def __init__(
        self,
        session_factory: Any,
        token_url: str,
        client_id: str,
        secret: str,
        *,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        cache: TokenCache | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.token_url = token_url
        self._client_id = client_id
        self._secret = secret
        self.form = dict(form) if form else None
        self.params = dict(params) if params else None
        self.timeout = timeout
        # The cache entry is keyed by who asked where, so a changed clientID or base URL never reuses it.
        self._key = hashlib.sha256(f"{token_url}\0{client_id}\0{secret}".encode()).hexdigest()[:16]
        logs.redactor.add([secret])
        self._cache = cache if cache is not None else TokenCache(SourceRecord())

    def __repr__(self) -> str:  # never show the secret
        return f"OAuthClientCredentials({self.token_url!r}, client_id={self._client_id!r})"

    @property
    def token(self) -> Token | None:
        entry = self._cache.get()
        if entry is not None and entry.get("key") == self._key:
            return Token(str(entry["access_token"]), float(entry["expires_at"]))
        return None

    def valid_token(self) -> str:
        token = self.token
        if token is None or token.expires_at <= time.time():
            token = self._fetch()
        logs.redactor.add([token.access_token])  # also a cached one: never print it
        return token.access_token

    def invalidate(self) -> None:
        self._cache.forget()

    def _fetch(self) -> Token:
        started = time.time()
        session: requests.Session = self._session_factory()
        try:
            response = session.post(
                self.token_url,
                auth=HTTPBasicAuth(self._client_id, self._secret),
                data=self.form,
                params=self.params,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise transport_error(exc, f"token request POST {self.token_url}", self.timeout) from exc
        classify(response, token_call=True)  # the same classification as every data call
        try:
            body = response.json()
            access_token = str(body["access_token"])
            expires_in = float(body.get("expires_in", 900))
            if response.status_code != 200:
                raise TypeError(f"HTTP {response.status_code}")
        except (ValueError, KeyError, TypeError) as exc:
            raise ThirdPartyGenericError("token response is not the expected JSON") from exc
        # Renew ahead of expiry: 60 s, or a tenth of the lifetime for short-lived tokens.
        margin = min(60.0, expires_in / 10)
        token = Token(access_token, started + expires_in - margin)
        self._cache.put({"key": self._key, "access_token": access_token, "expires_at": token.expires_at})
        log.debug("new access token from %s, valid %.0fs", self.token_url, expires_in)
        return token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.valid_token()}"
        return r
