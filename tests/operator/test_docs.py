"""The README is a short guide that keeps working: ≤ 300 lines, its commands and demo excerpt are real, every
relative link and `conf/` path it names exists; the reference in docs/ covers every command, exit code and
config key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from operator_helpers import REPO, c2c

from c2c import cli, schemas

README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_readme_is_at_most_300_lines() -> None:
    assert len(_text(README).splitlines()) <= 300


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", _text(page), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_to_a_file_and_heading(page: Path) -> None:
    missing = []
    for target in LINK.findall(_text(page)):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            missing.append(target)
    assert missing == []


def test_no_file_named_that_is_not_in_the_repository() -> None:
    text = "\n".join(_text(p) for p in [README, *DOCS])
    assert "DESIGN.md" not in text
    for path in set(re.findall(r"`((?:conf|docs|tests|plugin|schemas)/[\w./-]+)`", _text(README))):
        assert (REPO / path).exists(), path


def test_the_two_commands_are_first_and_ci_runs_the_same_tests() -> None:
    text = _text(README)
    demo = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/c2c demo"
    tests = "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/python -m pytest"
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    assert demo in first_block
    assert tests in first_block
    assert re.search(r'^"\$venv/bin/python" -m pytest( |$)', _text(REPO / ".ci" / "run"), re.MULTILINE)


def test_the_demo_excerpt_is_what_the_demo_prints() -> None:
    excerpt = _text(README).split("### What the demo prints", 1)[1].split("## Set up for real", 1)[0]
    shown = [line for line in excerpt.splitlines() if line.startswith("c2c INFO   ") or "no saved state" in line]
    assert len(shown) >= 4
    result = c2c("demo")
    assert result.code == 0
    printed = result.stderr.splitlines()
    for line in shown:
        assert line in printed
    total = re.search(r"demo: (\d+) record\(s\) written to stdout:", result.stderr)
    assert total is not None
    assert f"c2c INFO demo: {total.group(1)} record(s) written to stdout:" in excerpt
    assert f"On stdout, {int(total.group(1)):,} records" in excerpt
    records = [line.removesuffix("…") for line in excerpt.splitlines() if line.startswith("{")]
    assert records
    for start in records:
        assert any(line.startswith(start) for line in result.stdout.splitlines()), start


def test_a_license_file_matches_pyproject() -> None:
    project = tomllib.loads(_text(REPO / "pyproject.toml"))["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    text = _text(REPO / "LICENSE")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_command_and_exit_code_is_in_commands_md() -> None:
    text = _text(REPO / "docs" / "commands.md")
    for command in cli.COMMANDS:
        assert f"`c2c {command}" in text, command
    codes = {v for k, v in vars(cli).items() if k.startswith("EXIT_") and isinstance(v, int)}
    table = text.split("## Exit codes", 1)[1]
    for code in codes:
        assert re.search(rf"^\| {code} \|", table, re.MULTILINE), code


def test_every_config_key_is_in_configuration_md() -> None:
    text = _text(REPO / "docs" / "configuration.md")
    for source_type in schemas.SCHEMA_FILES:
        for key in schemas.bundled(source_type)["properties"]:
            assert f"`{key}`" in text, (source_type, key)


def test_help_lists_every_exit_code() -> None:
    result = c2c("--help")
    codes = {v for k, v in vars(cli).items() if k.startswith("EXIT_") and isinstance(v, int)}
    for code in codes:
        assert re.search(rf"^  {code}  ", result.stdout, re.MULTILINE), code
