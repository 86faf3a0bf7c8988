"""Druva inSync: one source type, two event APIs, chosen by the credentials in the config: `clientID`
selects v2 (OAuth, tracker; `insync_v2`), otherwise username + token select v1 (Basic, progress cookie;
`insync_v1`). Both deliver the `insyncEvents` data type; a cursor of the other API is not used."""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy

from requests.auth import HTTPBasicAuth
from requests.cookies import RequestsCookieJar

from c2c.formats.insync import PARSERS, event_time, parse_line
from c2c.http import ApiClient
from c2c.sources.base import DataType, Source
from c2c.sources.druva_base import DruvaOAuthSource
from c2c.sources.insync_v1 import insync_events_v1
from c2c.sources.insync_v2 import insync_events_v2

__all__ = ["PARSERS", "DruvaInSync", "event_time", "parse_line"]  # `c2c parse` uses the same rules


class DruvaInSync(DruvaOAuthSource):
    type = "Druva inSync"

    @property
    def api(self) -> str:
        return "v2" if "clientID" in self.settings else "v1"

    def make_client(self) -> ApiClient:
        if self.api == "v2":
            return super().make_client()
        client = Source.make_client(self)
        client.auth = HTTPBasicAuth(str(self.settings["username"]), str(self.settings["token"]))
        client.session.auth = client.auth
        # The progress cookie is the checkpoint: it goes out only when the request carries it, never from a jar.
        client.session.cookies = RequestsCookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        return client

    def data_types(self) -> list[DataType]:
        if self.api == "v2":
            return [insync_events_v2()]
        return [insync_events_v1(str(self.settings["format"]))]
