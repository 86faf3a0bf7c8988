"""HTTP for every source: one keep-alive session, explicit timeouts, bounded retries, and the single
place where a response or a transport failure is turned into one of the three error classes."""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests

from c2c import __version__, memory, neterrors, progress
from c2c.errors import CollectionError, ThirdPartyConfigError, ThirdPartyGenericError, TokenRejected
from c2c.jsonstream import LazyObject

log = logging.getLogger(__name__)

# Response.content reads the body in chunks of this size (requests' default is 10 KiB): a 10,000-event
# page (~8 MB) took ~800 urllib3 reads, 17 ms of CPU, instead of 8 reads and 7 ms.
requests.models.CONTENT_CHUNK_SIZE = max(requests.models.CONTENT_CHUNK_SIZE, 1 << 20)

USER_AGENT = f"c2c/{__version__}"
BODY_EXCERPT = 300


class RateLimiter(Protocol):
    def acquire(self) -> None: ...


def env_float(name: str, default: float) -> float:
    """A timing knob from the environment (tests shrink waits with these); a bad value keeps the default.
    Non-finite values are bad too: `inf` tries cannot be counted, and an `inf` backoff would persist a
    nextAttempt that no later run (nor `c2c status`) can format."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if 0 <= value < math.inf else default


# Retry-After is honoured up to this long; a bigger value is treated as this (a day), never as "forever".
RETRY_AFTER_CAP = 86400.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Within one run: a few quick retries of transient failures; the runner's between-run backoff
    (persisted as nextAttempt) takes it from there. Read from the environment when the client is built."""

    tries: int = 4
    base: float = 1.0
    cap: float = 30.0
    # A Retry-After longer than this ends the run; the runner persists the next attempt time instead.
    max_wait: float = 60.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(
            tries=max(1, int(env_float("C2C_RETRY_TRIES", 4))),
            base=env_float("C2C_RETRY_BASE_SECONDS", 1.0),
            cap=env_float("C2C_RETRY_CAP_SECONDS", 30.0),
            max_wait=env_float("C2C_RETRY_MAX_WAIT_SECONDS", 60.0),
        )

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(self.cap, self.base * 2**attempt) * random.uniform(0.5, 1.0)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3); capped at RETRY_AFTER_CAP."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(RETRY_AFTER_CAP, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 850 / asctime forms carry no zone; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    delta = when.timestamp() - (time.time() if now is None else now)
    return min(RETRY_AFTER_CAP, max(0.0, delta))


def body_text(response: requests.Response) -> str:
    """The body as text, decoded as `Response.json()` does (the charset, else UTF-8/16/32 by sniffing)."""
    content = response.content or b""
    if len(content) >= memory.BIG:
        memory.pin_mmap_threshold()
    encoding = response.encoding or (requests.utils.guess_json_utf(content) if len(content) > 3 else None)
    return str(content, encoding or "utf-8", errors="replace")


def excerpt(response: requests.Response) -> str:
    text = response.text[:BODY_EXCERPT] if response.content else ""
    return " ".join(text.split())


def describe(response: requests.Response) -> str:
    path = urlsplit(response.url).path or "/"
    body = excerpt(response)
    return f"HTTP {response.status_code} from {response.request.method if response.request else 'GET'} {path}" + (
        f": {body}" if body else ""
    )


def is_transient(status: int) -> bool:
    """Statuses worth retrying: rate limits, timeouts, and the vendor's own failures."""
    return status in (408, 425, 429) or status >= 500


