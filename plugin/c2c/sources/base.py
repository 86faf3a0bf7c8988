"""What a source is: how it authenticates, and its data types, each a declaration on the one pipeline.

A `DataType` says where its pages are (a cursor strategy from `c2c.cursors`, which builds each request),
what its body decodes to, how a record's time is found, and the vendor's own meaning of its errors. It has
no page loop: `c2c.pipeline` sends, classifies, decodes, emits, flushes and checkpoints for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from c2c.auth import OAuthClientCredentials
from c2c.config import SourceConfig
from c2c.cursors import Walk
from c2c.http import ApiClient, Rule
from c2c.jsonstream import Body
from c2c.state import TokenCache
from c2c.timefmt import event_time as event_time  # where it was before; `c2c parse` must not load this package


def as_record(item: Any) -> dict[str, Any] | None:
    """A vendor item as a record; None when it is not a JSON object (the pipeline delivers it raw)."""
    return item if isinstance(item, dict) else None


def no_check(members: dict[str, Any]) -> None:
    """A body's other members need no check."""


@dataclass(frozen=True)
class DataType:
    name: str  # the state key, the records' _dataType, the config's dataCollection value
    walk: Callable[[Any], Walk]  # the saved cursor (None on a first run) -> the strategy, positioned
    bodies: tuple[Body, ...]  # the shapes its body may have (chosen by the body's first character)
    times: tuple[str, ...] = ()  # the record's time fields, in order of preference (README "Sources")
    rules: tuple[Rule, ...] = ()  # the vendor's own meaning of its error answers
    record: Callable[[Any], dict[str, Any] | None] = as_record  # a decoded item -> a record
    check: Callable[[dict[str, Any]], None] = no_check  # the body's other members (e.g. reported problems)
    order: Callable[[dict[str, Any]], Any] | None = None  # emit a page's records sorted by this
    first_read: str = "every event the vendor still keeps"  # what a first run (no saved cursor) reads


class Source:
    """A configured source. Subclasses declare `type`, build the client's auth, and list their data types."""

    type: ClassVar[str]

    def __init__(self, config: SourceConfig, cache: TokenCache) -> None:
        self.config = config
        self.settings = config.config
        self.cache = cache  # the access token cache, in the state store
        self.client = self.make_client()

    def make_client(self) -> ApiClient:
        return ApiClient(self.config.base_url, timeout=float(self.settings["requestTimeout"]))

    def use_oauth(self, client: ApiClient, token_path: str, form: Mapping[str, str] | None = None) -> None:
        """Sign `client`'s requests with OAuth client credentials (config clientID + secretKey) fetched from
        {baseURL}{token_path}, the token cached in the state file."""
        client.auth = OAuthClientCredentials(
            lambda: client.session,
            client.url(token_path),
            str(self.settings["clientID"]),
            str(self.settings["secretKey"]),
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

    def lookback(self, hours: float, key: str) -> str:
        """How a first run's look-back is said on stderr."""
        return f"the last {hours:g} hours ({key})"

    def data_types(self) -> list[DataType]:
        raise NotImplementedError

    def close(self) -> None:
        self.client.close()
