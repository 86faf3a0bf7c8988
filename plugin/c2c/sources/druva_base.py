"""What Druva's APIs share: OAuth2 client credentials at {baseURL}/token (Basic + form body)."""

from __future__ import annotations

from c2c.auth import OAuthClientCredentials
from c2c.http import ApiClient
from c2c.sources.base import Source


class DruvaOAuthSource(Source):
    def make_client(self) -> ApiClient:
        client = super().make_client()
        cfg = self.config.config
        client.auth = OAuthClientCredentials(
            lambda: client.session,
            client.url("/token"),
            str(cfg["clientID"]),
            str(cfg["secretKey"]),
            form={"grant_type": "client_credentials", "scope": "read"},
            timeout=client.timeout,
            cache=self.cache,
        )
        client.session.auth = client.auth
        return client

    def authenticate(self) -> None:
        assert isinstance(self.client.auth, OAuthClientCredentials)
        self.client.auth.valid_token()
