"""What a run asks of the vendor: one TCP connection for all its pages, gzip accepted, and nothing but one
request per data type when there is nothing new and the token is cached."""

from __future__ import annotations

from .conftest import TOKEN_PATH, TRACKER_PATH


def test_a_run_uses_one_connection_for_the_token_and_every_page(served, conf, run):
    result = run("run", conf)

    assert result.code == 0, result.stderr
    assert [r["id"] for r in result.records] == [e["id"] for e in served.svc.store]
    paths = served.paths()
    assert paths.count(TOKEN_PATH) == 1
    assert paths.count(TRACKER_PATH) == 5  # 230 events in pages of 50
    assert served.emu.connections == 1


def test_gzip_is_asked_for_and_decoded(served, conf, run):
    served.emu.gzip = True

    result = run("run", conf)

    assert result.code == 0, result.stderr
    assert all("gzip" in r.headers.get("accept-encoding", "") for r in served.emu.requests)
    assert served.emu.gzipped >= 4  # every full page went over the wire compressed
    assert [r["id"] for r in result.records] == [e["id"] for e in served.svc.store]
    assert result.records[0]["details"] == served.svc.store[0]["details"]


def test_an_idle_run_sends_one_request_and_no_token_request(served, conf, run):
    assert run("run", conf).code == 0
    served.reset()

    idle = run("run", conf)

    assert idle.code == 0, idle.stderr
    assert idle.records == []
    assert served.paths() == [TRACKER_PATH]
    assert served.emu.connections == 1

    served.svc.add_events(3)
    served.reset()
    more = run("run", conf)
    assert [r["id"] for r in more.records] == [231, 232, 233]
    assert served.paths() == [TRACKER_PATH]  # the cached token still serves
