"""HTTP for every source: one keep-alive session, explicit timeouts, bounded retries, and the single
place where a response or a transport failure is turned into one of the three error classes."""

from __future__ import annotations

import codecs
import email.utils
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from enum import Enum
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests

from c2c import __version__, memory, neterrors, progress
from c2c.errors import (
    CursorRejected,
    PageTooBig,
    ThirdPartyConfigError,
    ThirdPartyGenericError,
    TokenRejected,
)

log = logging.getLogger(__name__)

# A data call's body is read in chunks of this size (requests' default is 10 KiB: a 10,000-event page of
# ~8 MB took ~800 urllib3 reads, 17 ms of CPU, instead of 64 reads). The pipeline decodes it as it arrives,
# so about one chunk of it is alive at a time, never the whole body (c2c.jsonstream.Window).
BODY_CHUNK = 1 << 17
requests.models.CONTENT_CHUNK_SIZE = max(requests.models.CONTENT_CHUNK_SIZE, BODY_CHUNK)

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
        wait: float = min(self.cap, self.base * 2**attempt) * random.uniform(0.5, 1.0)
        return wait


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


def body_chunks(response: requests.Response, what: str, timeout: float) -> Iterator[str]:
    """The body of a streamed response (stream=True) as text, chunk by chunk as it is read, decoded as
    `Response.json()` does (the charset, else UTF-8/16/32 by sniffing the first bytes; gzip undone by urllib3).
    Only one chunk of it is alive here at a time. A failure while reading (a connection cut mid-body, a
    timeout) is the ThirdPartyGenericError `send_once` would have raised for it."""
    try:
        raw = response.iter_content(BODY_CHUNK)
        head = b""
        for chunk in raw:  # enough bytes to sniff the encoding from
            head += chunk
            if len(head) > 3:
                break
        encoding = response.encoding or (requests.utils.guess_json_utf(head) if len(head) > 3 else None)
        decoder = codecs.getincrementaldecoder(encoding or "utf-8")(errors="replace")
        yield decoder.decode(head)
        size = len(head)
        del head
        for chunk in raw:
            size += len(chunk)
            if size >= memory.BIG:
                memory.pin_mmap_threshold()
            yield decoder.decode(chunk)
        yield decoder.decode(b"", True)
    except requests.RequestException as exc:
        raise transport_error(exc, what, timeout) from exc


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


class Verdict(Enum):
    """What a vendor rule makes of a response."""

    CONFIG = "ThirdPartyConfigError"  # our request is wrong for this vendor: not retried until the config changes
    GENERIC = "ThirdPartyGenericError"  # the vendor failed: retried
    CURSOR_REJECTED = "cursor rejected"  # the cursor the request carried is refused
    CURSOR_EXPIRED = "cursor expired"  # refused, but may be accepted with its expiry waived
    PAGE_TOO_BIG = "page too big"  # the vendor could not answer a page this big: ask for smaller ones


@dataclass(frozen=True, slots=True)
class Rule:
    """A vendor's own meaning of a non-2xx answer: its status (and a marker in its body) -> a verdict."""

    statuses: tuple[int, ...]
    verdict: Verdict
    marker: str | None = None  # case-insensitive text the body must hold
    with_cursor: bool = False  # only when the request carried the persisted cursor
    hint: str = ""  # what the operator should do, appended to the message

    def matches(self, response: requests.Response, cursor_sent: bool) -> bool:
        if response.status_code not in self.statuses or (self.with_cursor and not cursor_sent):
            return False
        return self.marker is None or self.marker.lower().encode() in (response.content or b"").lower()


def classify(response: requests.Response, rules: tuple[Rule, ...] = (), *, cursor_sent: bool = False,
             token_call: bool = False) -> None:
    """The one classification of every response, data and token calls alike: return for success, else raise
    the error its source's rules name, else the default split (401/403 -> renew the token once; transient
    statuses -> ThirdPartyGeneric; any other 4xx -> ThirdPartyConfig: retrying cannot fix our request)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = ("token request rejected: " if token_call else "") + describe(response)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    for rule in rules:
        if rule.matches(response, cursor_sent):
            text = f"{message}: {rule.hint}" if rule.hint else message
            if rule.verdict is Verdict.CONFIG:
                raise ThirdPartyConfigError(text, status=status)
            if rule.verdict is Verdict.GENERIC:
                raise ThirdPartyGenericError(text, retry_after=retry_after, status=status)
            if rule.verdict is Verdict.PAGE_TOO_BIG:
                raise PageTooBig(text, status=status)
            raise CursorRejected(text, expired=rule.verdict is Verdict.CURSOR_EXPIRED, status=status)
    if status in (401, 403) and not token_call:
        raise TokenRejected(message, status=status)
    if is_transient(status):
        raise ThirdPartyGenericError(message, retry_after=retry_after, status=status)
    raise ThirdPartyConfigError(message, status=status)


def transport_error(exc: requests.RequestException, what: str, timeout: float) -> ThirdPartyGenericError:
    """A failure below HTTP (timeout, refused, reset, a body cut by a closed connection) as a retried error."""
    if isinstance(exc, requests.Timeout):
        return ThirdPartyGenericError(f"timed out after {timeout:g}s: {what} ({_reason(exc)})")
    if isinstance(exc, requests.ConnectionError):
        return ThirdPartyGenericError(f"connection failed: {what} ({_reason(exc)})")
    return ThirdPartyGenericError(f"request failed: {what} ({_reason(exc)})")  # ChunkedEncodingError lands here


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
    # (source, data type) that the pipeline is collecting, for the progress reporter.
    label: tuple[str, str | None] = ("", None)

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
        except requests.RequestException as exc:
            raise transport_error(exc, f"{method} {path}", self.timeout) from exc

    def refresh_token(self) -> bool:
        """Forget the cached access token so the next request fetches a new one: the one place a token is
        renewed. False when the auth has no token (HTTP Basic)."""
        invalidate = getattr(self.auth, "invalidate", None)
        if invalidate is None:
            return False
        invalidate()
        return True

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
                if refreshed or not self.refresh_token():
                    raise ThirdPartyConfigError(f"{exc} (denied with a fresh token)", status=exc.status) from exc
                log.info("token rejected (HTTP %s); requesting a new one", exc.status)
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

    def exchange(self, method: str, path: str, rules: tuple[Rule, ...] = (), *, cursor_sent: bool = False,
                 stream: bool = False, **kwargs: Any) -> requests.Response:
        """One request, classified (no retry: the caller's attempt runs inside `call`). With `stream`, a
        successful response's body is left to read (`body_chunks`) and the caller must close the response."""
        response = self.send_once(method, path, stream=stream, **kwargs)
        if stream and not 200 <= response.status_code < 300:
            try:
                response.content  # noqa: B018 -- an error's body is short: classify reads it whole
            except requests.RequestException as exc:
                response.close()
                raise transport_error(exc, f"{method} {path}", self.timeout) from exc
        classify(response, rules, cursor_sent=cursor_sent)
        return response

    def close(self) -> None:
        self.session.close()


def _reason(exc: Exception) -> str:
    return neterrors.describe(exc)  # host, port and cause (the URL's path and query, and headers, never)
