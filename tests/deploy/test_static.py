"""deploy/: the Containerfile, its locks and the Kubernetes example agree with each other and with conf/.

No image is built here (deploy/test-image.sh does that, from .ci/run); these read the files.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, c2c_env, run_c2c

DEPLOY = REPO / "deploy"
CONTAINER_CONF = REPO / "conf/fluent-bit/fluent-bit-container.yaml"


def instructions() -> list[tuple[str, str]]:
    """The Containerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Containerfile").read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def single(kind: str) -> str:
    (value,) = [args for word, args in instructions() if word == kind]
    return value


def env() -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in single("ENV").split())


def container_conf() -> Any:
    return yaml.safe_load(CONTAINER_CONF.read_text(encoding="utf-8"))


def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in manifests() if d["kind"] == kind]


# ---- the Containerfile ----------------------------------------------------------------------------------

def test_containerfile_is_multi_stage_on_the_base_argument() -> None:
    steps = instructions()
    assert steps[0] == ("ARG", "BASE=debian:bookworm-slim")
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) == 3
    assert all(f.split()[0] == "${BASE}" for f in froms)


def test_fluent_bit_is_built_with_exec_and_the_outputs_users_ship_to() -> None:
    run = " ".join(args for word, args in instructions() if word == "RUN")
    for plugin in ("IN_EXEC", "IN_EMITTER", "IN_STORAGE_BACKLOG", "FILTER_REWRITE_TAG", "OUT_HTTP", "OUT_FORWARD",
                   "OUT_ES", "OUT_OPENSEARCH", "OUT_SPLUNK", "OUT_LOKI", "OUT_KAFKA_REST", "HTTP_SERVER",
                   "CONFIG_YAML", "TLS"):
        assert f"-DFLB_{plugin}=On" in run, plugin
    assert "fluent-bit-${FLB_VERSION}-src.tar.gz" in run  # the vendored source when present ...
    assert "github.com/fluent/fluent-bit/archive/refs/tags/v${FLB_VERSION}.tar.gz" in run  # ... else the release


def test_python_dependencies_come_from_the_hashed_lock() -> None:
    run = " ".join(args for word, args in instructions() if word == "RUN")
    assert "--require-hashes --only-binary :all: -r /src/deploy/requirements.lock" in run
    assert "--require-hashes --only-binary :all: -r /src/deploy/build-requirements.lock" in run
    assert "--no-deps /src/dist/c2c_collector-*.whl" in run  # the wheel adds nothing unlocked


@pytest.mark.parametrize("lock", ["requirements.lock", "build-requirements.lock"])
def test_locks_pin_every_package_with_hashes(lock: str) -> None:
    text = (DEPLOY / lock).read_text(encoding="utf-8")
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", text, re.M)
    pinned = {name.lower() for name, _, _ in entries}
    requirement_lines = [ln for ln in text.splitlines() if ln and not ln.startswith((" ", "#"))]
    assert len(requirement_lines) == len(entries)  # nothing unpinned or unhashed
    wanted = {"requests", "jsonschema", "python-dateutil"} if lock == "requirements.lock" else {"hatchling"}
    assert wanted <= pinned


def test_runtime_lock_covers_the_project_dependencies() -> None:
    import tomllib

    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    lock = (DEPLOY / "requirements.lock").read_text(encoding="utf-8").lower()
    for dep in deps:
        assert re.match(r"[a-z0-9_.-]+", dep.lower()).group(0) + "==" in lock, dep  # type: ignore[union-attr]


def test_image_runs_fluent_bit_as_a_non_root_user_with_state_in_the_volume() -> None:
    user = single("USER")
    assert user.split(":")[0] not in ("0", "root")
    assert single("VOLUME") == "/var/lib/c2c"
    assert env()["C2C_STATE_DIR"] == "/var/lib/c2c"
    assert single("EXPOSE") == str(container_conf()["service"]["http_port"])
    assert single("ENTRYPOINT") == '["/usr/local/bin/fluent-bit"]'
    assert single("CMD") == '["-c", "/etc/fluent-bit/fluent-bit.yaml"]'
    copies = [args for word, args in instructions() if word == "COPY"]
    assert "conf/ /usr/share/c2c/conf/" in copies
    assert "conf/fluent-bit/fluent-bit-container.yaml /etc/fluent-bit/fluent-bit.yaml" in copies
    assert "conf/fluent-bit/outputs.yaml /etc/fluent-bit/outputs.yaml" in copies
    # The config keeps its Fluent Bit buffer inside the volume, and c2c's state is the volume.
    service = container_conf()["service"]
    assert service["storage.path"].startswith(single("VOLUME") + "/")
    assert f"--state-dir {single('VOLUME')}" in container_conf()["pipeline"]["inputs"][0]["command"]


