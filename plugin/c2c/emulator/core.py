"""The emulator's HTTP core: routing, request recording, fault injection and a virtual clock."""

from __future__ import annotations

import gzip
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from c2c.emulator.clock import Clock
from c2c.emulator.faults import Fault, altered, html_page
from c2c.emulator.messages import Request, Response

__all__ = ["Clock", "Emulator", "Fault", "Handler", "Request", "Response"]

log = logging.getLogger(__name__)

Handler = Callable[[Request], Response]


class Emulator:
    """Routes, recorded requests, faults and a virtual clock on one loopback HTTP server.

    `faults=True` also serves the control endpoints that change behaviour (`/_emulator/faults`,
    `/_emulator/clock` and each vendor's `/_emulator/<vendor>/...`); off, they answer 404, so an emulator
    started for `c2c demo` cannot be steered. The read-only `/_emulator/requests` and `/_emulator/stats`
    are always there, and the Python API (`inject`, `clock`) always works.
    """

    def __init__(self, *, faults: bool = False) -> None:
        self.faults_enabled = faults
        self.routes: dict[tuple[str, str], Handler] = {}
        self.prefix_routes: list[tuple[str, str, Handler]] = []
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.clock = Clock()
        self.lock = threading.RLock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.connections = 0
        # Serve gzip to clients that ask for it (Accept-Encoding), as real APIs do; off by default so
        # that tests reading raw bytes see what they expect.
        self.gzip = False
        self.gzip_min_bytes = 1024
        self.gzipped = 0  # responses served gzipped
        # What several services of one vendor share (Druva's single /token endpoint, for one).
        self.shared: dict[str, Any] = {}
        self.control("POST", "/_emulator/faults", self._ctl_fault)
        self.control("DELETE", "/_emulator/faults", self._ctl_clear)
        self.control("POST", "/_emulator/clock", self._ctl_clock)
        self.route("GET", "/_emulator/requests", self._ctl_requests)
        self.route("GET", "/_emulator/stats", self._ctl_stats)

    # ---- registration and control -------------------------------------------------------------
    def route(self, method: str, path: str, handler: Handler, *, prefix: bool = False) -> None:
        if prefix:
            self.prefix_routes.append((method, path, handler))
        else:
            self.routes[(method, path)] = handler

    def control(self, method: str, path: str, handler: Handler) -> None:
        """A control endpoint that changes behaviour: served only when the emulator has faults on."""
        assert path.startswith("/_emulator/"), path
        if self.faults_enabled:
            self.route(method, path, handler)

    def inject(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        fault = fault or Fault(**kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def requests_to(self, path: str, method: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    def _ctl_fault(self, req: Request) -> Response:
        spec = req.json()
        if not isinstance(spec, dict):
            return Response(400, {"error": "a fault is a JSON object of Fault fields"})
        try:
            return Response(201, asdict(self.inject(**spec)))
        except (TypeError, ValueError) as exc:
            return Response(400, {"error": f"bad fault: {exc}"})

    def _ctl_clear(self, req: Request) -> Response:
        self.clear_faults()
        return Response(204)

    def _ctl_clock(self, req: Request) -> Response:
        body = req.json() or {}
        if body.get("freeze"):
            self.clock.freeze()
        self.clock.advance(float(body.get("advance", 0)))
        return Response(200, {"now": self.clock.now()})

    def _ctl_requests(self, req: Request) -> Response:
        with self.lock:
            return Response(200, [{"method": r.method, "path": r.path, "query": r.query} for r in self.requests])

    def _ctl_stats(self, req: Request) -> Response:
        with self.lock:
            return Response(200, {"connections": self.connections, "requests": len(self.requests),
                                  "gzipped": self.gzipped})

    # ---- serving ------------------------------------------------------------------------------
    def dispatch(self, req: Request) -> tuple[Response, Fault | None]:
        fault = None
        with self.lock:
            if not req.path.startswith("/_emulator/"):
                self.requests.append(req)
            for n, f in enumerate(self.faults):
                if f.matches(req):
                    if f.skip > 0:
                        f.skip -= 1
                        continue
                    fault = f
                    if f.count > 0:
                        f.count -= 1
                        if f.count == 0:
                            del self.faults[n]
                    break
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.html:
                return self._hit(html_page(fault), fault)
            if fault.status is not None:
                return self._hit(Response(fault.status, fault.body, dict(fault.headers)), fault)
        handler = self.routes.get((req.method, req.path))
        if handler is None:
            for method, prefix, h in self.prefix_routes:
                if method == req.method and req.path.startswith(prefix):
                    handler = h
                    break
        if handler is None:
            return Response(404, {"code": "NotFound", "message": f"no route for {req.method} {req.path}"}), fault
        try:
            response = handler(req)
        except Exception as exc:  # a bug in the emulator must show, not hang the client
            log.exception("emulator handler failed")
            return Response(500, {"message": f"emulator error: {exc}"}), fault
        if fault is None:
            return response, None
        if fault.cut is not None or fault.poison_item:
            return self._alter_body(response, fault)
        return self._hit(response, fault)

    def _alter_body(self, response: Response, fault: Fault) -> tuple[Response, Fault | None]:
        changed = altered(response, fault)
        if changed is None:  # nothing to poison in this answer: serve it as is and wait for one that has
            self._rearm(fault)
            return response, None
        return self._hit(changed, fault)

    def _hit(self, response: Response, fault: Fault) -> tuple[Response, Fault]:
        with self.lock:
            fault.hits += 1
        return response, fault

    def _rearm(self, fault: Fault) -> None:
        with self.lock:
            if fault.count >= 0:
                fault.count += 1
            if all(f is not fault for f in self.faults):  # identity: equal faults may coexist
                self.faults.insert(0, fault)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real APIs do
            # Headers and body go out in two writes; without TCP_NODELAY, Nagle + delayed ACK adds ~40 ms each.
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms a response.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with emulator.lock:
                    emulator.connections += 1

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("emulator: %s", format % args)

            def _handle(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    method=self.command,
                    path=url.path,
                    query=parse_qs(url.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=emulator.clock.now(),
                )
                response, fault = emulator.dispatch(req)
                if fault is not None and fault.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.close_connection = True
                    return
                payload = response.encoded()
                if (emulator.gzip and len(payload) >= emulator.gzip_min_bytes
                        and "gzip" in req.headers.get("accept-encoding", "")
                        and not any(k.lower() == "content-encoding" for k in response.headers)):
                    payload = response.gzipped if response.gzipped is not None else gzip.compress(payload, 6)
                    response.headers["Content-Encoding"] = "gzip"
                    with emulator.lock:
                        emulator.gzipped += 1
                self.send_response(response.status)
                for k, v in response.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if fault is not None and fault.truncate:
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        # A short poll interval: stop() (and so every test teardown) returns in ~10 ms, not 0.5 s.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), name="c2c-emulator", daemon=True)
        self.thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self.server is not None, "emulator not started"
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> Emulator:
        if self.server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

