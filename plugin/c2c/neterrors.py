"""What a failed connection means to an operator: which host and port, and why (the name does not resolve,
refused, TLS, timeout, reset). For a name that does not resolve, the message says to check `baseURL` and lists
the hosts the vendor documents. A pure function of the exception and the URL; it never prints the URL's path
or query (a tracker token may sit there), nor any header.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

# The API hosts each vendor documents, per source type (schemaRef.type). The schemas' `examples` for baseURL
# are a subset (a test keeps them so).
DOCUMENTED_HOSTS: dict[str, tuple[str, ...]] = {
    # Code42's developer portal: one API host per region (reference/code42.md §1).
    "Code42Incydr": tuple(f"https://api.{region}.code42.com"
                          for region in ("us", "us2", "us7", "ie", "uk", "au", "ca", "de", "za", "gov")),
    # Druva's authentication docs: the public cloud, Endpoints GovCloud, Enterprise Workloads GovCloud (druva.md §1).
    "Druva Cyber Resilience": ("https://apis.druva.com", "https://govcloudapis.druva.com",
                               "https://govapis.druva.com"),
    # Events API v2 on the OAuth hosts; the legacy v1 on insyncapi-cloud (druva.md §1, §3b).
    "Druva inSync": ("https://apis.druva.com", "https://govcloudapis.druva.com", "https://insyncapi-cloud.druva.com"),
}

_UNREACHABLE = {errno.ENETUNREACH: "the network is unreachable", errno.EHOSTUNREACH: "the host is unreachable"}


def describe(exc: BaseException, url: str | None = None, source_type: str | None = None) -> str:
    """One line for an operator: "<host>:<port>: <cause>[; what to do]". `url` defaults to the URL of the
    request the exception carries (requests sets it); `source_type` picks the host list, else the URL's domain."""
    chain = list(_chain(exc))
    host, port = _where(url or _request_url(chain), chain)
    where = f"{host}:{port}" if host else "the server"
    for e in chain:
        if isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError":
            temporary = isinstance(e, socket.gaierror) and e.errno == socket.EAI_AGAIN
            detail = "no DNS answer: is a DNS server reachable from here?" if temporary else "no such host"
            return f"{where}: the name does not resolve ({detail}); check baseURL. {hosts_hint(host, source_type)}"
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return (f"{where}: TLS certificate verification failed ({e.verify_message or e.reason}); c2c never "
                    "turns verification off: the host must present a certificate your CA bundle trusts "
                    "(REQUESTS_CA_BUNDLE names a bundle, e.g. for a TLS-inspecting proxy)")
    for e in chain:
        if isinstance(e, ssl.SSLError):
            hint = ""
            if e.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST"):
                hint = ": the server does not speak TLS on this port (plain HTTP?)"
            return f"{where}: TLS handshake failed ({e.reason or e}){hint}"
    for e in chain:
        name = type(e).__name__
        if isinstance(e, ConnectionRefusedError):
            return f"{where}: connection refused (nothing listens on that port, or a firewall rejects it)"
        if name in ("ConnectTimeoutError", "ConnectTimeout"):
            return f"{where}: connect timed out (no answer to the connection: a firewall, or a wrong host)"
        if name in ("ReadTimeoutError", "ReadTimeout") or isinstance(e, TimeoutError):
            return f"{where}: read timed out (connected, but no response in time)"
        if isinstance(e, ConnectionResetError):
            return f"{where}: connection reset by the server"
        if isinstance(e, OSError) and e.errno in _UNREACHABLE:
            return f"{where}: {_UNREACHABLE[e.errno]}"
        if name == "RemoteDisconnected":
            return f"{where}: the server closed the connection without a response"
        if name in ("IncompleteRead", "ChunkedEncodingError", "InvalidChunkLength"):
            return f"{where}: the response was cut short"
        if name == "ProxyError":
            return f"{where}: the proxy failed (check HTTPS_PROXY / NO_PROXY)"
    inner = chain[-1]
    return f"{where}: {inner.__class__.__name__}: {inner}"[:300]


def hosts_hint(host: str, source_type: str | None = None) -> str:
    """The documented hosts for `source_type`, else for the vendor whose domain `host` is in, else all."""
    if source_type in DOCUMENTED_HOSTS:
        types = [source_type]
    else:
        domain = ".".join(host.rsplit(".", 2)[-2:])
        types = [t for t, hosts in DOCUMENTED_HOSTS.items() if any(h.endswith("." + domain) for h in hosts)]
        types = types or list(DOCUMENTED_HOSTS)
    return "Documented hosts: " + "; ".join(f"{t}: {', '.join(DOCUMENTED_HOSTS[t])}" for t in types)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every one it wraps (cause, context, urllib3's `reason`, exceptions among its args),
    outermost first."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        nested = [e.__cause__, e.__context__, getattr(e, "reason", None), *getattr(e, "args", ())]
        todo += [n for n in nested if isinstance(n, BaseException)]


def _request_url(chain: list[BaseException]) -> str | None:
    for e in chain:
        request = getattr(e, "request", None)
        if request is not None and getattr(request, "url", None):
            return str(request.url)
    return None


def _where(url: str | None, chain: list[BaseException]) -> tuple[str, int | None]:
    if url:
        try:
            parts = urlsplit(url)
            return parts.hostname or "", parts.port or {"https": 443, "http": 80}.get(parts.scheme)
        except ValueError:
            pass
    for e in chain:  # urllib3's MaxRetryError knows its connection pool
        pool = getattr(e, "pool", None)
        if pool is not None and getattr(pool, "host", None):
            return str(pool.host), getattr(pool, "port", None)
    return "", None
