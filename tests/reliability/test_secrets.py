"""Secrets never reach stdout, stderr, health records or logs, at any log level, whatever the vendor sends back;
the state file (which holds the cached access token by design) is 0600 in a 0700 directory."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from c2c.emulator import Request, Response

from .harness import Harness, Result, Scenario, run_main, scenario_params

SECRET = "Zx9-UNIQUE-secret-4471-qWv"


def _echo(status: int) -> Callable[[Callable[[Request], Response]], Callable[[Request], Response]]:
    """A vendor (or proxy) that echoes our request, credentials included, in its error body."""
    def wrapper(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def echo(req: Request) -> Response:
            return Response(status, {"message": "denied", "echo": {"authorization": req.headers.get("authorization"),
                                                                   "body": req.body.decode()}})
        return echo
    return wrapper


def _attack_none(h: Harness) -> None:
    pass


def _attack_echo_5xx(h: Harness) -> None:
    h.wrap_routes("data", _echo(500))


def _attack_echo_token_400(h: Harness) -> None:
    h.wrap_routes("token", _echo(400))


def _attack_echo_401(h: Harness) -> None:
    h.wrap_routes("data", _echo(401))


def _attack_token_expiry(h: Harness) -> None:
    h.expire_tokens_after(2)


def _attack_timeouts(h: Harness) -> None:
    h.fault("data", delay=0.5, count=-1, skip=1)


ATTACKS = {
    "clean": _attack_none,
    "5xx-echoing-credentials": _attack_echo_5xx,
    "token-400-echoing-credentials": _attack_echo_token_400,
    "401-echoing-bearer": _attack_echo_401,
    "token-expiry": _attack_token_expiry,
    "timeouts": _attack_timeouts,
}


def _assert_no_secret(h: Harness, *outputs: bytes | str) -> None:
    forbidden = h.scenario.secrets(SECRET) + h.scenario.access_tokens(h.service)
    for out in outputs:
        text = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
        for value in forbidden:
            assert value not in text, f"secret {value[:4]}… leaked"


def _assert_state_private(h: Harness) -> None:
    assert stat.S_IMODE(h.state_dir.stat().st_mode) == 0o700
    for p in h.state_dir.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    text = h.state_file().read_text()
    for value in h.scenario.secrets(SECRET):
        assert value not in text, "the state holds the access token, never the secret itself"


NEEDS_TOKEN = {"token-400-echoing-credentials", "token-expiry"}


def _applies(s: Scenario, attack: str) -> bool:
    if attack == "timeouts" and s.fault_kinds is not None and "timeout" not in s.fault_kinds:
        return False  # the row's fault kinds leave timeouts to the reference row
    return s.has_token or attack not in NEEDS_TOKEN


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize(("scenario", "attack"), scenario_params(ATTACKS, _applies))
def test_secrets_never_printed(make_harness, attack: str, log_format: str) -> None:
    h: Harness = make_harness(events=300, page_size=100, secret=SECRET)
    ATTACKS[attack](h)
    r: Result = h.run(log_level="DEBUG", log_format=log_format)
    assert r.code in (0, 4, 5), r.stderr
    if attack not in ("clean", "token-expiry"):
        assert r.health, "the attack produced health records to inspect"
    _assert_no_secret(h, r.stdout, r.stderr)
    status = run_main(["--log-level", "DEBUG", "status", "--state-dir", str(h.state_dir), str(h.config_path)])
    check = run_main(["--log-level", "DEBUG", "check", str(h.config_path)])
    _assert_no_secret(h, status.stdout, status.stderr, check.stdout, check.stderr)
    _assert_state_private(h)


def test_secrets_never_printed_by_the_process_at_debug(make_harness, tmp_path: Path) -> None:
    h: Harness = make_harness(events=300, page_size=100, secret=SECRET)
    h.expire_tokens_after(1)
    h.wrap_routes("data", lambda handler: (lambda req: _echo(503)(handler)(req) if h.scenario.cursor_in(req)
                                           else handler(req)))
    proc = h.spawn(log_level="DEBUG")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 5, err.decode()
    assert b"retry" in err, "the debug log covered the failure path"
    _assert_no_secret(h, out, err)
    _assert_state_private(h)
