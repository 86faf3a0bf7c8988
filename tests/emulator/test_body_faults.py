"""The emulator's body faults (cut, html, poison_item) on every data type's path, over real HTTP.

Each data path is fetched once unfaulted and once with the fault; the faulted answer is compared with the
real one. `requests` enforces Content-Length, so a faulted answer that arrives at all has intact framing.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests

from c2c.emulator import Emulator, Fault
from c2c.emulator.bodyfaults import POISON_LINE
from c2c.emulator.code42 import IncydrService
from c2c.emulator.druva import RealizeService
from c2c.emulator.insync import DEMO_USERNAME, V1_PATH, V2_PATH, InSyncService

CLIENT, SECRET = "emu-client", "emu-secret"
REALIZE_PATH = "/realize/eventmanagement/v1/events/tracker"


@dataclass
class Path:
    """One data type's path: how to call it, and whether its body is JSON or text lines."""

    name: str
    path: str
    call: Callable[[Emulator], requests.Response]
    text_lines: bool = False


def _druva_token(emu: Emulator) -> str:
    r = requests.post(emu.base_url + "/token", data={"grant_type": "client_credentials"}, auth=(CLIENT, SECRET),
                      timeout=5)
    return str(r.json()["access_token"])


def _code42_token(emu: Emulator) -> str:
    return str(requests.post(emu.base_url + "/v1/oauth", auth=(CLIENT, SECRET), timeout=5).json()["access_token"])


def _realize(emu: Emulator) -> requests.Response:
    return requests.get(emu.base_url + REALIZE_PATH, headers={"Authorization": f"Bearer {_druva_token(emu)}"},
                        timeout=5)


def _insync_v1(fmt: str) -> Callable[[Emulator], requests.Response]:
    return lambda emu: requests.get(emu.base_url + V1_PATH, params={"format": fmt}, auth=(DEMO_USERNAME, SECRET),
                                    timeout=5)


def _insync_v2(emu: Emulator) -> requests.Response:
    return requests.get(emu.base_url + V2_PATH, headers={"Authorization": f"Bearer {_druva_token(emu)}"},
                        timeout=5)


FILE_QUERY = {"groups": [{"filters": [{"term": "event.inserted", "operator": "ON_OR_AFTER",
                                       "value": "2000-01-01T00:00:00.000Z"}]}],
              "pgSize": 20, "srtKey": "event.inserted", "srtDir": "asc", "pgToken": ""}


def _code42(method: str, path: str, **kwargs: object) -> Callable[[Emulator], requests.Response]:
    def call(emu: Emulator) -> requests.Response:
        headers = {"Authorization": f"Bearer {_code42_token(emu)}"}
        return requests.request(method, emu.base_url + path, headers=headers, timeout=5, **kwargs)  # type: ignore[arg-type]

    return call