def test_no_secret_in_the_image() -> None:
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    assert not re.search(r"(?i)^\s*(ENV|ARG)\s+\S*(SECRET|TOKEN|PASSWORD)", text, re.M)
    ignore = (REPO / ".containerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[1] == "*"  # the build context is only what is listed: no .git, no local state
    assert not [ln for ln in ignore if ln.startswith("!") and ("state" in ln or ln == "!tests/")]


# ---- the Kubernetes example ------------------------------------------------------------------------------

def pod(deployment: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    return spec, container


def test_one_recreate_deployment_with_one_replica_per_shard() -> None:
    deployments = of_kind("Deployment")
    shards = []
    for d in deployments:
        assert d["spec"]["replicas"] == 1
        assert d["spec"]["strategy"] == {"type": "Recreate"}
        assert d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()
        _, container = pod(d)
        (shard,) = [e["value"] for e in container["env"] if e["name"] == "C2C_SHARD"]
        shards.append(tuple(int(x) for x in shard.split("/")))
    count = len(deployments)
    assert sorted(shards) == [(i, count) for i in range(1, count + 1)]  # every shard once, all of the same N


def test_each_shard_has_its_own_volume_at_the_image_state_dir() -> None:
    claims = {c["metadata"]["name"] for c in of_kind("PersistentVolumeClaim")}
    used = []
    for d in of_kind("Deployment"):
        spec, container = pod(d)
        volumes = {v["name"]: v for v in spec["volumes"]}
        (state,) = [m for m in container["volumeMounts"] if m["mountPath"] == single("VOLUME")]
        claim = volumes[state["name"]]["persistentVolumeClaim"]["claimName"]
        assert claim in claims
        used.append(claim)
        assert spec["securityContext"]["runAsUser"] == int(single("USER").split(":")[0])
        assert spec["securityContext"]["fsGroup"] == int(single("USER").split(":")[1])
        assert spec["terminationGracePeriodSeconds"] > container_conf()["service"]["grace"]
    assert sorted(used) == sorted(claims)  # one claim per shard, none shared (ReadWriteOnce)
    assert all(c["spec"]["accessModes"] == ["ReadWriteOnce"] for c in of_kind("PersistentVolumeClaim"))


def test_probes_and_mounts_match_the_image() -> None:
    sources_path = shlex.split(container_conf()["pipeline"]["inputs"][0]["command"])[3]
    for d in of_kind("Deployment"):
        spec, container = pod(d)
        (port,) = container["ports"]
        assert port["containerPort"] == container_conf()["service"]["http_port"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/api/v1/health", "port": port["name"]}
        assert container["livenessProbe"]["httpGet"] == {"path": "/", "port": port["name"]}
        assert container["args"] == ["-c", "/etc/fluent-bit/fluent-bit.yaml"]
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert mounts[sources_path]["subPath"] == "sources.json"
        assert mounts["/etc/fluent-bit/outputs.yaml"]["subPath"] == "outputs.yaml"
        (config,) = [v for v in spec["volumes"] if v["name"] == mounts[sources_path]["name"]]
        (configmap,) = of_kind("ConfigMap")
        assert config["configMap"]["name"] == configmap["metadata"]["name"]
        (secret,) = of_kind("Secret")
        assert container["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]


def test_config_map_uses_only_the_secret_and_passes_c2c_check(tmp_path: Path) -> None:
    (configmap,) = of_kind("ConfigMap")
    (secret,) = of_kind("Secret")
    names = set(re.findall(r"\$\{(\w+)\}", configmap["data"]["sources.json"] + configmap["data"]["outputs.yaml"]))
    assert names == set(secret["stringData"])  # every variable from the Secret, and no secret in the ConfigMap
    sources = tmp_path / "sources.json"
    sources.write_text(configmap["data"]["sources.json"], encoding="utf-8")
    done = run_c2c("check", str(sources), env=c2c_env(secret["stringData"]))
    assert done.returncode == 0, done.stderr
    outputs = yaml.safe_load(configmap["data"]["outputs.yaml"])["pipeline"]["outputs"]
    assert all(o["retry_limit"] == "no_limits" for o in outputs)
