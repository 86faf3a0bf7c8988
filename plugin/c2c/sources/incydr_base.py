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
from c2c.sources.base import Source

TOKEN_PATH = "/v1/oauth"
RATE_BURST = 10  # requestsPerMinute (<= 110) + burst stays within Code42's 120 requests per minute


def check_problems(members: dict[str, Any]) -> None:
    """A 200 whose body reports problems did not answer the query."""
    if members.get("problems"):
        raise ThirdPartyGenericError(f"the response reported problems: {str(members['problems'])[:300]}")


class IncydrBase(Source):
    """Client, auth, clock and settings of an Incydr source; the source module lists the data types."""

    def now(self) -> float:
        return time.time()

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def setting(self, key: str) -> Any:
        return self.settings[key]  # every extension has a default in the schema, filled in by config.load

    def hours_ms(self, key: str) -> int:
        return int(float(self.setting(key)) * 3_600_000)

    def make_client(self) -> ApiClient:
        client = super().make_client()
        self.use_oauth(client, TOKEN_PATH)
        # A 429 without Retry-After means a per-minute budget is spent: back off from 5 s, as Code42's SDK does.
        # Scaled from the policy the client read from the environment, so C2C_RETRY_* still apply.
        client.retry = dataclasses.replace(client.retry, base=5 * client.retry.base)
        # One budget per API client: every data type (and every source using the same client) spends it.
        key = f"{self.config.base_url}\0{self.settings['clientID']}"
        client.rate_limiter = ratelimit.shared(key, float(self.setting("requestsPerMinute")), RATE_BURST)
        return client
