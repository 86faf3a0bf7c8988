"""Reliability harness: the table of source scenarios and a Harness that runs c2c against the emulator.

Each attack test is parametrized over SCENARIOS, so a new source joins every attack by adding one row:
how to attach its emulated service, its config, how to name an output record's event id, the ids the
vendor holds, which paths are data and token calls, and how to expire its access token and its cursor
(tracker / progress cookie / page token).
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c2c import cli
from c2c.emulator import Emulator, Fault, Request, Response
from c2c.emulator.druva import TRACKER_TTL, RealizeService

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugin"

# Timing knobs (documented in docs/reliability.md): in-run retries are near-instant, a Retry-After above
# 5 s ends the run, and the between-run backoff keeps its real 30 s base so nextAttempt lies in the future.
FAST_ENV = {
    "C2C_RETRY_TRIES": "4",
    "C2C_RETRY_BASE_SECONDS": "0.01",
    "C2C_RETRY_CAP_SECONDS": "0.05",
    "C2C_RETRY_MAX_WAIT_SECONDS": "5",
}
REQUEST_TIMEOUT = 0.2  # the config's requestTimeout extension in every scenario config
CLIENT_ID = "rel-client"
SECRET = "rel-secret-Zq8vX2mK"


@dataclass(frozen=True)
class Scenario:
    """How the attack tests drive one source type."""

    id: str
    source_type: str
    attach: Callable[..., Any]  # (emu, *, events, page_size, seed, client_id, secret) -> service
    config: Callable[[str, str, str], dict[str, Any]]  # (base_url, client_id, secret) -> source.config
    event_id: Callable[[dict[str, Any]], Hashable]  # the vendor id of an output record
    expected_ids: Callable[[Any], set[Hashable]]  # every id the vendor holds
    add_events: Callable[[Any, int], None]
    data_path: str  # faults on this path prefix hit data calls
    token_path: str | None  # and on this one the token endpoint (None: no token endpoint)
    expire_tokens: Callable[[Any], None]  # every issued access token is expired from now on
    expire_cursor: Callable[[Emulator, Any], None]  # the persisted tracker/cookie/page token expires
    set_secret: Callable[[Any, str], None]  # the vendor now accepts this secret (the operator fixed it)
    access_tokens: Callable[[Any], list[str]]  # every access token the vendor issued (never printed)
    secrets: Callable[[str], list[str]] = field(default=lambda secret: [secret])  # values that must never leak


def _druva_cr_attach(emu: Emulator, *, events: int, page_size: int, seed: int, client_id: str, secret: str) -> Any:
    return RealizeService(emu, client_id, secret, seed=seed, events=events, page_size=page_size, token_ttl=1800)


def _druva_cr_set_secret(service: RealizeService, secret: str) -> None:
    service.issuer.secret = secret


SCENARIOS = [
    Scenario(
        id="druva_cyber_resilience",
        source_type="Druva Cyber Resilience",
        attach=_druva_cr_attach,
        config=lambda url, client_id, secret: {
            "name": "Druva CR (reliability)",
            "category": "reliability/druva-cr",
            "baseURL": url,
            "clientID": client_id,
            "secretKey": secret,
            "requestTimeout": REQUEST_TIMEOUT,
        },
        event_id=lambda rec: rec["id"],
        expected_ids=lambda svc: {e["id"] for e in svc.store},
        add_events=lambda svc, n: svc.add_events(n),
        data_path="/realize/",
        token_path="/token",
        expire_tokens=lambda svc: svc.issuer.expire_all(),
        # Past the 48 h tracker lifetime (the access token expires too): ignoreTrackerExpiry=true must carry on.
        expire_cursor=lambda emu, svc: emu.clock.advance(TRACKER_TTL + 3600),
        set_secret=_druva_cr_set_secret,
        access_tokens=lambda svc: list(svc.issuer.tokens),
        secrets=lambda secret: [secret, base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()],
    ),
]


def wrap(source_type: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"api.version": "v1", "source": {"config": config, "schemaRef": {"type": source_type},
                                            "sourceType": "Universal"}}


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("_dataType") != "health"]

    @property
    def health(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("_dataType") == "health"]


class Harness:
    """One emulated vendor on 127.0.0.1, one config file, one state directory."""

    def __init__(self, scenario: Scenario, tmp: Path, *, events: int = 1000, page_size: int = 100, seed: int = 7,
                 secret: str = SECRET) -> None:
        self.scenario = scenario
        self.tmp = tmp
        self.emu = Emulator()
        self.service = scenario.attach(self.emu, events=events, page_size=page_size, seed=seed,
                                       client_id=CLIENT_ID, secret=secret)
        self.emu.start()
        self.secret = secret
        self.config_path = tmp / "source.json"
        self.state_dir = tmp / "state"
        self.write_config()

    # ---- setup ---------------------------------------------------------------------------------
    def write_config(self, **overrides: Any) -> None:
        config = self.scenario.config(self.emu.base_url, CLIENT_ID, self.secret)
        config.update(overrides)
        self.config_path.write_text(json.dumps(wrap(self.scenario.source_type, config)), encoding="utf-8")

    @property
    def name(self) -> str:
        return str(json.loads(self.config_path.read_text())["source"]["config"]["name"])

    def fault(self, where: str = "data", **kwargs: Any) -> Fault:
        path = self.scenario.data_path if where == "data" else self.scenario.token_path
        assert path is not None, f"{self.scenario.id} has no {where} endpoint"
        return self.emu.inject(Fault(path=path, **kwargs))

    def wrap_routes(self, where: str, wrapper: Callable[[Callable[[Request], Response]], Callable[[Request], Response]]
                    ) -> None:
        """Wrap the emulator handlers of the data (or token) endpoints."""
        prefix = self.scenario.data_path if where == "data" else self.scenario.token_path
        assert prefix is not None
        for key, handler in list(self.emu.routes.items()):
            if key[1].startswith(prefix):
                self.emu.routes[key] = wrapper(handler)
        for i, (method, path, handler) in enumerate(self.emu.prefix_routes):
            if path.startswith(prefix):
                self.emu.prefix_routes[i] = (method, path, wrapper(handler))

    def expire_tokens_after(self, data_requests: int) -> None:
        """Expire every access token once `data_requests` data calls have been answered (mid-run)."""
        counter = {"n": 0}

        def wrap_handler(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
            def wrapped(req: Request) -> Response:
                response = handler(req)
                counter["n"] += 1
                if counter["n"] == data_requests:
                    self.scenario.expire_tokens(self.service)
                return response
            return wrapped

        self.wrap_routes("data", wrap_handler)

    # ---- observing ---------------------------------------------------------------------------------
    def data_requests(self) -> int:
        return sum(1 for r in self.emu.requests if r.path.startswith(self.scenario.data_path))

    def token_requests(self) -> int:
        path = self.scenario.token_path
        return 0 if path is None else sum(1 for r in self.emu.requests if r.path.startswith(path))

    def state_file(self) -> Path:
        files = [p for p in self.state_dir.glob("*.json") if not p.name.startswith(".")]
        assert len(files) == 1, files
        return files[0]

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_file().read_text())

    def pass_backoff(self) -> None:
        """Let the persisted backoff elapse (as if the operator's scheduler ran again later)."""
        path = self.state_file()
        data = json.loads(path.read_text())
        assert data.get("nextAttempt"), "no nextAttempt persisted"
        data["nextAttempt"] = time.time() - 1
        path.write_text(json.dumps(data))

    def ids(self, records: list[dict[str, Any]]) -> list[Hashable]:
        return [self.scenario.event_id(r) for r in records if r.get("_dataType") != "health"]

    def expected(self) -> set[Hashable]:
        return self.scenario.expected_ids(self.service)

    # ---- running c2c ---------------------------------------------------------------------------------
    def run(self, *extra: str, command: str = "run", log_level: str = "INFO", log_format: str = "text") -> Result:
        """`c2c run CONFIG --state-dir D` in-process (the same code path as the console script)."""
        argv = ["--log-level", log_level, "--log-format", log_format, command, str(self.config_path),
                "--state-dir", str(self.state_dir), *extra]
        return run_main(argv)

    def spawn(self, *extra: str, stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE,
              log_level: str = "WARNING", env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`python -m c2c run` as a real process (for signals, kills and pipes)."""
        argv = [sys.executable, "-m", "c2c", "--log-level", log_level, "run", str(self.config_path),
                "--state-dir", str(self.state_dir), *extra]
        return subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=subprocess_env(env))

    def close(self) -> None:
        self.emu.stop()


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **FAST_ENV, "PYTHONPATH": str(PLUGIN)}
    env.pop("C2C_STATE_DIR", None)
    env.update(extra or {})
    return env


def run_main(argv: list[str]) -> Result:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    saved = sys.stdout, sys.stderr, cli._handle_signals
    sys.stdout, sys.stderr = out, err
    cli._handle_signals = lambda stop: None  # keep pytest's own SIGINT handling
    try:
        code = cli.main(argv)
    finally:
        sys.stdout, sys.stderr, cli._handle_signals = saved
    out.flush()
    return Result(code, out.buffer.getvalue(), err.getvalue())