PATHS = [
    Path("realize", REALIZE_PATH, _realize),
    Path("insync_v1_json", V1_PATH, _insync_v1("JSON")),
    Path("insync_v1_cef", V1_PATH, _insync_v1("CEF"), text_lines=True),
    Path("insync_v1_syslog", V1_PATH, _insync_v1("Syslog"), text_lines=True),
    Path("insync_v2", V2_PATH, _insync_v2),
    Path("code42_file_events", "/v2/file-events", _code42("POST", "/v2/file-events", json=FILE_QUERY)),
    Path("code42_sessions", "/v1/sessions", _code42("GET", "/v1/sessions", params={"page_size": 20})),
    Path("code42_audit", "/v1/audit/search-audit-log",
         _code42("POST", "/v1/audit/search-audit-log", json={"page": 0, "pageSize": 20})),
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator(faults=True)
    emulator.clock.freeze()  # the same data on every call, so a faulted answer compares with the real one
    RealizeService(emulator, CLIENT, SECRET, events=30, page_size=20)
    InSyncService(emulator, client_id=CLIENT, secret=SECRET, api_token=SECRET, events=30, page_size=20)
    IncydrService(emulator, CLIENT, SECRET, events=30, audit_events=30, sessions=30, sessions_alerted=1.0,
                  rate_limit=0, late_permille=0)
    with emulator:
        yield emulator


def _framed(r: requests.Response) -> bytes:
    assert int(r.headers["Content-Length"]) == len(r.content)  # gzip is off: the body as sent
    return r.content


@pytest.mark.parametrize("p", PATHS, ids=lambda p: p.name)
def test_cut_serves_a_complete_response_whose_body_stops_in_the_middle(emu: Emulator, p: Path) -> None:
    real = p.call(emu)
    emu.inject(Fault(path=p.path, cut=0.5))
    cut = p.call(emu)
    body = _framed(cut)
    assert cut.status_code == real.status_code == 200
    assert body == real.content[: len(real.content) // 2]
    if not p.text_lines:
        with pytest.raises(ValueError, match="char"):  # "Unterminated string starting at: line 1 column 9 (char 8)"
            json.loads(body)
    assert p.call(emu).content == real.content  # one request only


@pytest.mark.parametrize("p", PATHS, ids=lambda p: p.name)
def test_html_serves_a_sign_in_page_with_status_200(emu: Emulator, p: Path) -> None:
    emu.inject(Fault(path=p.path, html=True))
    r = p.call(emu)
    _framed(r)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.startswith("<!DOCTYPE html>")
    assert "Sign in" in r.text


def test_html_with_a_status_and_a_page_of_ones_own(emu: Emulator) -> None:
    emu.inject(Fault(path=REALIZE_PATH, html=True, status=503, body="<html>maintenance</html>"))
    r = _realize(emu)
    assert (r.status_code, r.text, r.headers["Content-Type"].split(";")[0]) == (
        503, "<html>maintenance</html>", "text/html")


@pytest.mark.parametrize("p", PATHS, ids=lambda p: p.name)
def test_poison_item_spoils_the_middle_item_and_nothing_else(emu: Emulator, p: Path) -> None:
    real = p.call(emu)
    emu.inject(Fault(path=p.path, poison_item=True))
    poisoned = p.call(emu)
    body = _framed(poisoned).decode("utf-8")
    assert poisoned.status_code == 200
    if p.text_lines:
        real_lines, lines = real.text.splitlines(), body.splitlines()
        middle = len(real_lines) // 2
        assert lines[middle] == POISON_LINE
        assert lines[:middle] + lines[middle + 1 :] == real_lines[:middle] + real_lines[middle + 1 :]
        assert "CEF:" not in POISON_LINE
        assert not POISON_LINE.startswith("<")
        return
    with pytest.raises(ValueError, match="escape"):
        json.loads(body)
    assert body.count("\\E") == 1
    assert json.loads(body.replace("\\E", "")) == real.json()  # the escape was added inside one string
    items = _items(real.json())
    m = len(items) // 2
    texts = [json.dumps(item, separators=(",", ":"), ensure_ascii=False) for item in items]
    assert texts[m] not in body
    assert all(texts[n] in body for n in range(len(items)) if n != m)  # every other item is intact
    # ...and the escape sits between the middle item's neighbours.
    assert body.index(texts[m - 1]) + len(texts[m - 1]) < body.index("\\E") < body.index(texts[m + 1])


def _items(body: object) -> list[object]:
    if isinstance(body, list):
        return body
    assert isinstance(body, dict)
    return next(v for v in body.values() if isinstance(v, list) and v)


def test_poison_item_on_a_json_list_of_lines() -> None:
    with Emulator() as emu:
        InSyncService(emu, api_token=SECRET, events=5, v1_lines="json")
        real = _insync_v1("CEF")(emu)
        assert all(line.startswith(real.json()[0][:11]) for line in real.json())  # every item is a CEF line
        emu.inject(Fault(path=V1_PATH, poison_item=True))
        body = _insync_v1("CEF")(emu).text
    with pytest.raises(ValueError, match="escape"):
        json.loads(body)
    assert json.loads(body.replace("\\E", "")) == real.json()
    lines = body.split('","')
    assert ["\\E" in line for line in lines] == [False, False, True, False, False]  # the third of five lines


def test_poison_item_waits_for_a_page_that_has_items() -> None:
    with Emulator() as emu:
        service = RealizeService(emu, CLIENT, SECRET, events=0)
        fault = emu.inject(Fault(path=REALIZE_PATH, poison_item=True))
        assert _realize(emu).json()["events"] == []  # nothing to poison: served as is
        assert fault.hits == 0
        assert fault in emu.faults
        service.add_events(3)
        with pytest.raises(ValueError, match="escape"):
            json.loads(_realize(emu).text)
        assert fault.hits == 1
        assert fault not in emu.faults


def test_body_faults_survive_gzip(emu: Emulator) -> None:
    emu.gzip, emu.gzip_min_bytes = True, 1
    real = _realize(emu).content
    emu.inject(Fault(path=REALIZE_PATH, cut=0.25))
    r = requests.get(emu.base_url + REALIZE_PATH, headers={"Authorization": f"Bearer {_druva_token(emu)}"},
                     stream=True, timeout=5)
    raw = r.raw.read()  # the bytes on the wire, still gzipped
    assert r.headers["Content-Encoding"] == "gzip"
    assert int(r.headers["Content-Length"]) == len(raw)
    assert gzip.decompress(raw) == real[: len(real) // 4]


def test_faults_over_the_control_endpoint(emu: Emulator) -> None:
    for spec in ({"path": REALIZE_PATH, "cut": 0.5}, {"path": REALIZE_PATH, "html": True},
                 {"path": REALIZE_PATH, "poison_item": True}):
        created = requests.post(emu.base_url + "/_emulator/faults", json=spec, timeout=5)
        assert created.status_code == 201, created.text
        assert {k: created.json()[k] for k in spec} == spec
        with pytest.raises(ValueError, match=r"Expecting|escape|char"):
            _realize(emu).json()
    assert _realize(emu).json()["events"]
    for bad in ({"path": REALIZE_PATH, "cut": 2}, {"path": REALIZE_PATH, "bogus": 1}, [1]):
        r = requests.post(emu.base_url + "/_emulator/faults", json=bad, timeout=5)
        assert r.status_code == 400
        assert "fault" in r.json()["error"]


def test_fault_endpoints_are_off_unless_asked_for() -> None:
    with Emulator() as emu:
        IncydrService(emu, CLIENT, SECRET, events=5)
        for path in ("/_emulator/faults", "/_emulator/clock", "/_emulator/code42/settings"):
            r = requests.post(emu.base_url + path, json={"path": "/", "status": 500}, timeout=5)
            assert r.status_code == 404, path
        assert requests.get(emu.base_url + "/_emulator/stats", timeout=5).status_code == 200
        assert emu.faults == []
        assert emu.clock.offset == 0


def test_code42_403_on_file_events_leaves_sessions_and_audit_alone(emu: Emulator) -> None:
    emu.inject(Fault(path="/v2/file-events", status=403, body={"error": "Forbidden"}, count=-1))
    for _ in range(2):
        assert _code42("POST", "/v2/file-events", json=FILE_QUERY)(emu).status_code == 403
    assert _code42("GET", "/v1/sessions")(emu).status_code == 200
    assert _code42("POST", "/v1/audit/search-audit-log", json={"page": 0, "pageSize": 5})(emu).status_code == 200


def test_code42_backlog_of_20000_audit_events_and_8000_sessions() -> None:
    with Emulator() as emu:
        emu.clock.freeze()
        IncydrService(emu, CLIENT, SECRET, events=1000, audit_events=20_000, sessions=8_000, sessions_alerted=1.0,
                      rate_limit=0)
        count = _code42("POST", "/v1/audit/search-results-count", json={})(emu).json()["totalResultCount"]
        assert count == 20_000
        page = _code42("GET", "/v1/sessions", params={"page_size": 50, "page_number": 159})(emu).json()
        assert page["totalCount"] == 8_000
        assert len(page["items"]) == 50
        assert _code42("GET", "/v1/sessions", params={"page_size": 51})(emu).status_code == 400
