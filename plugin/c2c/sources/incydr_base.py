"""What Code42 Incydr's data types share: OAuth at {baseURL}/v1/oauth, one rate budget, the extension keys.

Auth is HTTP Basic clientID:secret with no body (as the vendor SDK sends it); the 15-minute token is cached
in the state file and renewed 60 s before expiry, and a 401 from a data call refreshes it once
(`ApiClient.call`). A 401 `invalid_client` from /v1/oauth is a ThirdPartyConfig error.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from c2c import ratelimit
from c2c.errors import ThirdPartyGenericError
from c2c.http import ApiClient
from c2c.sources.base import Source, Stream

TOKEN_PATH = "/v1/oauth"
# Extension keys and their defaults (the schema holds the same defaults and their descriptions).
DEFAULTS: dict[str, Any] = {
    "firstRunLookbackHours": 24,
    "overlapSeconds": 300,
    "alertsLookbackHours": 72,
    "requestsPerMinute": 100,
    "fileEventsPageSize": 10_000,
    "auditEventsPageSize": 1000,
}
RATE_BURST = 10  # requestsPerMinute (<= 110) + burst stays within Code42's 120 requests per minute


class IncydrStream(Stream):
    """A Code42 data type: settings with defaults, the clock, and a response-shape check."""

    source: IncydrBase

    def setting(self, key: str) -> Any:
        return self.config.get(key, DEFAULTS[key])

    def now_ms(self) -> int:
        return int(self.source.now() * 1000)

    def lookback_ms(self, hours_key: str) -> int:
        return int(float(self.setting(hours_key)) * 3_600_000)

    def expect_list(self, body: Any, key: str, path: str) -> list[Any]:
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise ThirdPartyGenericError(f"unexpected response from {path}: no {key!r} list")
        self.check_problems(body, path)
        items: list[Any] = body[key]
        return items

    def check_problems(self, members: dict[str, Any], path: str) -> None:
        problems = members.get("problems")
        if problems:
            raise ThirdPartyGenericError(f"{path} reported problems: {str(problems)[:300]}")


class IncydrBase(Source):
    """Client, auth and clock of an Incydr source; the source module lists the streams."""

    def now(self) -> float:
        return time.time()

    def make_client(self) -> ApiClient:
        client = super().make_client()
        cfg = self.config.config
        self.use_oauth(client, TOKEN_PATH)
        # A 429 without Retry-After means a per-minute budget is spent: back off from 5 s, as Code42's SDK does.
        # Scaled from the policy the client read from the environment, so C2C_RETRY_* still apply.
        client.retry = dataclasses.replace(client.retry, base=5 * client.retry.base)
        # One budget per API client: every data type (and every source using the same client) spends it.
        key = f"{self.config.base_url}\0{cfg['clientID']}"
        client.rate_limiter = ratelimit.shared(key, float(cfg.get("requestsPerMinute", DEFAULTS["requestsPerMinute"])),
                                               RATE_BURST)
        return client
