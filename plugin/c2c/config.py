"""Load source config files: JSON, ${VAR} substitution, schema validation, cross-file checks.

Every problem is collected and reported at once, each naming its file and JSON path. Nothing here
touches the network.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from c2c import schemas
from c2c.errors import ConfigError, ConfigProblem

if TYPE_CHECKING:
    from c2c.known_configs import KnownConfigs

_VAR = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)\}")
# `$NAME` with no braces: taken literally (only `${NAME}` reads the environment), so in a secret it is a mistake.
_BARE_VAR = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_{])")
MAX_PROBLEMS_PER_FILE = 50  # a huge broken file is summed up, not printed line by line


@dataclass(frozen=True, slots=True)
class MoreProblems(ConfigProblem):
    """Stands for the problems of a file beyond MAX_PROBLEMS_PER_FILE, which are counted, not listed."""

    hidden: int = 0


def problem_count(problems: Iterable[ConfigProblem]) -> int:
    return sum(p.hidden if isinstance(p, MoreProblems) else 1 for p in problems)


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


# Not secrets, but a stray newline in them breaks authentication just as surely.
_CREDENTIAL_KEYS = ("clientID", "username")


def _secret_problems(file: str, where: list[str | int], raw: Mapping[str, Any], env: Mapping[str, str],
                     secrets: frozenset[str]) -> Iterator[ConfigProblem]:
    """A secret written `$VAR` (taken literally: only `${VAR}` reads the environment), and whitespace around a
    credential, which no vendor's credential has (a Kubernetes secret made from a file often ends in a newline).
    Both are errors, so that `check` finds them rather than a 401 from the vendor. Values are never echoed."""
    for key in sorted(secrets | set(_CREDENTIAL_KEYS)):
        value = raw.get(key)
        if not isinstance(value, str):
            continue
        path = json_path([*where, key])
        bare = _BARE_VAR.search(value) if key in secrets else None
        if bare and (value.strip() == bare.group(0) or bare.group(1) in env):
            yield ConfigProblem(file, path, f"the value holds {bare.group(0)} without braces, which is taken "
                                            f"literally; use ${{{bare.group(1)}}} to read the environment variable")
            continue
        from_env = False
        for m in _VAR.finditer(value):
            if m.group(1) or m.group(2) not in env:
                continue
            from_env = True
            if _edges(env[m.group(2)]):
                yield ConfigProblem(file, path, f"environment variable {m.group(2)} {_edges(env[m.group(2)])}; "
                                                "remove it (`echo` adds a newline: use `printf %s` or "
                                                "`kubectl create secret --from-literal`)")
        if not from_env and _edges(value):
            yield ConfigProblem(file, path, f"{_edges(value)}; remove it")


def _edges(value: str) -> str:
    """"starts with ..." / "ends with ..." naming only the whitespace (never the value), or "" when clean."""
    lead, trail = value[: len(value) - len(value.lstrip())], value[len(value.rstrip()):]
    if not lead and not trail:
        return ""
    said = [f"starts with {json.dumps(lead)}" if lead else "", f"ends with {json.dumps(trail)}" if trail else ""]
    return " and ".join(p for p in said if p) + " (whitespace is never part of a credential)"


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
    if error.validator in custom and error.validator != "enum":
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
        return str(error.message)
    if error.validator == "enum":
        return _enum_message(error.instance, error.validator_value, custom.get("enum"))
    return str(error.message)


def _enum_message(value: Any, allowed: list[Any], custom: str | None) -> str:
    """Echo the bad value, say what is allowed, and suggest the closest allowed value."""
    message = f"{json.dumps(value)}: " + (custom or "must be one of " + ", ".join(json.dumps(a) for a in allowed))
    options = [a for a in allowed if isinstance(a, str)]
    if isinstance(value, str) and options:
        folded = {a.casefold().replace(" ", ""): a for a in options}
        close = folded.get(value.casefold().replace(" ", "")) or next(
            iter(difflib.get_close_matches(value, options, n=1, cutoff=0.6)), None)
        if close is not None:
            message += f"; did you mean {json.dumps(close)}?"
    return message


def _json_type(v: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(v), "number"
    )


def _schema_problems(file: str, prefix: list[str | int], instance: Any, schema: dict[str, Any]) -> list[ConfigProblem]:
    problems = []
    for err in _validator(schema).iter_errors(instance):
        # descend into anyOf/oneOf only when a single branch is meant (ours carry a custom message)
        where = [*prefix, *err.absolute_path]
        if "propertyNames" in err.relative_schema_path:
            # jsonschema reports a bad property name at its object; name the key itself.
            where = [*where, err.instance]
        problem = ConfigProblem(file, json_path(where), _message(err))
        if problem not in problems:  # jsonschema reports each missing key apart; the message names them all
            problems.append(problem)
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


def _read(file: str) -> tuple[Any, list[ConfigProblem], str]:
    text = ""
    try:
        raw = Path(file).read_bytes()
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return None, [ConfigProblem(file, "", "saved as UTF-16; save it as UTF-8")], text
        text = raw.decode("utf-8-sig")  # a UTF-8 byte order mark (Windows editors write one) is accepted
    except FileNotFoundError:
        return None, [ConfigProblem(file, "", "file not found")], text
    except IsADirectoryError:
        return None, [ConfigProblem(file, "", "is a directory, not a config file")], text
    except PermissionError:
        return None, [ConfigProblem(file, "", "permission denied")], text
    except UnicodeDecodeError as exc:
        return None, [ConfigProblem(file, "", f"not UTF-8 text (byte {exc.start})")], text
    except OSError as exc:
        return None, [ConfigProblem(file, "", f"cannot read ({exc.strerror})")], text
    if not text.strip():
        return None, [ConfigProblem(file, "", "the file is empty (a source file is one JSON object; "
                                              "`c2c schema TYPE` shows its keys)")], text
    try:
        return json.loads(text), [], text
    except json.JSONDecodeError as exc:
        return None, [ConfigProblem(file, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}")], text
    except RecursionError:
        return None, [ConfigProblem(file, "", "invalid JSON: nested too deeply")], text


def _sources_in(file: str, doc: Any, env: Mapping[str, str], validated: bool = False
                ) -> Iterator[SourceConfig | ConfigProblem]:
    """`validated`: this exact file (and its ${VAR} values) passed the schemas before; skip jsonschema."""
    problems = [] if validated else _schema_problems(file, [], doc, schemas.load(schemas.WRAPPER))
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
        secret_problems = list(_secret_problems(file, [*prefix, "config"], entry["config"], env,
                                                schemas.secret_keys(source_type)))
        yield from secret_problems
        schema = schemas.for_type(source_type)
        # An unset variable is reported once, not again as the empty value it left behind.
        unset_paths = {path for path, _ in missing}
        found = [] if validated else [
            p for p in _schema_problems(file, [*prefix, "config"], config, schema) if p.path not in unset_paths
        ]
        yield from found
        if found or missing or secret_problems:
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


def load_sources(
    files: Iterable[str], env: Mapping[str, str] | None = None, known: KnownConfigs | None = None
) -> list[SourceConfig]:
    """Read, substitute and validate every file; raise ConfigError listing every problem found.

    With `known` (`c2c run`), files that passed before skip the schema checks, and files that pass
    now are remembered; every other check (variables, base URL, unique names) runs every time.
    """
    env = os.environ if env is None else env
    problems: list[ConfigProblem] = []
    sources: list[SourceConfig] = []
    files = list(files)
    if not files:
        raise ConfigError([ConfigProblem("(command line)", "", "no config file given")])
    keys: list[str] = []
    for file in files:
        doc, read_problems, text = _read(file)
        problems += read_problems
        if read_problems:
            continue
        validated = False
        if known is not None:
            from c2c.known_configs import file_key

            keys.append(file_key(text.encode("utf-8"), env))
            validated = keys[-1] in known
        listed = hidden = 0
        for item in _sources_in(file, doc, env, validated):
            if not isinstance(item, ConfigProblem):
                sources.append(item)
            elif listed < MAX_PROBLEMS_PER_FILE:
                problems.append(item)
                listed += 1
            else:
                hidden += 1
        if hidden:
            problems.append(MoreProblems(file, "", f"… and {hidden} more problem(s) in this file", hidden))
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
    if known is not None:
        for key in keys:
            known.add(key)
        known.save()
    return sources
