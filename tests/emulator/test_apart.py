"""The emulator stands apart from the client: collection never loads it, and it shares no client code
that could hold the same mistaken belief (time parsing above all)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from c2c.emulator.services import Settings, demo_configs, start_all

PACKAGE = Path(__file__).resolve().parents[2] / "plugin" / "c2c"
# What the emulator may import from the client, and why: UsageError for `c2c emulator`'s bad --port.
EMULATOR_MAY_IMPORT = {"c2c.errors"}
# Only these start an emulator, and only on request (`c2c demo`, `c2c emulator`).
STARTERS = {"demo.py", "cli.py"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, id(node) in top))
    return out


def _client_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "emulator" not in p.relative_to(PACKAGE).parts]


def test_no_client_module_imports_the_emulator() -> None:
    for path in _client_files():
        for module, top_level in _imports(path):
            if module.startswith(("c2c.emulator", "c2c.demo")):
                assert path.name in STARTERS, f"{path.relative_to(PACKAGE)} imports {module}"
                if path.name == "cli.py":
                    assert not top_level, f"cli.py imports {module} at load time: every `c2c run` would pay it"


def test_the_emulator_imports_no_client_code_but_what_it_must() -> None:
    files = list((PACKAGE / "emulator").rglob("*.py"))
    assert len(files) > 5
    for path in files:
        for module, _ in _imports(path):
            if module == "c2c" or (module.startswith("c2c.") and not module.startswith("c2c.emulator")):
                assert module in EMULATOR_MAY_IMPORT, f"emulator/{path.relative_to(PACKAGE / 'emulator')}: {module}"


# Runs the CLI as `python -m c2c` does, then lists every module it loaded (stdout is the NDJSON).
_RUNNER = """
import sys
from c2c.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("\\n".join(sorted(sys.modules)))
raise SystemExit(code)
"""


@pytest.mark.parametrize("command", ["run", "check"])
def test_collecting_every_source_type_never_loads_the_emulator(tmp_path: Path, command: str) -> None:
    settings = Settings(events=30)
    emu, _ = start_all(settings)
    try:
        files = []
        for n, doc in enumerate(demo_configs(emu.base_url, settings)):
            files.append(tmp_path / f"source{n}.json")
            files[-1].write_text(json.dumps(doc), encoding="utf-8")
        modules = tmp_path / "modules.txt"
        env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent), "C2C_STATE_DIR": str(tmp_path / "state")}
        proc = subprocess.run([sys.executable, "-c", _RUNNER, str(modules), command, *map(str, files)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=120,
                              check=False)
    finally:
        emu.stop()
    assert proc.returncode == 0, proc.stderr
    if command == "run":
        sources = {json.loads(line)["_source"] for line in proc.stdout.splitlines()}
        assert len(sources) == len(files), sources  # every demo source collected something
    loaded = modules.read_text().split()
    assert "c2c.sources" in loaded or command == "check"
    assert [m for m in loaded if m == "c2c.emulator" or m.startswith(("c2c.emulator.", "c2c.demo"))] == []