def classify(response: requests.Response) -> None:
    """Raise the error class for a non-2xx response; return for success. The one classification point
    for data calls (token calls go through `error_for_token_response`, which applies the same split)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = describe(response)
    if status in (401, 403):
        raise TokenRejected(message, status=status)
    if is_transient(status):
        raise ThirdPartyGenericError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), status=status
        )
    # Any other 4xx (and a 1xx/3xx that requests did not resolve) means our request is wrong for this
    # vendor: a bad base URL, a wrong path, a rejected parameter. Retrying cannot fix it; the config can.
    raise ThirdPartyConfigError(message, status=status)


StatusHook = Callable[[requests.Response], None]
T = TypeVar("T")


@dataclass
class ApiClient:
    """Sends requests for one source. Every call goes through `call`, the one retry loop: transient
    failures (ThirdPartyGeneric) are retried `retry.tries` times, a rejected token is renewed once."""

    base_url: str
    timeout: float = 60.0
    auth: requests.auth.AuthBase | None = None
    rate_limiter: RateLimiter | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy.from_env)
    session: requests.Session = field(default_factory=requests.Session)
    # None: real time. Tests plug in a sleep that moves the emulator's virtual clock instead.
    sleep: Callable[[float], None] | None = None
    # Set by the runner: a SIGTERM ends a retry wait at once instead of sleeping it out.
    stop: threading.Event | None = None
    label: tuple[str, str | None] = ("", None)  # (source, data type) for the progress reporter

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
        try:
            return self.session.request(method, self.url(path), timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise ThirdPartyGenericError(f"timed out after {self.timeout:g}s: {method} {path} ({_reason(exc)})"
                                         ) from exc
        except requests.ConnectionError as exc:
            raise ThirdPartyGenericError(f"connection failed: {method} {path} ({_reason(exc)})") from exc
        except requests.RequestException as exc:  # a truncated body lands here (ChunkedEncodingError)
            raise ThirdPartyGenericError(f"request failed: {method} {path} ({_reason(exc)})") from exc

    def call(self, attempt: Callable[[], T]) -> T:
        """Run `attempt` until it succeeds, retrying ThirdPartyGeneric failures with capped exponential
        backoff and jitter (or the server's Retry-After). Gives up, re-raising the last error, after
        `retry.tries` attempts, on a Retry-After longer than `retry.max_wait`, or when stopping; the
        runner then persists the next attempt time."""
        refreshed = False
        failures = 0
        while True:
            try:
                return attempt()
            except TokenRejected as exc:
                refresh = getattr(self.auth, "invalidate", None)
                if refreshed or refresh is None:
                    raise ThirdPartyConfigError(f"{exc} (denied with a fresh token)", status=exc.status) from exc
                log.info("token rejected (HTTP %s); requesting a new one", exc.status)
                refresh()
                refreshed = True
            except ThirdPartyGenericError as exc:
                failures += 1
                wait = self.retry.delay(failures - 1, exc.retry_after)
                if failures >= self.retry.tries or wait > self.retry.max_wait:
                    raise
                log.warning("%s; retry %d/%d in %.1fs", exc, failures, self.retry.tries - 1, wait)
                progress.waiting(*self.label, wait, "Retry-After" if exc.retry_after is not None else "retry backoff")
                if not self._pause(wait):
                    raise

    def _pause(self, seconds: float) -> bool:
        """Wait before a retry; False when a stop was requested meanwhile."""
        if self.sleep is not None:
            self.sleep(seconds)
        elif self.stop is not None:
            return not self.stop.wait(seconds)
        else:
            time.sleep(seconds)
        return self.stop is None or not self.stop.is_set()

    def _exchange(
        self, method: str, path: str, on_status: StatusHook | None, kwargs: dict[str, Any]
    ) -> requests.Response:
        response = self.send_once(method, path, **kwargs)
        if on_status is not None:
            on_status(response)
        classify(response)
        return response

    def send(self, method: str, path: str, *, on_status: StatusHook | None = None, **kwargs: Any) -> requests.Response:
        """Send and classify, with retries. `on_status` sees every response before classification, so a
        source can raise its own error for a vendor-specific status (an expired tracker or cookie)."""
        return self.call(lambda: self._exchange(method, path, on_status, kwargs))

    def json(self, method: str, path: str, *, on_status: StatusHook | None = None, **kwargs: Any) -> Any:
        """Send and decode a JSON body; a malformed body is a transient vendor failure, retried in the same
        loop (and with the same budget) as a 5xx."""
        return self._parsed(method, path, on_status, kwargs, json.loads)

    def json_lazy(self, method: str, path: str, key: str, *, on_status: StatusHook | None = None,
                  **kwargs: Any) -> LazyObject:
        """Like `json`, for an object whose `key` array is big: its items are decoded as they are read. A body
        that is not a JSON object is retried here; an item that does not decode raises ValueError when reached."""
        return self._parsed(method, path, on_status, kwargs, lambda text: LazyObject(text, key))

    def _parsed(self, method: str, path: str, on_status: StatusHook | None, kwargs: dict[str, Any],
                parse: Callable[[str], T]) -> T:
        def attempt() -> T:
            response = self._exchange(method, path, on_status, kwargs)
            text = body_text(response)
            # One copy of the body at a time: a page of 10,000 file events is ~8 MB as bytes and again as text.
            del response
            try:
                return parse(text)
            except ValueError as exc:
                raise ThirdPartyGenericError(
                    f"malformed JSON body from {method} {path}: {' '.join(text[:BODY_EXCERPT].split())[:80]!r}"
                ) from exc

        return self.call(attempt)

    def decoded(self, method: str, path: str, decode: Callable[[requests.Response], T], *,
                on_status: StatusHook | None = None, **kwargs: Any) -> T:
        """Send, classify and decode as one attempt: a body that `decode` rejects with ThirdPartyGenericError
        (malformed, a proxy's HTML page) is retried in the same loop and budget as a 5xx, like `json`."""
        return self.call(lambda: decode(self._exchange(method, path, on_status, kwargs)))

    def close(self) -> None:
        self.session.close()


def _reason(exc: Exception) -> str:
    return neterrors.describe(exc)  # host, port and cause (the URL's path and query, and headers, never)


def error_for_token_response(response: requests.Response) -> CollectionError:
    """Token endpoints, same split as `classify`: bad credentials or a wrong base URL (400 invalid_grant,
    401 invalid_client, 403, 404, any other non-transient 4xx) are config errors; the rest is transient."""
    status = response.status_code
    message = "token request rejected: " + describe(response)
    if is_transient(status) or 200 <= status < 300:
        return ThirdPartyGenericError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), status=status
        )
    return ThirdPartyConfigError(message, status=status)
