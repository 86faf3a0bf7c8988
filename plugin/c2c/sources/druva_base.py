"""What Druva's APIs share: OAuth2 client credentials at {baseURL}/token (Basic + form body)."""

from __future__ import annotations

from c2c.http import ApiClient
from c2c.sources.base import Source


class DruvaOAuthSource(Source):
    def make_client(self) -> ApiClient:
        client = super().make_client()
        self.use_oauth(client, "/token", form={"grant_type": "client_credentials", "scope": "read"})
        return client
