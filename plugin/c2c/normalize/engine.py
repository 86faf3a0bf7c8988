"""The one engine: compiles a declared table into plain Python functions, once, so the per-event cost is a
straight run of dict lookups (no walking of the table, no path splitting, no per-row calls for plain
strings). The generated code is built only from the table's own declarations (paths and keys as repr()
literals, constants and converters bound by name), never from event data.

Per event: select the case; read every source (one local per source object, shared by its rows); write
every target into one local dict per target object; attach the objects that are not empty; check the
case's requirements (else the fallback case); the event's fields no row read go to `unmapped` (OCSF) or
the vendor namespace (ECS); a value that did not convert goes there too, at its own path, with a note.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from c2c.normalize import convert
from c2c.normalize.table import TIME, Case, Converter, Lookup, Row, Table

Mapper = Callable[[Mapping[str, Any], str], dict[str, Any]]
CaseFn = Callable[[Mapping[str, Any], str, list[tuple[Any, ...]] | None], dict[str, Any]]
NOTES_KEY = "_mappingNotes"  # a list of what did not map, on the record itself (c2c's added keys start with _)
_EMPTY: dict[str, Any] = {}
_NOTE_VALUE_CHARS = 80


def _path(text: str) -> tuple[str, ...]:
    return tuple(text.split("."))


def _add(target: list[Any], value: Any) -> None:
    for v in value if type(value) is list or type(value) is tuple else (value,):
        if v not in target:
            target.append(v)


def _bad(notes: list[tuple[Any, ...]] | None, paths: tuple[tuple[str, ...], ...], value: Any,
         conv: str) -> list[tuple[Any, ...]]:
    notes = notes if notes is not None else []
    notes.append(("value", paths, value, conv))
    return notes


def _shape(notes: list[tuple[Any, ...]] | None, path: tuple[str, ...], value: Any) -> list[tuple[Any, ...]]:
    notes = notes if notes is not None else []
    notes.append(("shape", path, value))
    return notes


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _NOTE_VALUE_CHARS else text[:_NOTE_VALUE_CHARS] + "…"


def _dig(event: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = event
    for key in path:
        if type(node) is not dict or key not in node:
            return None
        node = node[key]
    return node


def _put(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        nxt = tree.get(key)
        if type(nxt) is not dict:
            nxt = tree[key] = {}
        tree = nxt
    tree[path[-1]] = value


def settle_notes(notes: list[tuple[Any, ...]], event: Mapping[str, Any], kept: dict[str, Any]) -> list[str]:
    """Put every value that did not convert back into `kept` (at its own path) and word the notes."""
    out = []
    for note in notes:
        kind = note[0]
        if kind == "value":
            _, paths, value, conv = note
            for p in paths:
                original = _dig(event, p)
                if original is not None:
                    _put(kept, p, original)
            out.append(f"{'.'.join(paths[0])}: {_show(value)} did not convert ({conv}); kept as is")
        elif kind == "shape":
            _, path, value = note
            out.append(f"{'.'.join(path)}: expected an object, got {_show(value)}; kept as is")
        else:  # "kind" / "class": already worded
            out.append(note[1])
    return out


def finish_ocsf(o: dict[str, Any], u: dict[str, Any], notes: list[tuple[Any, ...]] | None,
                event: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    if notes:
        o[NOTES_KEY] = settle_notes(notes, event, u)
    if u:
        o[namespace] = u
    return o


def finish_ecs(o: dict[str, Any], u: dict[str, Any], notes: list[tuple[Any, ...]] | None,
               event: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    if notes:
        o[NOTES_KEY] = settle_notes(notes, event, u)
        # The event stays whole where ECS keeps originals (only then: Elastic's own default is not to).
        o.setdefault("event", {})["original"] = json.dumps(event, ensure_ascii=False, separators=(",", ":"),
                                                           default=str)
    if u:
        mine = o.get(namespace)
        o[namespace] = {**u, **mine} if type(mine) is dict else u
    return o


FINISH = {"ocsf": finish_ocsf, "ecs": finish_ecs}


class _Code:
    """Source text being generated, with the objects it refers to bound as globals."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {"_E": _EMPTY, "_add": _add, "_bad": _bad, "_shape": _shape}
        self.n = 0

    def bind(self, prefix: str, obj: Any) -> str:
        for name, value in self.env.items():
            if value is obj and name.startswith(prefix):
                return name
        self.n += 1
        name = f"{prefix}{self.n}"
        self.env[name] = obj
        return name

    def var(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def _consumed(rows: tuple[Row, ...]) -> dict[str, Any]:
    """The tree of source paths the rows read (True = the whole value), so the rest is what is unmapped."""
    tree: dict[str, Any] = {}
    for row in rows:
        if row.derived:
            continue
        for src in row.sources:
            if src == TIME:
                continue
            node = tree
            *parents, leaf = _path(src)
            for key in parents:
                nxt = node.get(key)
                if nxt is True:
                    break
                node = node.setdefault(key, {})
            else:
                node[leaf] = True
    return tree


def _prune(code: _Code, indent: int, src: str, tree: dict[str, Any], out: str, at: tuple[str, ...],
           src_vars: dict[tuple[str, ...], str]) -> None:
    """`out` = the object `src` without what the rows read (`tree`), recursively; an object of another
    type stays whole, with a note. Uses the locals the rows' reads already made."""
    # A set literal of strings after `in` is compiled into a frozenset constant: no name to look up per key.
    keys = "{" + ", ".join(repr(k) for k in sorted(tree)) + "}"
    # A loop, not a comprehension: in Python 3.11 each comprehension is a function call of its own.
    code.emit(indent, f"{out} = {{}}")
    if not at:  # the event's own keys are usually all read by some row: one C-level test skips the loop
        code.emit(indent, f"if not {src}.keys() <= {code.bind('K', frozenset(tree))}:")
        indent += 1
    code.emit(indent, f"for k, v in {src}.items():")
    code.emit(indent + 1, f"if v is not None and k not in {keys}: {out}[k] = v")  # a null carries nothing
    if not at:
        indent -= 1
    for key, sub in tree.items():
        if sub is True:
            continue
        here = (*at, key)
        local, inner = src_vars[here], code.var("u")
        code.emit(indent, f"if {local} is not _E:")
        _prune(code, indent + 1, local, sub, inner, here, src_vars)
        code.emit(indent + 1, f"if {inner}: {out}[{key!r}] = {inner}")
        code.emit(indent, f"elif {local}_ is not None:")
        code.emit(indent + 1, f"{out}[{key!r}] = {local}_")
        code.emit(indent + 1, f"notes = _shape(notes, {here!r}, {local}_)")


def _shared_objects(fmt: str, rows: tuple[Row, ...]) -> dict[tuple[str, ...], dict[str, Any]]:
    """The target objects only constants write (OCSF `metadata.product`, ECS `observer`), each built once
    and shared by every record: nothing writes into a mapped record's objects after mapping, except ECS's
    `event.original` (so `event` is never shared)."""
    const: dict[tuple[str, ...], bool] = {}
    for row in rows:
        p = _path(row.target.removesuffix("[]"))
        fixed = not row.sources and not row.fill and not row.target.endswith("[]")
        for i in range(1, len(p)):
            const[p[:i]] = const.get(p[:i], True) and fixed
    if fmt == "ecs":
        const[("event",)] = False
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for path in sorted((p for p, ok in const.items() if ok), key=len):
        if path[:-1] in out:
            out[path] = out[path[:-1]][path[-1]]
            continue
        tree: dict[str, Any] = {}
        for row in rows:
            p = _path(row.target)
            if p[:len(path)] == path:
                _put(tree, p[len(path):], row.const)
        out[path] = tree
    return out


def _values_shape(row: Row) -> str | None:
    """What a row can put into a collected list, known from its declaration: "one" value, several
    "distinct" ones (a tuple without repeats), or None when only the values tell (a converter's result)."""
    if not row.sources:
        values: list[Any] = [row.const]
    elif row.convert is None or row.convert is convert.get("string"):
        return "one"  # a string, checked before
    elif isinstance(row.convert, Lookup):
        values = list(row.convert.mapping.values())
    else:
        return None
    if all(type(v) is not list and type(v) is not tuple for v in values):
        return "one"
    if all(type(v) is tuple and len(set(v)) == len(v) for v in values):
        return "distinct"
    return None


def _conv_name(conv: Converter | Lookup | None) -> str:
    return "string" if conv is None else conv.name


def compile_case(table: Table, case: Case, fallback: Callable[..., dict[str, Any]] | None) -> CaseFn:
    rows = table.rows + case.rows
    code = _Code()
    code.env["_finish"] = FINISH[table.fmt]
    code.env["_fallback"] = fallback
    code.emit(0, "def case(e, t, notes=None):")  # a Mapper itself: a table without cases needs no wrapper
    # One local per source object read, shared by all its rows.
    src_vars: dict[tuple[str, ...], str] = {(): "e"}
    for row in rows:
        for s in row.sources:
            p = () if s == TIME else _path(s)
            for i in range(1, len(p)):
                if p[:i] not in src_vars:
                    v = src_vars[p[:i]] = code.var("s")
                    code.emit(1, f"{v}_ = {src_vars[p[:i - 1]]}.get({p[i - 1]!r})")  # as sent (for unmapped)
                    code.emit(1, f"{v} = {v}_ if type({v}_) is dict else _E")
    # One local per target object (and per collected list).
    obj_vars: dict[tuple[str, ...], str] = {(): "o"}
    list_vars: dict[tuple[str, ...], str] = {}
    code.emit(1, "o = {}")
    # An object a constant always writes exists from the start; any other is made when first written (most
    # of a table's objects stay empty for a given event: making each would cost more than checking).
    eager = {(): True} | {_path(r.target)[:-1]: True for r in rows
                          if not r.sources and not r.fill and not r.target.endswith("[]")}
    shared = _shared_objects(table.fmt, rows)
    for row in rows:
        is_list = row.target.endswith("[]")
        p = _path(row.target.removesuffix("[]"))
        for i in range(1, len(p)):
            if p[:i] not in obj_vars:
                v = obj_vars[p[:i]] = code.var("o")
                if p[:i] in shared:
                    code.emit(1, f"{v} = {code.bind('K', shared[p[:i]])}")
                else:
                    code.emit(1, f"{v} = {{}}" if p[:i] in eager else f"{v} = None")
        if is_list and p not in list_vars:
            v = list_vars[p] = code.var("l")
            code.emit(1, f"{v} = []")

    def make(indent: int, path: tuple[str, ...]) -> None:
        if path not in eager:
            code.emit(indent, f"if {obj_vars[path]} is None: {obj_vars[path]} = {{}}")

    # Each source value read once, into its own local, however many rows use it.
    leaf_vars: dict[str, str] = {}

    def getter(s: str) -> str:
        if s == TIME:
            return "t"
        if s not in leaf_vars:
            p = _path(s)
            v = leaf_vars[s] = code.var("r")
            code.emit(1, f"{v} = {src_vars[p[:-1]]}.get({p[-1]!r})")
        return leaf_vars[s]

    for row in rows:
        for s in row.sources:
            getter(s)

    fills: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
    written: set[tuple[str, ...]] = set()  # the collected lists some earlier row already appends to
    for row in rows:
        p = _path(row.target.removesuffix("[]"))
        parent, leaf = obj_vars[p[:-1]], p[-1]
        if row.fill:
            fills.setdefault(p[:-1], []).append((leaf, row.const))
            continue

        def assign(value: str, indent: int, row: Row = row, p: tuple[str, ...] = p, parent: str = parent,
                   leaf: str = leaf) -> None:
            if p in list_vars:
                lst = list_vars[p]
                first = p not in written
                written.add(p)
                shape = _values_shape(row) if first else None
                if shape == "one":  # the list is still empty here: nothing to check for duplicates
                    code.emit(indent, f"{lst}.append({value})")
                elif shape == "distinct":
                    code.emit(indent, f"{lst}.extend({value})")
                elif row.sources and not row.const:  # a converter may give several values
                    code.emit(indent, f"if type({value}) is list or type({value}) is tuple: _add({lst}, {value})")
                    code.emit(indent, f"elif {value} not in {lst}: {lst}.append({value})")
                else:
                    code.emit(indent, f"_add({lst}, {value})")
            else:
                make(indent, p[:-1])
                code.emit(indent, f"{parent}[{leaf!r}] = {value}")

        if not row.sources:
            if p[:-1] not in shared:  # else already in the shared object
                assign(code.bind("K", row.const), 1)
            continue
        if row.combine:
            got = [getter(s) for s in row.sources]
            code.emit(1, f"v = ({', '.join(got)},) if {' or '.join(f'{g} is not None' for g in got)} else None")
            val = "v"
        elif len(row.sources) > 1:
            code.emit(1, f"v = {getter(row.sources[0])}")
            for s in row.sources[1:]:
                code.emit(1, f"if v is None: v = {getter(s)}")
            val = "v"
        else:  # one source: its local is the value
            val = getter(row.sources[0])
        paths = tuple(_path(s) for s in row.sources if s != TIME)
        # An empty list, object or string is no value: nothing to note.
        on_bad = (f"notes = _bad(notes, {paths!r}, {val}, {_conv_name(row.convert)!r}) if {val} or {val} == 0 "
                  "else notes" if not row.derived and paths else "pass")
        if row.convert is None or row.convert is convert.get("string"):  # no converter: a string, checked
            code.emit(1, f"if type({val}) is str:")
            assign(val, 2)
            code.emit(1, f"elif {val} is not None: {on_bad}")
            continue
        code.emit(1, f"if {val} is not None:")
        if isinstance(row.convert, Lookup):  # inlined: a dict lookup (an unhashable value maps to nothing)
            table_name = code.bind("L", row.convert.mapping)
            code.emit(2, "try:")
            code.emit(3, f"w = {table_name}.get({val})")
            code.emit(2, "except TypeError:")
            code.emit(3, "w = None")
        elif row.convert.same_for is not None:  # the common type needs no call
            kind = code.bind("T", row.convert.same_for)
            code.emit(2, f"w = {val} if type({val}) is {kind} else {code.bind('c', row.convert.fn)}({val})")
        else:
            code.emit(2, f"w = {code.bind('c', row.convert.fn)}({val})")
        code.emit(2, "if w is not None:")
        assign("w", 3)
        code.emit(2, f"else: {on_bad}")
    # Attach the objects that are not empty, deepest first (after their fills).
    for p in sorted(set(obj_vars) | set(list_vars), key=len, reverse=True):
        if not p:
            continue
        parent, leaf = obj_vars[p[:-1]], p[-1]
        if p in list_vars:
            code.emit(1, f"if {list_vars[p]}:")
            make(2, p[:-1])
            code.emit(2, f"{parent}[{leaf!r}] = {list_vars[p]}")
        if p in obj_vars:
            if p[:-1] in shared:  # part of a shared object already
                continue
            v = obj_vars[p]
            if p not in eager:
                code.emit(1, f"if {v} is not None:")
            else:
                code.emit(1, "if True:")
            for key, value in fills.get(p, []):
                code.emit(2, f"{v}.setdefault({key!r}, {code.bind('K', value)})")
            make(2, p[:-1])
            code.emit(2, f"{parent}[{leaf!r}] = {v}")
    if case.requires:
        checks = []
        for req in case.requires:
            alts = []
            for alt in req.split("|"):
                p = _path(alt)
                holder = obj_vars.get(p[:-1], "_E")
                alts.append(f"{p[-1]!r} in {holder if p[:-1] in eager or holder == '_E' else f'({holder} or _E)'}")
            checks.append("(" + " or ".join(alts) + ")")
        code.emit(1, f"if not ({' and '.join(checks)}):")
        msg = f"{case.title or case.name}: " + " and ".join(case.requires) + " not all present"
        code.emit(2, f"return _fallback(e, t, notes, {msg!r})")
    _prune(code, 1, "e", _consumed(rows), "u", (), src_vars)
    if table.fmt == "ocsf":
        code.emit(1, "o['type_uid'] = o['class_uid'] * 100 + o['activity_id']")
    # The usual end inline; notes (or a vendor namespace some row also writes) through the format's finish.
    if any(r.target.split(".", 1)[0] == table.namespace for r in rows):
        code.emit(1, f"return _finish(o, u, notes, e, {table.namespace!r})")
    else:
        code.emit(1, f"if notes is not None: return _finish(o, u, notes, e, {table.namespace!r})")
        code.emit(1, f"if u: o[{table.namespace!r}] = u")
        code.emit(1, "return o")
    source = "\n".join(code.lines)
    exec(compile(source, f"<c2c.normalize {table.fmt}/{table.data_type}/{case.name}>", "exec"), code.env)
    case_fn: CaseFn = code.env["case"]
    case_fn.__doc__ = source  # the generated code, for whoever debugs a mapping
    return case_fn


def compile_table(table: Table) -> Mapper:
    """One function (event, record time) -> mapped object, for the table's data type and format."""
    cases: dict[str, CaseFn] = {}
    all_cases = table.cases or (Case("", ()),)
    # c2c's own record keys start with `_` (RecordMaker adds them without checking for a clash).
    for row in table.rows + tuple(r for c in all_cases for r in c.rows):
        if row.target.startswith("_"):
            raise ValueError(f"{table.fmt}/{table.data_type}: target {row.target} is a c2c key")
    titles = {c.name: c.title or c.name for c in all_cases}

    def fallback_to(target: str) -> Callable[..., dict[str, Any]]:
        def fallback(e: Mapping[str, Any], t: str, notes: list[tuple[Any, ...]] | None, why: str) -> dict[str, Any]:
            return cases[target](e, t, [*(notes or ()), ("class", f"{why}; mapped as {titles[target]}")])

        return fallback

    for case in all_cases:
        target = case.fallback or table.fallback
        if case.requires and (target is None or target == case.name):
            raise ValueError(f"{table.fmt}/{table.data_type}: case {case.name} has requirements but no fallback")
        cases[case.name] = compile_case(table, case, fallback_to(target) if target else None)
    select = table.select
    if select is None:
        only = cases[all_cases[0].name]
        return cast(Mapper, only)  # its `notes` defaults to None
    rules = []
    for src, conv, mapping in select.rules:
        p = _path(src)
        rules.append((p, conv.fn if conv is not None else None, {k: cases[v] for k, v in mapping.items()}))
    default = cases[select.default]
    default_title = titles[select.default]
    def slow(e: Mapping[str, Any], t: str) -> dict[str, Any]:
        seen = []
        for path, conv_fn, by_value in rules:
            v = _dig(e, path)
            if conv_fn is not None and v is not None:
                v = conv_fn(v)
            if v is None:
                continue
            try:
                fn = by_value.get(v)
            except TypeError:
                fn = None
            if fn is not None:
                return fn(e, t, None)
            seen.append(f"{'.'.join(path)} {_show(v)}")
        if not select.note_default and seen:
            return default(e, t, None)
        why = ("unknown event kind: " + ", ".join(seen)) if seen else "no event kind (" + ", ".join(
            ".".join(p) for p, _, _ in rules) + ")"
        return default(e, t, [("kind", f"{why}; mapped as {default_title}")])

    first_path, first_conv, first_cases = rules[0]
    if first_conv is not None or len(first_path) > 2:
        return slow
    # The common case, without a loop: the first rule's field (top-level, or one object down) names a kind.
    top, inner = first_path[0], (first_path[1] if len(first_path) == 2 else None)

    def mapper(e: Mapping[str, Any], t: str) -> dict[str, Any]:
        v = e.get(top)
        if inner is not None:
            v = v.get(inner) if type(v) is dict else None
        if type(v) is str:
            fn = first_cases.get(v)
            if fn is not None:
                return fn(e, t, None)
        return slow(e, t)

    return mapper
