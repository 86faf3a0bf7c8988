"""Run the built image against `c2c emulator` on this host (deploy/test-image.sh calls it; pytest does not).

    python tests/deploy/image_check.py IMAGE

The container runs the image's own Fluent Bit config (only interval_sec shortened, --max-seconds 0 so
each run takes one page: the collection spans several runs and the restart) with the source config and
the state volume mounted and the secrets in its environment. Checks: /api/v1/health answers, records
reach the image's stdout output, c2c runs as the image's non-root user and keeps its state in the volume,
and a second container on the same volume carries on from the checkpoint with nothing repeated.
buildah's chroot isolation shares this host's network, so the emulator on 127.0.0.1 is reachable.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EVENTS = 250  # in pages of 100: three c2c runs
HEALTH_PORT = 2020  # the image's http_port (conf/fluent-bit/fluent-bit-container.yaml)
UID = 10001  # the image's user (deploy/Containerfile)


def wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"image check failed: {what} (not within {timeout:g}s)")
        time.sleep(0.2)


def health() -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{HEALTH_PORT}/api/v1/health", timeout=2) as resp:
            return str(resp.read().decode())
    except OSError:
        return ""


class Container:
    """`buildah run` of the image's entrypoint; its stdout (the image's stdout outputs) goes to a file."""

    def __init__(self, image: str, mounts: dict[Path, str], env: dict[str, str], out: Path) -> None:
        self.ctr = subprocess.run(["buildah", "from", "--pull=never", image], check=True, capture_output=True,
                                  text=True).stdout.strip()
        # `buildah run` mounts the image's own VOLUME /var/lib/c2c (an anonymous one) and --volume at the same
        # path in no fixed order: half the runs got the anonymous one (seen here). Docker, Podman and Kubernetes
        # let the explicit mount win; drop the declaration from this working container so buildah does too.
        subprocess.run(["buildah", "config", "--volume", "/var/lib/c2c-", self.ctr], check=True, capture_output=True)
        argv = ["buildah", "run"]
        for host, inside in mounts.items():
            argv += ["--volume", f"{host}:{inside}"]
        for k, v in env.items():
            argv += ["--env", f"{k}={v}"]
        self.out = out
        with out.open("wb") as f:
            self.proc = subprocess.Popen([*argv, self.ctr, "--", "fluent-bit", "-c", "/etc/fluent-bit/fluent-bit.yaml"],
                                         stdout=f, stderr=subprocess.STDOUT, start_new_session=True)

    def records(self) -> list[dict[str, Any]]:
        found = []
        for line in self.out.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def events(self) -> list[int]:
        return [r["id"] for r in self.records() if r.get("_dataType") == "realizeEvents"]

    def fluent_bit_pid(self) -> int | None:
        """The container's Fluent Bit: in buildah's session (chroot isolation: no pid namespace)."""
        for proc in Path("/proc").iterdir():
            try:
                if (proc.name.isdigit() and os.getsid(int(proc.name)) == self.proc.pid
                        and (proc / "cmdline").read_bytes().split(b"\0")[0].endswith(b"fluent-bit")):
                    return int(proc.name)
            except OSError:
                continue
        return None

    def stop(self) -> None:
        """SIGTERM to Fluent Bit itself, as a container runtime's stop does (buildah, signalled, would
        SIGKILL it: then Fluent Bit replays chunks it had delivered but not yet deleted); then remove it."""
        pid = self.fluent_bit_pid()
        assert pid is not None, "Fluent Bit is not running in the container"
        os.kill(pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        subprocess.run(["buildah", "rm", self.ctr], check=False, capture_output=True)
        wait(lambda: not health(), 30, "Fluent Bit stopped")


def state_file_text(state: Path) -> str:
    return " ".join(p.read_text(encoding="utf-8") for p in state.glob("*.json"))


def main(image: str) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="c2c-image-check-"))
    state = tmp / "state"
    state.mkdir()
    os.chown(state, UID, UID)  # the volume, as a Kubernetes fsGroup or `docker volume` would hand it over
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugin")}
    emulator = subprocess.Popen([sys.executable, "-m", "c2c", "emulator", "--events", str(EVENTS),
                                 "--page-size", "100"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert emulator.stdout is not None
        ready = json.loads(emulator.stdout.readline())
        source = next(c for c in ready["configs"] if c["source"]["schemaRef"]["type"] == "Druva Cyber Resilience")
        source["source"]["config"]["clientID"] = "${DRUVA_CLIENT_ID}"  # secrets: only in the environment
        source["source"]["config"]["secretKey"] = "${DRUVA_SECRET_KEY}"
        (tmp / "sources.json").write_text(json.dumps(source), encoding="utf-8")
        conf = (REPO / "conf/fluent-bit/fluent-bit-container.yaml").read_text(encoding="utf-8")
        conf, n = re.subn(r"interval_sec: \d+", "interval_sec: 2", conf)
        conf, m = re.subn(r"--max-seconds \d+", "--max-seconds 0", conf)
        assert n == m == 1, "the container config changed shape: update this check"
        (tmp / "fluent-bit.yaml").write_text(conf, encoding="utf-8")
        mounts = {state: "/var/lib/c2c", tmp / "sources.json": "/etc/c2c/sources.json:ro",
                  tmp / "fluent-bit.yaml": "/etc/fluent-bit/fluent-bit.yaml:ro"}
        secrets = {"DRUVA_CLIENT_ID": ready["clientID"], "DRUVA_SECRET_KEY": ready["secretKey"]}

        first = Container(image, mounts, secrets, tmp / "first.out")
        try:
            wait(lambda: health() == "ok\n", 60, "/api/v1/health answers ok")
            wait(lambda: len(first.events()) >= 100, 60, "the first page delivered")
        finally:
            first.stop()
        got_first = first.events()
        between = sorted(str(p.relative_to(state)) for p in state.rglob("*")), state_file_text(state)
        (state_file,) = state.glob("*.json")
        assert state_file.stat().st_uid == UID, "c2c did not run as the image's user"
        assert list((state / "fluent-bit").iterdir()), "Fluent Bit's storage.path is not in the volume"

        second = Container(image, mounts, secrets, tmp / "second.out")
        try:
            wait(lambda: len(got_first) + len(second.events()) >= EVENTS, 60, "the rest delivered after the restart")
            time.sleep(3)  # one more run: it must find nothing new
        finally:
            second.stop()
        both = got_first + second.events()
        assert sorted(both) == list(range(1, EVENTS + 1)), (
            f"lost or repeated across the restart: {len(got_first)} events {got_first[:1]}..{got_first[-1:]} "
            f"before, {second.events()[:1]}..{second.events()[-1:]} after; the volume between: {between}")
        log = (tmp / "first.out").read_text(encoding="utf-8") + (tmp / "second.out").read_text(encoding="utf-8")
        assert ready["secretKey"] not in log, "a secret reached the output"
        print(f"image check ok: {len(got_first)} events before the restart, {len(second.events())} after, "
              f"none repeated; /api/v1/health ok; state in the volume owned by uid {UID}")
        return 0
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "localhost/c2c:test"))
