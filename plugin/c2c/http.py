"""HTTP for every source: one keep-alive session, explicit timeouts, bounded retries, and the single
place where a response or a transport failure is turned into one of the three error classes."""

from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from c2c import __version__
from c2c.errors import CollectionError, ThirdPartyConfigError, ThirdPartyGenericError, TokenRejected

log = logging.getLogger(__name__)

USER_AGENT = f"c2c/{__version__}"
BODY_EXCERPT = 300


class RateLimiter(Protocol):
    def acquire(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Within one run: a few quick retries of transient failures; the runner's backoff takes it from there."""

    tries: int = 4
    base: float = float(os.environ.get("C2C_RETRY_BASE_SECONDS", "1"))
    cap: float = 30.0
    # A Retry-After longer than this ends the run; the next attempt time is persisted instead.
    max_wait: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(self.cap, self.base * 2**attempt) * random.uniform(0.5, 1.0)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def excerpt(response: requests.Response) -> str:
    text = response.text[:BODY_EXCERPT] if response.content else ""
    return " ".join(text.split())


def describe(response: requests.Response) -> str:
    path = urlsplit(response.url).path or "/"
    body = excerpt(response)
    return f"HTTP {response.status_code} from {response.request.method if response.request else 'GET'} {path}" + (
        f": {body}" if body else ""
    )


def classify(response: requests.Response) -> None:
    """Raise the error class for a non-2xx response; return for success. The one classification point."""
    status = response.status_code
    if status < 300:
        return
    message = describe(response)
    if status in (401, 403):
        raise TokenRejected(message, status=status)
    if status == 429 or status >= 500 or status == 408:
        raise ThirdPartyGenericError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), status=status
        )
    raise ThirdPartyConfigError(message, status=status)


StatusHook = Callable[[requests.Response], None]


@dataclass
class ApiClient:
    """Sends requests for one source. `send` retries transient failures a bounded number of times."""

    base_url: str
    timeout: float = 60.0
    auth: requests.auth.AuthBase | None = None
    rate_limiter: RateLimiter | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    session: requests.Session = field(default_factory=requests.Session)
    sleep: Callable[[float], None] = time.sleep
    requests_sent: int = 0

    def __post_init__(self) -> None:
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        if self.auth is not None:
            self.session.auth = self.auth

    def url(self, path: str) -> str:
        return self.base_url + path

    def send_once(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        self.requests_sent += 1
        try:
            return self.session.request(method, self.url(path), timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise ThirdPartyGenericError(f"timed out after {self.timeout:g}s: {method} {path}") from exc
        except requests.ConnectionError as exc:
            raise ThirdPartyGenericError(f"connection failed: {method} {path} ({_reason(exc)})") from exc
        except requests.RequestException as exc:
            raise ThirdPartyGenericError(f"request failed: {method} {path} ({_reason(exc)})") from exc

    def send(
        self,
        method: str,
        path: str,
        *,
        on_status: StatusHook | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send, classify, retry ThirdPartyGeneric failures; 401/403 refresh the token once.

        `on_status` sees every response before classification, so a source can raise its own error
        for a vendor-specific status (an expired tracker, an expired cookie).
        """
        refreshed = False
        attempt = 0
        while True:
            try:
                response = self.send_once(method, path, **kwargs)
                if on_status is not None:
                    on_status(response)
                classify(response)
                return response
            except TokenRejected as exc:
                refresh = getattr(self.auth, "invalidate", None)
                if refreshed or refresh is None:
                    raise ThirdPartyConfigError(f"{exc} (denied with a fresh token)", status=exc.status) from exc
                log.info("token rejected (HTTP %s); requesting a new one", exc.status)
                refresh()
                refreshed = True
            except ThirdPartyGenericError as exc:
                attempt += 1
                wait = self.retry.delay(attempt - 1, exc.retry_after)
                if attempt >= self.retry.tries or wait > self.retry.max_wait:
                    raise
                log.warning("%s; retry %d/%d in %.1fs", exc, attempt, self.retry.tries - 1, wait)
                self.sleep(wait)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send and decode a JSON body; a malformed body is a transient vendor failure (retried)."""
        attempt = 0
        while True:
            response = self.send(method, path, **kwargs)
            try:
                return response.json()
            except ValueError as exc:
                attempt += 1
                err = ThirdPartyGenericError(f"malformed JSON body from {method} {path}: {excerpt(response)[:80]!r}")
                if attempt >= self.retry.tries:
                    raise err from exc
                log.warning("%s; retry %d/%d", err, attempt, self.retry.tries - 1)
                self.sleep(self.retry.delay(attempt - 1, None))

    def close(self) -> None:
        self.session.close()


def _reason(exc: Exception) -> str:
    # requests nests urllib3 errors; the innermost message is the useful one, and never holds headers.
    inner: BaseException = exc
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    return f"{inner.__class__.__name__}: {inner}"[:200]


def error_for_token_response(response: requests.Response) -> CollectionError:
    """Token endpoints: bad credentials / wrong base URL are config errors; the rest is transient."""
    status = response.status_code
    message = "token request rejected: " + describe(response)
    if status in (400, 401, 403, 404):
        return ThirdPartyConfigError(message, status=status)
    return ThirdPartyGenericError(
        message, retry_after=parse_retry_after(response.headers.get("Retry-After")), status=status
    )


def merge(*parts: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in parts:
        if p:
            out.update(p)
    return out
