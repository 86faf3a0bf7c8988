"""Connection errors name host, port and cause; a name that does not resolve lists the vendor's hosts.

Unit tests feed `describe` the exceptions requests really raises (made against 127.0.0.1); end-to-end tests
run `c2c run` against a closed port, a plain-HTTP server on an https:// URL, a self-signed TLS server, a
server that never answers, and names that do not resolve, and read what the operator reads on stderr."""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from operator_helpers import c2c, clean_env, source, write_json

from c2c import neterrors, schemas


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raised(url: str, **kwargs: object) -> requests.RequestException:
    try:
        requests.get(url, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        return exc
    raise AssertionError(f"{url} answered")


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def plain_http() -> Iterator[int]:
    """A plain-HTTP server: an https:// URL to it fails the TLS handshake."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_port
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def self_signed(tmp_path: Path) -> Iterator[int]:
    """A TLS server with a self-signed certificate, which verification rejects."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed: cannot make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_port
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def silent() -> Iterator[int]:
    """Accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


# --- the pure function -------------------------------------------------------------------------------------

def test_refused_names_host_port_and_cause() -> None:
    port = _free_port()
    message = neterrors.describe(_raised(f"http://127.0.0.1:{port}/token?secret=x"))
    assert message == f"127.0.0.1:{port}: connection refused (nothing listens on that port, or a firewall rejects it)"


def test_unresolved_name_lists_the_vendors_hosts_for_its_domain() -> None:
    exc = requests.ConnectionError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    message = neterrors.describe(exc, "https://api.eu.code42.com/v1/oauth")
    assert message.startswith("api.eu.code42.com:443: the name does not resolve (no such host); check baseURL.")
    assert "https://api.us.code42.com" in message
    assert "https://api.gov.code42.com" in message
    assert "druva" not in message  # only the vendor whose domain it is


def test_unresolved_name_with_a_source_type_lists_that_type() -> None:
    exc = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    message = neterrors.describe(exc, "https://apis.druva.example/token", source_type="Druva Cyber Resilience")
    assert "is a DNS server reachable" in message
    assert message.endswith("Documented hosts: Druva Cyber Resilience: https://apis.druva.com, "
                            "https://govcloudapis.druva.com, https://govapis.druva.com")


def test_unknown_domain_lists_every_vendor() -> None:
    message = neterrors.describe(socket.gaierror(socket.EAI_NONAME, "x"), "https://api.code24.com")
    assert all(t in message for t in neterrors.DOCUMENTED_HOSTS)


def test_tls_to_a_plain_http_port(plain_http: int) -> None:
    message = neterrors.describe(_raised(f"https://127.0.0.1:{plain_http}/"))
    assert message.startswith(f"127.0.0.1:{plain_http}: TLS handshake failed")
    assert "does not speak TLS on this port" in message


def test_tls_verification(self_signed: int) -> None:
    message = neterrors.describe(_raised(f"https://127.0.0.1:{self_signed}/"))
    assert message.startswith(f"127.0.0.1:{self_signed}: TLS certificate verification failed (self-signed")
    assert "REQUESTS_CA_BUNDLE" in message


def test_read_timeout(silent: int) -> None:
    message = neterrors.describe(_raised(f"http://127.0.0.1:{silent}/", timeout=0.2))
    assert message == f"127.0.0.1:{silent}: read timed out (connected, but no response in time)"


def test_connect_timeout_and_reset() -> None:
    url = "https://api.us.code42.com/v1/oauth"
    assert neterrors.describe(requests.ConnectTimeout("x"), url).startswith("api.us.code42.com:443: connect timed out")
    reset = requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer"))
    assert neterrors.describe(reset, url) == "api.us.code42.com:443: connection reset by the server"


def test_the_path_and_query_never_appear() -> None:
    port = _free_port()
    message = neterrors.describe(_raised(f"http://127.0.0.1:{port}/events/tracker?trackerToken=SECRET"))
    assert "SECRET" not in message
    assert "tracker" not in message


def test_the_schemas_examples_are_documented_hosts() -> None:
    for source_type, stem in schemas.SCHEMA_FILES.items():
        examples = schemas.load(stem)["properties"]["baseURL"].get("examples", [])
        assert set(examples) <= set(neterrors.DOCUMENTED_HOSTS[source_type]), source_type


# --- what `c2c run` prints --------------------------------------------------------------------------------

def _run(tmp_path: Path, base_url: str, source_type: str = "Druva Cyber Resilience", wrap: list[str] | None = None,
         **extra: object) -> str:
    conf = write_json(tmp_path / "source.json", source(source_type, name="probe", baseURL=base_url,
                                                       clientID="id", secretKey="Sx-never-print", **extra))
    command = [*(wrap or []), sys.executable, "-m", "c2c"]
    result = c2c("run", conf, "--state-dir", tmp_path / "state", command=command)
    assert result.code == 5, result.stderr  # ThirdPartyGeneric: retried by the next run
    assert "Sx-never-print" not in result.stderr + result.stdout
    health = [r for r in result.records if r["_dataType"] == "health"]
    assert len(health) == 1
    assert health[0]["details"]["description"] in result.stderr  # the SIEM sees the same words
    return result.stderr


def test_run_against_a_closed_port_says_refused(tmp_path: Path) -> None:
    port = _free_port()
    err = _run(tmp_path, f"http://127.0.0.1:{port}")
    assert f"127.0.0.1:{port}: connection refused (nothing listens on that port" in err


def test_run_against_plain_http_on_https_says_tls(tmp_path: Path, plain_http: int) -> None:
    err = _run(tmp_path, f"https://127.0.0.1:{plain_http}")
    assert f"127.0.0.1:{plain_http}: TLS handshake failed" in err


def test_run_against_a_self_signed_server_says_verification(tmp_path: Path, self_signed: int) -> None:
    err = _run(tmp_path, f"https://127.0.0.1:{self_signed}")
    assert f"127.0.0.1:{self_signed}: TLS certificate verification failed" in err


def test_run_against_a_silent_server_says_timeout(tmp_path: Path, silent: int) -> None:
    err = _run(tmp_path, f"http://127.0.0.1:{silent}", requestTimeout=0.5)
    assert f"127.0.0.1:{silent}: read timed out" in err


def _unshare() -> list[str] | None:
    """`unshare -n`: a network namespace with no interface up, so not even a DNS query leaves the process."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        return None
    return ["unshare", "-n"]


def test_run_with_an_invalid_name_says_it_does_not_resolve(tmp_path: Path) -> None:
    # Offline when unshare is permitted; else the resolver answers the `.invalid` name itself (RFC 6761 §6.4).
    err = _run(tmp_path, "https://c2c-test.invalid", wrap=_unshare())
    assert "c2c-test.invalid:443: the name does not resolve" in err
    assert "check baseURL" in err


def test_run_with_a_wrong_code42_region_lists_the_regions(tmp_path: Path) -> None:
    offline = _unshare()
    if offline is None:
        pytest.skip("unshare -n not permitted here: a real domain is never looked up")
    err = _run(tmp_path, "https://api.eu.code42.com", "Code42Incydr", wrap=offline)
    line = next(line for line in err.splitlines() if "ThirdPartyGenericError" in line)
    assert "api.eu.code42.com:443: the name does not resolve" in line
    assert "check baseURL" in line
    assert "https://api.ie.code42.com" in line


def test_status_shows_host_and_cause(tmp_path: Path) -> None:
    """The error is saved in the state, so `c2c status` shows host and cause too."""
    port = _free_port()
    _run(tmp_path, f"http://127.0.0.1:{port}")
    status = c2c("status", "--state-dir", tmp_path / "state", env=clean_env())
    assert f"127.0.0.1:{port}: connection refused" in status.stdout
