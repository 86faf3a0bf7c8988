"""No secret ever reaches stdout, stderr, health records or `c2c status`, even at debug level."""

from __future__ import annotations

import base64
import json

from c2c.emulator.core import Fault

from .conftest import CLIENT_ID, SECRET, SOURCE_NAME, TRACKER_PATH, source_doc

WRONG_SECRET = "Wr0ng-Secr3t-Kx9vLm-do-not-print"


def _forbidden(realize, *secrets):
    values = [*secrets, *realize.access_tokens]
    values += [base64.b64encode(f"{CLIENT_ID}:{s}".encode()).decode() for s in secrets]
    return [v for v in values if v]


def _assert_clean(texts, forbidden):
    for text in texts:
        for value in forbidden:
            assert value not in text


def test_no_secret_in_output_of_good_and_failing_runs(realize, write_config, run_c2c, state_dir):
    debug = ["--log-level", "debug"]
    good = write_config(source_doc(realize.base_url, secretKey="${C2C_TEST_SECRET}"), "good.json")
    env = {"C2C_TEST_SECRET": SECRET}
    texts = []

    ok = run_c2c([*debug, "run", good], env=env)
    assert ok.code == 0, ok.stderr
    texts += [ok.stdout, ok.stderr]

    realize.svc.add_events(3)
    realize.svc.issuer.expire_all()  # a refused bearer token, then a new one
    refreshed = run_c2c([*debug, "run", good], env=env)
    assert refreshed.code == 0
    texts += [refreshed.stdout, refreshed.stderr]

    realize.emu.inject(Fault(path=TRACKER_PATH, status=403, body={"message": "explicit deny"}, count=2))
    realize.svc.issuer.expire_all()
    denied = run_c2c([*debug, "run", good], env=env)
    assert denied.code == 4
    assert denied.health
    texts += [denied.stdout, denied.stderr]

    bad = write_config(source_doc(realize.base_url, name="wrong secret", secretKey=WRONG_SECRET), "bad.json")
    wrong = run_c2c([*debug, "--log-format", "json", "run", bad])
    assert wrong.code == 4
    assert len(wrong.health) == 1
    assert all(json.loads(line)["message"] for line in wrong.stderr.splitlines())  # JSON lines, for Vector
    texts += [wrong.stdout, wrong.stderr]

    status = run_c2c(["status"], ndjson=False)
    texts += [status.stdout, status.stderr]
    assert SOURCE_NAME in status.stdout

    assert len(realize.access_tokens) >= 3
    forbidden = _forbidden(realize, SECRET, WRONG_SECRET)
    _assert_clean(texts, forbidden)
    # The state file may cache the access token (mode 0600) but never holds a configured secret.
    for path in state_dir.glob("*.json"):
        _assert_clean([path.read_text()], [SECRET, WRONG_SECRET])


def test_config_errors_never_echo_secret_values(run_c2c, write_config):
    # Wrong type and unknown-key errors around secret values: the messages name keys, not values.
    doc = source_doc("https://apis.druva.com", secretKey=[WRONG_SECRET], clientID=None, clientId=WRONG_SECRET)
    result = run_c2c(["check", write_config(doc)])
    assert result.code == 3
    assert "source.config.secretKey" in result.stderr
    _assert_clean([result.stdout, result.stderr], [WRONG_SECRET])
