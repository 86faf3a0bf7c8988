"""Load source config files: JSON, ${VAR} substitution, schema validation, cross-file checks.

Every problem is collected and reported at once, each naming its file and JSON path. Nothing here
touches the network.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from c2c import schemas
from c2c.errors import ConfigError, ConfigProblem

_VAR = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SourceConfig:
    """One validated source: its type, its config (read-only) and where it came from."""

    file: str
    json_path: str  # "source" or "sources[2]"
    type: str
    config: Mapping[str, Any]
    hash: str = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.config["name"])

    @property
    def base_url(self) -> str:
        return str(self.config["baseURL"]).rstrip("/")


def json_path(parts: Iterable[str | int]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p):
            out += f".{p}" if out else p
        else:
            out += f"[{json.dumps(p)}]"
    return out


def substitute(value: Any, env: Mapping[str, str], where: list[str | int], missing: list[tuple[str, str]]) -> Any:
    """Replace ${VAR} from the environment in every string; `$${VAR}` stays a literal `${VAR}`."""
    if isinstance(value, str):
        if "$" not in value:
            return value

        def repl(m: re.Match[str]) -> str:
            if m.group(1):
                return m.group(0)[1:]
            var = m.group(2)
            if var not in env:
                missing.append((json_path(where), var))
                return ""
            return env[var]

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, env, [*where, k], missing) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env, [*where, i], missing) for i, v in enumerate(value)]
    return value


def _validator(schema: dict[str, Any]) -> Any:
    # jsonschema is imported here, not at module import: `run` on a known config never needs it.
    import jsonschema
    from referencing import Registry, Resource

    registry: Registry = Registry()
    for stem in (*schemas.SHARED, *schemas.SCHEMA_FILES.values(), schemas.WRAPPER):
        s = schemas.load(stem)
        registry = registry.with_resource(s["$id"], Resource.from_contents(s))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry)


def _message(error: Any) -> str:
    custom = error.schema.get("errorMessages", {}) if isinstance(error.schema, dict) else {}
    if error.validator in custom:
        return str(custom[error.validator])
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return "missing required key " + ", ".join(json.dumps(k) for k in missing)
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        return "unknown key " + ", ".join(json.dumps(k) for k in extra)
    if error.validator == "type":
        return f"must be of type {error.validator_value}, not {_json_type(error.instance)}"
    if error.validator == "minLength" and error.validator_value == 1:
        return "must not be empty"
    if error.validator == "propertyNames":
        return error.message
    return str(error.message)


def _json_type(v: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(v), "number"
    )


def _schema_problems(file: str, prefix: list[str | int], instance: Any, schema: dict[str, Any]) -> list[ConfigProblem]:
    problems = []
    for err in _validator(schema).iter_errors(instance):
        # descend into anyOf/oneOf only when a single branch is meant (ours carry a custom message)
        where = [*prefix, *err.absolute_path]
        if err.validator == "propertyNames":
            bad = [k for k in err.instance if k.startswith("_") and k != "_siemForward"]
            where = [*where, *bad[:1]]
        elif "propertyNames" in err.relative_schema_path and isinstance(err.instance, str):
            where = [*where, err.instance]  # the error is about a key: name it, not only its object
        problems.append(ConfigProblem(file, json_path(where), _message(err)))
    problems.sort(key=lambda p: p.path)
    return problems


def _check_base_url(file: str, path: str, url: str) -> list[ConfigProblem]:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises on a bad port
    except ValueError as exc:
        return [ConfigProblem(file, path, f"not a valid URL ({exc})")]
    if not host:
        return [ConfigProblem(file, path, "has no host")]
    if parts.query or parts.fragment:
        return [ConfigProblem(file, path, "must not contain a query string or fragment")]
    if parts.scheme == "http" and not is_loopback(host):
        return [ConfigProblem(file, path, f"http:// is only allowed for loopback hosts; use https://{host}")]
    return []


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _apply_defaults(config: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(config)
    for key, prop in schema.get("properties", {}).items():
        default = prop.get("default")
        if default is None and "$ref" in prop and prop["$ref"].startswith("common.json#/$defs/"):
            default = schemas.load("common")["$defs"][prop["$ref"].rsplit("/", 1)[1]].get("default")
        if key not in out and default is not None:
            out[key] = default
    return out


def config_hash(source_type: str, config: Mapping[str, Any]) -> str:
    canonical = json.dumps([source_type, config], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _read(file: str) -> tuple[Any, list[ConfigProblem]]:
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [ConfigProblem(file, "", "file not found")]
    except IsADirectoryError:
        return None, [ConfigProblem(file, "", "is a directory, not a config file")]
    except PermissionError:
        return None, [ConfigProblem(file, "", "permission denied")]
    except UnicodeDecodeError as exc:
        return None, [ConfigProblem(file, "", f"not UTF-8 text (byte {exc.start})")]
    except OSError as exc:
        return None, [ConfigProblem(file, "", f"cannot read ({exc.strerror})")]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [ConfigProblem(file, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}")]
    except RecursionError:
        return None, [ConfigProblem(file, "", "invalid JSON: nested too deeply")]


def _sources_in(file: str, doc: Any, env: Mapping[str, str]) -> Iterator[SourceConfig | ConfigProblem]:
    problems = _schema_problems(file, [], doc, schemas.load(schemas.WRAPPER))
    if problems:
        yield from problems
        return
    entries = [("source", [], doc["source"])] if "source" in doc else [
        (f"sources[{i}]", [i], s) for i, s in enumerate(doc["sources"])
    ]
    for label, index, entry in entries:
        prefix: list[str | int] = ["sources", *index] if index else ["source"]
        source_type = entry["schemaRef"]["type"]
        missing: list[tuple[str, str]] = []
        config = substitute(entry["config"], env, [*prefix, "config"], missing)
        for path, var in missing:
            yield ConfigProblem(file, path, f"environment variable {var} is not set")
        schema = schemas.for_type(source_type)
        found = _schema_problems(file, [*prefix, "config"], config, schema)
        yield from found
        if found or missing:
            continue
        url_problems = _check_base_url(file, json_path([*prefix, "config", "baseURL"]), config["baseURL"])
        yield from url_problems
        if url_problems:
            continue
        config = _apply_defaults(config, schema)
        yield SourceConfig(
            file=file,
            json_path=label,
            type=source_type,
            config=MappingProxyType(config),
            hash=config_hash(source_type, config),
        )


def load_sources(files: Iterable[str], env: Mapping[str, str] | None = None) -> list[SourceConfig]:
    """Read, substitute and validate every file; raise ConfigError listing every problem found."""
    env = os.environ if env is None else env
    problems: list[ConfigProblem] = []
    sources: list[SourceConfig] = []
    files = list(files)
    if not files:
        raise ConfigError([ConfigProblem("(command line)", "", "no config file given")])
    for file in files:
        doc, read_problems = _read(file)
        problems += read_problems
        if read_problems:
            continue
        for item in _sources_in(file, doc, env):
            if isinstance(item, ConfigProblem):
                problems.append(item)
            else:
                sources.append(item)
    seen: dict[str, SourceConfig] = {}
    for s in sources:
        if s.name in seen:
            first = seen[s.name]
            problems.append(
                ConfigProblem(
                    s.file,
                    f"{s.json_path}.config.name",
                    f"name {json.dumps(s.name)} is already used by {first.file}: {first.json_path}.config.name",
                )
            )
        else:
            seen[s.name] = s
    if problems:
        raise ConfigError(problems)
    return sources
