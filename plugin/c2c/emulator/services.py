"""Every emulated vendor API on one Emulator, and the source configs that point at it.

A vendor module contributes one `Vendor` entry: how to attach its routes and the demo source config
that collects from them. The demo, `c2c emulator` and the tests all go through this list.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from c2c.emulator.code42 import IncydrService
from c2c.emulator.core import Emulator
from c2c.emulator.druva import RealizeService
from c2c.emulator.insync import DEMO_USERNAME, insync_service
from c2c.errors import UsageError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    seed: int = 1
    events: int = 250
    page_size: int = 100
    token_ttl: float = 1800
    client_id: str = "demo-client"
    secret: str = "demo-secret"


@dataclass(frozen=True)
class Vendor:
    name: str
    attach: Callable[[Emulator, Settings], Any]
    demo_config: Callable[[str, Settings], dict[str, Any]]


def _oauth(s: Settings) -> dict[str, Any]:
    return {"clientID": s.client_id, "secretKey": s.secret}


def _demo(source_type: str, name: str, category: str, keys: Callable[[Settings], dict[str, Any]],
          **extra: Any) -> Callable[[str, Settings], dict[str, Any]]:
    """A demo source config in Sumo's JSON shape; each vendor entry says only what differs.

    Nothing the schemas default is written here (inSync's `format`, Code42's `dataCollection`, poll
    intervals, timeouts): the demo collects with the defaults a user gets, read from the schemas by the
    config loader, so a default is stated in one place only."""

    def config(url: str, s: Settings) -> dict[str, Any]:
        cfg = {"name": name, "category": category, "fields": {"env": "demo"}, "baseURL": url, **keys(s), **extra}
        return {"api.version": "v1", "source": {"config": cfg, "schemaRef": {"type": source_type},
                                                "sourceType": "Universal"}}

    return config


VENDORS: list[Vendor] = [
    Vendor(
        "druva_cyber_resilience",
        lambda emu, s: RealizeService(emu, s.client_id, s.secret, seed=s.seed, events=s.events,
                                      page_size=s.page_size, token_ttl=s.token_ttl),
        _demo("Druva Cyber Resilience", "Druva Cyber Resilience (demo)", "druva-cyber-resilience",
              _oauth),
    ),
    # One inSync service serves both APIs; the two entries attach it once and collect it both ways.
    Vendor(
        "druva_insync_v1",
        lambda emu, s: _insync(emu, s),
        _demo("Druva inSync", "Druva inSync v1 (demo)", "druva-insync",
              lambda s: {"username": DEMO_USERNAME, "token": s.secret}),
    ),
    Vendor(
        "druva_insync_v2",
        lambda emu, s: _insync(emu, s),
        _demo("Druva inSync", "Druva inSync v2 (demo)", "druva-insync", _oauth),
    ),
    Vendor(
        "code42_incydr",
        lambda emu, s: IncydrService(emu, s.client_id, s.secret, seed=s.seed, events=s.events, token_ttl=s.token_ttl),
        _demo("Code42Incydr", "Code42 Incydr (demo)", "code42", _oauth),
    ),
]


def _insync(emu: Emulator, s: Settings) -> Any:
    return insync_service(emu, client_id=s.client_id, secret=s.secret, api_token=s.secret, seed=s.seed,
                          events=s.events, page_size=s.page_size, token_ttl=s.token_ttl)


def start_all(settings: Settings, *, faults: bool = False) -> tuple[Emulator, dict[str, Any]]:
    emu = Emulator(faults=faults)
    services = {v.name: v.attach(emu, settings) for v in VENDORS}
    emu.start()
    return emu, services


def demo_configs(base_url: str, settings: Settings) -> list[dict[str, Any]]:
    return [v.demo_config(base_url, settings) for v in VENDORS]


def serve_forever(args: argparse.Namespace) -> int:
    settings = Settings(seed=args.seed, events=args.events, page_size=args.page_size, token_ttl=args.token_ttl)
    emu = Emulator(faults=bool(getattr(args, "faults", False)))
    for v in VENDORS:
        v.attach(emu, settings)
    emu.gzip = bool(getattr(args, "gzip", False))
    try:
        emu.start(port=args.port)
    except (OSError, OverflowError) as exc:  # port in use, privileged, or out of range: the operator's to fix
        raise UsageError(f"emulator: cannot listen on 127.0.0.1:{args.port} ({getattr(exc, 'strerror', None) or exc})"
                         ) from exc
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # The one stdout line: where the APIs are and configs that collect from them, for scripts and tests.
    ready = {"baseURL": emu.base_url, "clientID": settings.client_id, "secretKey": settings.secret,
             "configs": demo_configs(emu.base_url, settings)}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    log.info("c2c emulator: serving on %s (Ctrl-C to stop)", emu.base_url)
    stop.wait()
    emu.stop()
    return 0
