"""A production install: build the wheel, install it (not the checkout) into a clean virtual environment, and
run `c2c` by the absolute path a shipper config uses (`/opt/c2c/bin/c2c` in the README; here the temp venv's bin)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from operator_helpers import REPO, Run, c2c, write_json

from c2c import DISTRIBUTION


def _env(**extra: str) -> dict[str, str]:
    """Only what a shipper's environment would hold: no PYTHONPATH pointing at the checkout."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT",
            "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One venv for the module: the wheel built from this checkout, its dependencies from PyPI."""
    tmp = tmp_path_factory.mktemp("install")
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(REPO)],
                   check=True, env=_env(), cwd=tmp, timeout=600)
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", str(wheels[0])],
                   check=True, env=_env(), cwd=tmp, timeout=600)
    return venv


def test_distribution_name_is_c2c_collector() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION == "c2c-collector"
    assert project["scripts"] == {"c2c": "c2c.cli:main"}  # the command keeps its name


def test_the_wheel_holds_the_package_and_its_schemas(venv: Path) -> None:
    wheel = next((venv.parent / "dist").glob("*.whl"))
    assert wheel.name.startswith("c2c_collector-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "c2c/cli.py" in names
    assert any(n.startswith("c2c/schemas/") and n.endswith(".json") for n in names)
    assert not any(n.startswith(("tests/", "plugin/")) for n in names)
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{info}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "Name: c2c-collector" in metadata.splitlines()


def test_installed_command_runs_from_the_venv_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    bin_c2c = str(venv / "bin" / "c2c")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import c2c; print(c2c.__file__)"],
                           capture_output=True, text=True, check=True, env=_env(), cwd=tmp_path)
    assert str(venv) in where.stdout
    assert str(REPO) not in where.stdout
    version = c2c("--version", command=[bin_c2c], env=_env())
    assert version.code == 0
    assert version.stdout.strip() == "c2c 0.1.0 (c2c-collector)"


def test_installed_demo_runs(venv: Path, tmp_path: Path) -> None:
    result = c2c("demo", command=[str(venv / "bin" / "c2c")], env=_env())
    assert result.code == 0, result.stderr
    assert len(result.records) > 1000
    assert "record(s) written to stdout:" in result.stderr


def test_installed_check_accepts_the_shipped_configs(venv: Path) -> None:
    files = sorted((REPO / "conf").glob("*.json"))
    variables = {v for f in files for v in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", f.read_text("utf-8"))}
    for file in files:  # one at a time: the examples reuse each other's source names
        result = c2c("check", file, command=[str(venv / "bin" / "c2c")], env=_env(**dict.fromkeys(variables, "x")))
        assert result.code == 0, result.stderr
        assert "ok: " in result.stderr


def test_installed_run_collects_from_the_installed_emulator(venv: Path, tmp_path: Path) -> None:
    bin_c2c = str(venv / "bin" / "c2c")
    emu = subprocess.Popen([bin_c2c, "emulator", "--events", "20", "--page-size", "10"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=_env(), cwd=tmp_path)
    try:
        ready = json.loads(emu.stdout.readline())  # the emulator's one stdout line: base URL and configs
        conf = write_json(tmp_path / "sources.json", {"api.version": "v1",
                                                     "sources": [d["source"] for d in ready["configs"]]})
        state = tmp_path / "state"
        run = subprocess.run([bin_c2c, "run", str(conf), "--state-dir", str(state)], capture_output=True,
                             text=True, env=_env(), cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL)
    finally:
        emu.terminate()
        emu.communicate(timeout=10)
    result = Run(run.returncode, run.stdout, run.stderr)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    sources = {r["_source"] for r in result.records}
    assert sources == {d["source"]["config"]["name"] for d in ready["configs"]}
    assert len(list(state.glob("*.json"))) >= len(sources)


def test_fluent_bit_runs_the_installed_command_by_its_absolute_path(venv: Path, tmp_path: Path) -> None:
    """The real Fluent Bit, its exec input's Command naming the venv's c2c, the shipped parser: every event once."""
    fluent_bit = Path(os.environ.get("FLUENT_BIT", "/work/shared/bin/fluent-bit"))
    if not fluent_bit.is_file():
        pytest.skip(f"no Fluent Bit at {fluent_bit} (set FLUENT_BIT)")
    bin_c2c = venv / "bin" / "c2c"
    emu = subprocess.Popen([str(bin_c2c), "emulator", "--events", "25", "--page-size", "10"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=_env(), cwd=tmp_path)
    try:
        ready = json.loads(emu.stdout.readline())
        realize = ready["configs"][0]
        conf = write_json(tmp_path / "sources.json", realize)
        out = tmp_path / "out"
        out.mkdir()
        (tmp_path / "fluent-bit.conf").write_text(f"""\
[SERVICE]
    Flush        0.2
    Parsers_File {REPO / "conf" / "fluent-bit" / "c2c-parsers.conf"}
[INPUT]
    Name               exec
    Tag                c2c.events
    Command            exec {bin_c2c} run {conf} --state-dir {tmp_path / "state"}
    Parser             c2c_ndjson
    Oneshot            On
    Exit_After_Oneshot On
    Buf_Size           2M
[OUTPUT]
    Name   file
    Match  *
    Path   {out}
    File   records.jsonl
    Format plain
""", encoding="utf-8")
        shipper = subprocess.run([str(fluent_bit), "-c", str(tmp_path / "fluent-bit.conf")], capture_output=True,
                                 text=True, env=_env(), cwd=tmp_path, timeout=120)
    finally:
        emu.terminate()
        emu.communicate(timeout=10)
    assert shipper.returncode == 0, shipper.stderr
    records = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == list(range(1, 26))
    assert {r["_source"] for r in records} == {realize["source"]["config"]["name"]}
