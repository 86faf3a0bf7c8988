"""What a source is: a declaration of how to authenticate and which streams (data types) it collects.

A stream yields pages; each page carries its events and the cursor to persist once they are written.
The runner owns writing and checkpointing (emit -> flush -> checkpoint), never the source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

from c2c.auth import OAuthClientCredentials
from c2c.config import SourceConfig
from c2c.http import ApiClient


@dataclass(slots=True)
class Page:
    events: list[dict[str, Any]]
    cursor: Any
    # A warning the runner turns into a health record (e.g. a cursor that had to be reset).
    warning: str | None = None
    # Machine-readable facts for that warning's health record (merged into its `details`).
    details: dict[str, Any] | None = None


def as_records(items: list[Any]) -> list[dict[str, Any]]:
    """A vendor's list of events as records. An item that is not a JSON object is kept (nothing is dropped)
    as {"_raw": item, "_parseError": ...}: passed on as is, it would crash every run at the same page."""
    if all(isinstance(e, dict) for e in items):
        return items
    return [e if isinstance(e, dict) else {"_raw": e, "_parseError": "not an event object"} for e in items]


class Stream:
    """One data type of a source: a cursor-driven page iterator plus the event time rule."""

    data_type: ClassVar[str]

    def __init__(self, source: Source) -> None:
        self.source = source
        self.client = source.client
        self.config = source.config.config

    def pages(self, cursor: Any) -> Iterator[Page]:
        raise NotImplementedError

    def event_time(self, event: dict[str, Any]) -> str | None:
        """The event's own time in the output form, or None to use the time of collection."""
        return None


class Source:
    """A configured source. Subclasses declare `type`, build `client` auth, and list their streams."""

    type: ClassVar[str]

    def __init__(self, config: SourceConfig, cache: MutableMapping[str, Any]) -> None:
        self.config = config
        # `cache` is persisted in the state file (it holds the cached access token).
        self.cache = cache
        self.client = self.make_client()

    def make_client(self) -> ApiClient:
        return ApiClient(self.config.base_url, timeout=float(self.config.config.get("requestTimeout", 60)))

    def use_oauth(self, client: ApiClient, token_path: str, form: Mapping[str, str] | None = None) -> None:
        """Sign `client`'s requests with OAuth client credentials (config clientID + secretKey) fetched from
        {baseURL}{token_path}, the token cached in the state file."""
        cfg = self.config.config
        client.auth = OAuthClientCredentials(
            lambda: client.session,
            client.url(token_path),
            str(cfg["clientID"]),
            str(cfg["secretKey"]),
            form=form,
            timeout=client.timeout,
            cache=self.cache,
        )
        client.session.auth = client.auth

    def authenticate(self) -> None:
        """Make sure the credentials work before collecting (a cached valid token counts). Other auth (HTTP
        Basic) has no token endpoint: the first data call checks it."""
        if isinstance(self.client.auth, OAuthClientCredentials):
            self.client.auth.valid_token()

    def streams(self) -> list[Stream]:
        raise NotImplementedError

    def close(self) -> None:
        self.client.close()
