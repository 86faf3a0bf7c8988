"""The shipped Fluent Bit configs under a real Fluent Bit (5.1.1 with exec), against the emulator.

Each config runs as shipped with only paths and ports changed (`real_fluent_bit.localize`), and the
records are checked where Fluent Bit delivers them: its `http` output posting to a server in the test.
Kept short: interval_sec 1, one emulated Druva source of 250 events in pages of 100.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from c2c.output import MAX_LINE_BYTES

from .conftest import SECRETS, SETTINGS
from .real_fluent_bit import (
    FB_CONF,
    Collector,
    FluentBit,
    Local,
    c2c_children,
    fluent_bit_binary,
    get,
    iso_ms,
    kill_strays,
    localize,
    wait_until,
)

BINARY, LOOKED = fluent_bit_binary()
pytestmark = pytest.mark.skipif(BINARY is None, reason=f"no Fluent Bit binary (looked at {LOOKED})")

SCHEDULED = ["fluent-bit.conf", "fluent-bit.yaml", "fluent-bit-container.yaml"]
ONESHOT = ["fluent-bit-oneshot.conf", "fluent-bit-oneshot.yaml"]
ALL_CONFS = SCHEDULED + ONESHOT
ALL_IDS = list(range(1, SETTINGS.events + 1))
TRACKER = "/realize/eventmanagement/v1/events/tracker"


def test_every_fluent_bit_conf_is_tested() -> None:
    shipped = {p.name for p in FB_CONF.iterdir() if p.suffix in (".conf", ".yaml")}
    not_configs = {"c2c-parsers.conf", "outputs.yaml"}  # a parsers file; the container config's include
    assert shipped - not_configs == set(ALL_CONFS)


@pytest.fixture
def collector() -> Iterator[Collector]:
    with Collector().serving() as c:
        yield c


@pytest.fixture
def local(tmp_path: Path, sources_file: Path, collector: Collector) -> Iterator[Local]:
    loc = Local(sources=sources_file, state=tmp_path / "state", workdir=tmp_path / "fluent-bit",
                collector_port=collector.port)
    yield loc
    kill_strays(str(loc.state))  # a c2c child orphaned by a killed Fluent Bit must not outlive the test


def fluent_bit(conf: str, local: Local, env: dict[str, str], name: str = "fluent-bit") -> FluentBit:
    assert BINARY is not None
    return FluentBit(BINARY, localize(FB_CONF / conf, local), env, local.workdir / f"{name}.log")


def checkpointed_events(local: Local) -> int:
    (state,) = local.state.glob("*.json")
    return int(json.loads(state.read_text(encoding="utf-8")).get("eventsEmitted", 0))


def assert_delivered_as_c2c_wrote_them(collector: Collector) -> None:
    for d in collector.records:
        assert abs(d.date - iso_ms(d.record["_time"])) < 0.0005, d.record  # the record time is `_time`
        if d.tag == "c2c.events":
            assert d.record["_dataType"] == "realizeEvents"
            assert d.record["_source"] == "Druva Cyber Resilience"
            assert d.record["environment"] == "production"  # the example config's custom field
            assert iso_ms(d.record["_time"]) == d.record["occurenceTime"]  # ... which is the event's own time


@pytest.mark.parametrize("conf", ALL_CONFS)
def test_conf_delivers_every_record_once_with_its_own_time(conf: str, local: Local, collector: Collector,
                                                          emulator: Any, env: dict[str, str]) -> None:
    with fluent_bit(conf, local, env) as fb:
        wait_until(lambda: len(collector.event_ids()) >= SETTINGS.events, 30, "all events delivered", fb)
        emulator.realize.add_events(20)  # the next run (scheduled) or poll (oneshot: after pollInterval)
        if conf in SCHEDULED:
            wait_until(lambda: len(collector.event_ids()) >= SETTINGS.events + 20, 30, "new events delivered", fb)
        fb.signal(signal.SIGTERM)
        assert fb.wait(30) == 0, fb.log()[-3000:]
    expected = ALL_IDS + (list(range(SETTINGS.events + 1, SETTINGS.events + 21)) if conf in SCHEDULED else [])
    assert collector.event_ids() == expected  # every one, once, in order
    assert_delivered_as_c2c_wrote_them(collector)
    assert SECRETS["DRUVA_SECRET_KEY"] not in fb.log()



def grace(conf: str) -> float:
    text = (FB_CONF / conf).read_text(encoding="utf-8")
    found = [line.split()[-1] for line in text.splitlines() if line.strip().lower().startswith(("grace", "grace:"))]
    return float(found[0]) if found else 5.0  # Fluent Bit's default


# Fluent Bit 5.1.1 stops reading the exec input when its shutdown starts (flb_engine_stop_ingestion) and
# only then SIGTERMs the child: c2c therefore neither writes nor checkpoints a page fetched after the stop
# signal (Pipeline.step), and the next run fetches it again. These tests hold that no event is lost.


def sigterm_mid_page(conf: str, local: Local, collector: Collector, emulator: Any, env: dict[str, str]) -> None:
    """Fluent Bit SIGTERMed while c2c waits for page 2: it stops inside its Grace, c2c with it."""
    from c2c.emulator.core import Fault

    emulator.inject(Fault(path=TRACKER, delay=2.0, skip=1, count=1))  # page 2 is slow: SIGTERM lands in it
    with fluent_bit(conf, local, env) as fb:
        wait_until(lambda: len(emulator.requests_to(TRACKER)) >= 2 and len(collector.event_ids()) >= 100, 30,
                   "page 1 delivered and page 2 requested", fb)
        started = time.monotonic()
        fb.signal(signal.SIGTERM)
        assert fb.wait(grace(conf) + 5) == 0
        assert time.monotonic() - started <= grace(conf)
    wait_until(lambda: not c2c_children(str(local.state)), 10, "c2c exited after Fluent Bit's SIGTERM")
    assert "received SIGTERM" in fb.log()  # c2c's own log line: Fluent Bit did signal it
    assert collector.event_ids()[:100] == ALL_IDS[:100]
    assert checkpointed_events(local) >= 100  # page 1 delivered, and checkpointed


@pytest.mark.parametrize("conf", ALL_CONFS)
def test_sigterm_mid_page_stops_inside_grace(conf: str, local: Local, collector: Collector, emulator: Any,
                                             env: dict[str, str]) -> None:
    sigterm_mid_page(conf, local, collector, emulator, env)


@pytest.mark.parametrize("conf", ["fluent-bit.yaml", "fluent-bit-oneshot.conf"])  # one scheduled, one oneshot
def test_sigterm_mid_page_loses_nothing_across_the_restart(conf: str, local: Local, collector: Collector,
                                                          emulator: Any, env: dict[str, str]) -> None:
    sigterm_mid_page(conf, local, collector, emulator, env)
    first = collector.event_ids()
    left = SETTINGS.events - checkpointed_events(local)
    # The restart takes over from the checkpoint: together the two runs delivered every event.
    with fluent_bit(conf, local, env, name="restarted") as again:
        wait_until(lambda: len(collector.event_ids()) >= len(first) + left, 30, "the restart caught up", again)
        again.signal(signal.SIGTERM)
        again.wait(grace(conf) + 5)
    missing = sorted(set(ALL_IDS) - set(collector.event_ids()))
    assert missing == [], f"lost across SIGTERM: {len(missing)} events ({missing[0]}..{missing[-1]})"


@pytest.mark.parametrize("conf", ALL_CONFS)
def test_health_records_are_retagged_c2c_health(conf: str, local: Local, collector: Collector, emulator: Any,
                                                env: dict[str, str]) -> None:
    with fluent_bit(conf, local, {**env, "DRUVA_SECRET_KEY": "wrong-secret"}) as fb:
        wait_until(lambda: collector.tagged("c2c.health"), 30, "a health record delivered", fb)
        fb.signal(signal.SIGTERM)
        fb.wait(grace(conf) + 5)
    (health,) = collector.tagged("c2c.health")
    assert collector.tagged("c2c.events") == []  # rewrite_tag moved it (keep false): not at the events output
    assert health["_dataType"] == "health"
    assert (health["eventName"], health["status"]) == ("ThirdPartyConfigError", "UnHealthy")
    assert_delivered_as_c2c_wrote_them(collector)
    assert "wrong-secret" not in json.dumps(health) + fb.log()


@pytest.mark.parametrize("conf", ["fluent-bit.conf", "fluent-bit-oneshot.yaml"])
def test_a_1_mib_line_is_delivered_whole(conf: str, local: Local, collector: Collector, emulator: Any,
                                         env: dict[str, str]) -> None:
    (big,) = emulator.realize.add_events(1)
    big["details"]["attachment"] = "A" * (MAX_LINE_BYTES - 2048)  # the line: just under c2c's 1 MiB limit
    emulator.realize.add_events(5)
    with fluent_bit(conf, local, env) as fb:
        wait_until(lambda: len(collector.event_ids()) >= SETTINGS.events + 6, 30, "all events delivered", fb)
        fb.signal(signal.SIGTERM)
        fb.wait(grace(conf) + 5)
    assert collector.event_ids() == list(range(1, SETTINGS.events + 7))
    (delivered,) = [r for r in collector.tagged("c2c.events") if r["id"] == big["id"]]
    assert delivered["details"]["attachment"] == big["details"]["attachment"]
    assert "_truncated" not in delivered
    assert len(json.dumps(delivered, separators=(",", ":"))) > MAX_LINE_BYTES - 2048


def test_filesystem_buffer_survives_sigkill_mid_run(local: Local, collector: Collector, emulator: Any,
                                                    env: dict[str, str]) -> None:
    """The container config (storage.type filesystem): Fluent Bit SIGKILLed while c2c collects and the
    destination is down, then restarted with the destination back: every event arrives."""
    from c2c.emulator.core import Fault

    collector.accepting = False
    emulator.inject(Fault(path=TRACKER, delay=3.0, skip=1, count=1))  # the kill lands while page 2 is fetched
    with fluent_bit("fluent-bit-container.yaml", local, env) as fb:
        wait_until(lambda: len(collector.refused) >= 100 and len(emulator.requests_to(TRACKER)) >= 2, 30,
                   "page 1 buffered (its delivery refused) and page 2 requested", fb)
        assert get(f"http://127.0.0.1:{local.http_port}/api/v1/health") == (200, "ok\n")
        fb.signal(signal.SIGKILL)
        fb.wait(10)
    wait_until(lambda: not c2c_children(str(local.state)), 10, "the orphaned c2c exited")
    assert collector.records == []
    assert list(local.storage.rglob("*.flb")), "nothing buffered on disk"
    collector.accepting = True
    with fluent_bit("fluent-bit-container.yaml", local, env, name="restarted") as again:
        wait_until(lambda: set(collector.event_ids()) >= set(ALL_IDS), 30, "every event delivered", again)
        again.signal(signal.SIGTERM)
        again.wait(40)
    ids = collector.event_ids()
    assert sorted(set(ids)) == ALL_IDS
    print("duplicates:", len(ids) - len(set(ids)))
