#!/usr/bin/env python3
"""Regenerate tests/normalize/ecs/ecs_fields-9.4.0.json from Elastic's ecs_flat.yml (ECS 9.4.0, Apache-2.0).

    python tests/normalize/ecs_subset.py [../shared/reference/ecs/ecs_flat-9.4.0.yml]

Keeps, for whole field sets (every field of each, not only those c2c writes), each field's type, whether
it is an array and its allowed values: what tests/normalize checks every emitted ECS field against.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SETS = ("@timestamp", "message", "tags", "labels", "ecs", "event", "user", "file", "host", "source", "destination",
        "related", "observer", "email", "url", "device", "process", "user_agent", "rule", "log", "agent",
        "organization", "group", "error", "network", "http", "service", "cloud")


def shared_ecs() -> Path:
    """`../shared/reference/ecs/` beside the repository (or beside the folder of worktrees holding it)."""
    repo = HERE.parents[1]
    for root in (repo.parent, repo.parent.parent):
        path = root / "shared" / "reference" / "ecs" / "ecs_flat-9.4.0.yml"
        if path.is_file():
            return path
    return repo.parent / "shared" / "reference" / "ecs" / "ecs_flat-9.4.0.yml"


def subset(flat: dict[str, Any]) -> dict[str, Any]:
    fields = {}
    for name, spec in sorted(flat.items()):
        if name.split(".", 1)[0] not in SETS:
            continue
        fields[name] = {
            "type": spec["type"],
            "array": "array" in (spec.get("normalize") or []),
            "allowed": [v["name"] for v in spec.get("allowed_values") or []],
        }
    return {"ecs_version": "9.4.0", "source": "elastic/ecs v9.4.0 generated/ecs/ecs_flat.yml (Apache-2.0, "
            "LICENSE.txt beside this file)", "sets": list(SETS), "fields": fields}


def main(argv: list[str]) -> int:
    import yaml

    src = Path(argv[0]) if argv else shared_ecs()
    with src.open(encoding="utf-8") as f:
        flat = yaml.safe_load(f)
    out = HERE / "ecs" / "ecs_fields-9.4.0.json"
    out.write_text(json.dumps(subset(flat), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{out}: {len(subset(flat)['fields'])} fields")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
