"""Sessions are re-emitted when any of their content changes (states, stateV2, scores, endTime, lastUpdated: a
hash of the session is compared, not lastUpdated alone), and no record gets a 1970 `_time`: a zero or missing
time falls back to the next documented time field (lastUpdated, endTime, beginTime), then the collection time."""

from __future__ import annotations

import copy

from c2c.emulator.core import Fault

PATH = "/v1/sessions"


def _session(now_ms: int, sid: str, **changes):
    base = {"sessionId": sid, "tenantId": "t", "actorId": "a", "type": "STANDARD",
            "beginTime": now_ms - 3_600_000, "endTime": now_ms - 1_800_000, "lastUpdated": now_ms - 600_000,
            "states": [{"state": "OPEN", "stateV2": "OPEN", "sourceTimestamp": now_ms - 3_000_000}],
            "scores": [{"score": 5, "severity": 2, "sourceTimestamp": now_ms - 3_000_000}],
            "triggeredAlerts": [{"alertId": f"alert-{sid}"}]}
    base.update(changes)
    return base


def _serve(h, items):
    h.emu.inject(Fault(path=PATH, status=200, body={"items": items, "totalCount": len(items)}, count=1))


def test_a_session_is_re_emitted_when_its_states_or_scores_change_with_the_same_last_updated(incydr):
    h = incydr(events=10, sessions=0)
    h.extra = {"dataCollection": ["alerts"]}
    now_ms = int(h.emu.clock.now() * 1000)
    session = _session(now_ms, "s-1")
    _serve(h, [session])
    assert [s["sessionId"] for s in h.run().of("alerts")] == ["s-1"]

    _serve(h, [copy.deepcopy(session)])
    assert h.run().of("alerts") == [], "unchanged: not emitted again"

    closed = copy.deepcopy(session)  # an analyst closes it: lastUpdated stays
    closed["states"].append({"state": "CLOSED", "stateV2": "CLOSED_TP_BENIGN", "sourceTimestamp": now_ms})
    _serve(h, [closed])
    [again] = h.run().of("alerts")
    assert again["states"][-1]["stateV2"] == "CLOSED_TP_BENIGN"

    rescored = copy.deepcopy(closed)
    rescored["scores"].append({"score": 9, "severity": 4, "sourceTimestamp": now_ms})
    _serve(h, [rescored])
    assert [s["scores"][-1]["score"] for s in h.run().of("alerts")] == [9]


def test_a_zero_time_falls_back_to_the_next_time_field_never_1970(incydr):
    h = incydr(events=10, sessions=0)
    h.extra = {"dataCollection": ["alerts"]}
    now_ms = int(h.emu.clock.now() * 1000)
    items = [_session(now_ms, "no-update", lastUpdated=0),
             _session(now_ms, "no-update-no-end", lastUpdated=0, endTime=0),
             _session(now_ms, "nothing", lastUpdated=0, endTime=None, beginTime=0)]
    _serve(h, items)
    run = h.run()
    times = {r["sessionId"]: r["_time"] for r in run.of("alerts")}
    assert times["no-update"].startswith(_iso(now_ms - 1_800_000)[:16])  # endTime
    assert times["no-update-no-end"].startswith(_iso(now_ms - 3_600_000)[:16])  # beginTime
    assert not times["nothing"].startswith("1970")  # the collection time
    assert all(not t.startswith("1970") for t in times.values())


def _iso(ms: int) -> str:
    from c2c import timefmt

    return timefmt.from_epoch_ms(ms)


def test_a_state_from_an_older_c2c_re_emits_only_the_sessions_whose_last_updated_moved(incydr):
    """An older c2c saved [beginTime, lastUpdated] per session: the upgrade must not re-send every session."""
    import json

    from c2c.state import StateStore

    h = incydr(events=10, sessions=0)
    h.extra = {"dataCollection": ["alerts"]}
    now_ms = int(h.emu.clock.now() * 1000)
    same, moved = _session(now_ms, "same"), _session(now_ms, "moved")
    _serve(h, [same, moved])
    assert len(h.run().of("alerts")) == 2
    store = StateStore(h.state_dir)
    path = store.path_for("incydr-test")
    data = json.loads(path.read_text())
    old = {s["sessionId"]: [s["beginTime"], s["lastUpdated"]] for s in (same, moved)}
    data["cursors"]["alerts"] = {"sessions": old}
    path.write_text(json.dumps(data))

    later = copy.deepcopy(moved)
    later["lastUpdated"] += 60_000
    _serve(h, [copy.deepcopy(same), later])
    assert [s["sessionId"] for s in h.run().of("alerts")] == ["moved"]
    _serve(h, [copy.deepcopy(same), later])
    assert h.run().of("alerts") == [], "from then on, by content hash"
