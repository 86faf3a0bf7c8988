"""The one engine: compiles a declared table into plain Python functions, once, so the per-event cost is a
straight run of dict lookups (no walking of the table, no path splitting, no per-row calls for plain
strings). The generated code is built only from the table's own declarations (paths and keys as repr()
literals, constants and converters bound by name), never from event data (the text path's code for one
shape of event, `_dispatch`, binds the vendor's keys as values).

Per event: select the case; read every source (one local per source object, shared by its rows); write
every target into one local dict per target object; attach the objects that are not empty; check the
case's requirements (else the fallback case); the event's fields no row read go to `unmapped` (OCSF) or
the vendor namespace (ECS); a value that did not convert goes there too, at its own path, with a note.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from c2c.jsoncodec import stdlib_encoder
from c2c.normalize import convert
from c2c.normalize.table import TIME, Case, Converter, Lookup, Row, Table

Mapper = Callable[[Mapping[str, Any], str], dict[str, Any]]
CaseFn = Callable[..., Any]  # (event, time, notes) -> a dict; (event, time, head, tail, notes) -> text or None
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
# The JSON of a string and of any value, as the standard library's encoder (jsoncodec) writes them.
_S: Callable[[str], str] = json.encoder.encode_basestring
_J = stdlib_encoder()


def _no_text(e: Mapping[str, Any], t: str, head: str, tail: str, notes: list[tuple[Any, ...]] | None = None) -> None:
    return None


class _Code:
    """Source text being generated, with the objects it refers to bound as globals."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {"_E": _EMPTY, "_add": _add, "_bad": _bad, "_shape": _shape}
        self.n = 0
        self.texts: dict[str, str] = {}  # text path: a target's local -> the local holding its JSON text
        self.text_lists: dict[str, tuple[str, dict[str, str]]] = {}  # a list's local -> (its texts', source texts)
        # Text path for one shape of event (`_dispatch`): each source object's keys, in order (() for the event
        # itself); the read locals whose key that shape lacks (None, never read) and the targets no row sets.
        self.shape: dict[tuple[str, ...], tuple[Any, ...]] | None = None
        self.absent: set[str] = set()
        self.dead: set[str] = set()
        self.subscripted: set[tuple[tuple[str, ...], Any]] = set()  # (object, key) the code reads with [] (raising)

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


_KT: dict[Any, str] = {}  # a vendor key -> its JSON text with the comma before and the colon after


def _key(k: Any) -> str:
    if len(_KT) > 4096:  # vendor keys are few; bounded all the same
        _KT.clear()
    text = _KT[k] = "," + _J({k: 0})[1:-2]  # as the encoder writes a key (a number or a bool as a string too)
    return text


_PLANS = 256  # shapes kept per vendor object (cleared beyond: a bound, not a limit seen in practice)


def _plan(plans: dict[tuple[Any, ...], tuple[tuple[Any, str], ...]], obj: Mapping[Any, Any],
          read: frozenset[str]) -> tuple[tuple[Any, str], ...]:
    """The keys of `obj` not in `read`, in order, each with its JSON text (comma and colon), cached by shape."""
    if len(plans) >= _PLANS:
        plans.clear()
    keys = tuple(obj)
    plan = plans[keys] = tuple((k, _KT.get(k) or _key(k)) for k in keys if k not in read)
    return plan


# The JSON of a vendor value (not None), as the stdlib encoder writes it: the usual kinds without a call.
_VALUE = ("_S(v) if type(v) is str else f'{v}' if type(v) is int else 'true' if v is True else 'false' if v is False "
          "else '[]' if v == [] else _J(v)")  # (an empty list: most lists of Code42's events)


def _lookup(code: _Code, indent: int, src: str, tree: dict[str, Any]) -> None:
    """Code setting `q` to the plan of `src`: the keys no row reads (`tree`), with their JSON text, found once
    per shape of the object (its keys in order): a vendor's objects come in a few shapes, so per event the
    loop visits only the keys it keeps."""
    plans = code.bind("P", {})
    code.emit(indent, f"q = {plans}.get(tuple({src}))")
    code.emit(indent, f"if q is None: q = _plan({plans}, {src}, {code.bind('K', frozenset(tree))})")


def _prune(code: _Code, indent: int, src: str, tree: dict[str, Any], out: str | None, at: tuple[str, ...],
           src_vars: dict[tuple[str, ...], str]) -> None:
    """`out` = the object `src` without what the rows read (`tree`), recursively; an object of another
    type stays whole, with a note. Uses the locals the rows' reads already made. With `out` None, as text:
    appends the members to `p`, each after a comma (the caller opens and closes the object), and an object
    of another type returns None (the dict path notes it)."""
    if out is None and code.shape is not None:
        _prune_shaped(code, indent, src, tree, at, src_vars)
        return
    if out is not None:
        code.emit(indent, f"{out} = {{}}")
    if not (out is None and at and all(sub is True for sub in tree.values())):  # else looked up by the caller
        _lookup(code, indent, src, tree)
    code.emit(indent, "for k, kt in q:")  # a loop, not a comprehension: in 3.11 that is a function call
    code.emit(indent + 1, f"v = {src}[k]")
    code.emit(indent + 1, f"if v is not None: {f'a(kt); a({_VALUE})' if out is None else f'{out}[k] = v'}")
    for key, sub in tree.items():
        if sub is True:
            continue
        here = (*at, key)
        local = src_vars[here]
        code.emit(indent, f"if {local} is not _E:")
        if out is None:
            inner_indent = indent + 1
            if all(v is True for v in sub.values()):  # no object inside: opened only when it has keys to keep
                _lookup(code, indent + 1, local, sub)
                code.emit(indent + 1, "if q:")
                inner_indent += 1
            mark = code.var("i")
            code.emit(inner_indent, f"{mark} = len(p); a({',' + _S(key) + ':{'!r})")
            _prune(code, inner_indent, local, sub, None, here, src_vars)
            code.emit(inner_indent, f"if len(p) > {mark} + 1: p[{mark} + 1] = p[{mark} + 1][1:]; a('}}')")
            code.emit(inner_indent, f"else: del p[{mark}]")
            code.emit(indent, f"elif {local}_ is not None: return None")
            continue
        inner = code.var("u")
        _prune(code, indent + 1, local, sub, inner, here, src_vars)
        code.emit(indent + 1, f"if {inner}: {out}[{key!r}] = {inner}")
        code.emit(indent, f"elif {local}_ is not None:")
        code.emit(indent + 1, f"{out}[{key!r}] = {local}_")
        code.emit(indent + 1, f"notes = _shape(notes, {here!r}, {local}_)")


def _prune_shaped(code: _Code, indent: int, src: str, tree: dict[str, Any], at: tuple[str, ...],
                  src_vars: dict[tuple[str, ...], str]) -> None:
    """`_prune`'s text for one shape: the keys no row reads, known now, each written in turn (no plan looked
    up, no loop); an object the shape has no keys in writes nothing. The vendor's keys and their texts are
    bound as values, never written into the source."""
    assert code.shape is not None
    kept = [k for k in code.shape[at] if k not in tree]
    mark = code.var("n")
    if len(kept) > 1:
        code.emit(indent, f"{mark} = len(p)")
    for k in kept:
        code.subscripted.add((at, k))
        kt = _KT.get(k) or _key(k)
        code.emit(indent, f"v = {src}[{code.bind('V', k)}]")
        code.emit(indent, f"if v is not None: a({code.bind('V', kt)}); a({_VALUE})")
    if len(kept) > 1:  # two written: in the shape's order only if the event's keys are in it too
        code.emit(indent, f"if len(p) > {mark} + 2 and tuple({src}) != {code.bind('V', code.shape[at])}: "
                          "return _MISS")
    for key, sub in tree.items():
        here = (*at, key)
        if sub is True or not _keeps(code.shape, here, sub):
            continue
        mark = code.var("i")
        code.emit(indent, f"{mark} = len(p); a({',' + _S(key) + ':{'!r})")
        _prune_shaped(code, indent, src_vars[here], sub, here, src_vars)
        code.emit(indent, f"if len(p) > {mark} + 1: p[{mark} + 1] = p[{mark} + 1][1:]; a('}}')")
        code.emit(indent, f"else: del p[{mark}]")


def _keeps(shape: dict[tuple[str, ...], tuple[Any, ...]], at: tuple[str, ...], tree: dict[str, Any]) -> bool:
    """Whether the object at `at`, of this shape, has keys no row reads (in it or in an object inside)."""
    keys = shape.get(at, ())
    return any(k not in tree for k in keys) or any(
        sub is not True and k in keys and _keeps(shape, (*at, k), sub) for k, sub in tree.items())


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


class _Leaf:
    """A target key: written by rows in order (the last value written wins), or a constant every event has."""

    def __init__(self, var: str) -> None:
        self.var = var
        self.rows: list[Row] = []
        self.fill: Any = None
        self.is_fill = False
        self.is_list = False

    @property
    def fixed(self) -> bool:  # only constants write it: its value is known now
        return bool(self.rows) and not self.is_list and all(not r.sources for r in self.rows)

    @property
    def value(self) -> Any:
        return self.rows[-1].const


class _Node:
    """A target object: its keys (leaves and objects) in the order the table first names them."""

    def __init__(self, path: tuple[str, ...], var: str) -> None:
        self.path = path
        self.var = var
        self.keys: dict[str, _Leaf | _Node] = {}

    def fills(self) -> list[tuple[str, _Leaf]]:
        return [(k, v) for k, v in self.keys.items() if isinstance(v, _Leaf) and v.is_fill]

    def members(self) -> list[tuple[str, _Leaf | _Node]]:
        """The keys in output order: as the table names them, `fill` keys last (set only when others are)."""
        return [(k, v) for k, v in self.keys.items() if not (isinstance(v, _Leaf) and v.is_fill)] + self.fills()


def _targets(code: _Code, rows: tuple[Row, ...]) -> tuple[_Node, dict[tuple[str, ...], _Leaf | _Node]]:
    root = _Node((), "o")
    at: dict[tuple[str, ...], _Leaf | _Node] = {(): root}
    for row in rows:
        p = _path(row.target.removesuffix("[]"))
        node = root
        for i in range(1, len(p)):
            nxt = at.get(p[:i])
            if nxt is None:
                nxt = at[p[:i]] = node.keys[p[i - 1]] = _Node(p[:i], code.var("o"))
            if not isinstance(nxt, _Node):
                raise ValueError(f"target {row.target}: {'.'.join(p[:i])} is a value, not an object")
            node = nxt
        leaf = at.get(p)
        if leaf is None:
            leaf = at[p] = node.keys[p[-1]] = _Leaf(code.var("l" if row.target.endswith("[]") else "x"))
            leaf.is_list = row.target.endswith("[]")
        if not isinstance(leaf, _Leaf) or leaf.is_list != row.target.endswith("[]"):
            raise ValueError(f"target {row.target}: written both as a value and as an object or list")
        if row.fill:
            if leaf.rows or leaf.is_fill:
                raise ValueError(f"target {row.target}: a fill must be the key's only row")
            leaf.is_fill, leaf.fill = True, row.const
        elif leaf.is_fill:
            raise ValueError(f"target {row.target}: a fill must be the key's only row")
        else:
            leaf.rows.append(row)
    return root, at


def _present(item: _Leaf | _Node, dead: set[str] | frozenset[str] = frozenset()) -> str:
    """A test, on the locals, that the target exists in the record ("True" when a constant always writes it,
    "False" when no row can, `dead`)."""
    if isinstance(item, _Leaf):
        if item.var in dead:
            return "False"
        return "True" if item.fixed else f"bool({item.var})" if item.is_list else f"{item.var} is not None"
    tests = [t for v in item.keys.values() if not (isinstance(v, _Leaf) and v.is_fill)
             if (t := _present(v, dead)) != "False"]
    return "True" if "True" in tests else "(" + " or ".join(tests) + ")" if tests else "False"


def _value_kind(value: Any) -> str:
    if type(value) is str or type(value) is int:
        return type(value).__name__
    if type(value) in (list, tuple) and all(type(v) is str for v in value):
        return "strs"
    return "any"


def _kind(leaf: _Leaf) -> str:
    """What its values are, from the declaration: "str", "int" (exactly), "strs" (a list or tuple of strings),
    else "any" (the encoder decides). For a collected list, what the list is: "strs" or "any"."""
    kinds = set()
    for row in leaf.rows:
        if not row.sources:
            kinds.add(_value_kind(row.const))
        elif row.convert is None or row.convert is convert.get("string"):
            kinds.add("str")
        elif isinstance(row.convert, Lookup):
            kinds.update(_value_kind(v) for v in row.convert.mapping.values())
        else:
            kinds.add(row.convert.returns or "any")
    if leaf.is_list:  # what is appended (one value) or extended (several)
        return "strs" if kinds <= {"str", "strs"} else "any"
    return kinds.pop() if len(kinds) == 1 and kinds <= {"str", "int", "strs"} else "any"


def _known_texts(leaf: _Leaf) -> dict[Any, str] | None:
    """value -> JSON text, when the table names every value the leaf can take (constants, lookups) and they
    are strings or tuples of strings (no two of which are equal: a dict can tell them apart)."""
    values: list[Any] = []
    for row in leaf.rows:
        if not row.sources:
            values.append(row.const)
        elif isinstance(row.convert, Lookup):
            values += row.convert.mapping.values()
        else:
            return None
    if leaf.is_list or not all(_value_kind(v) in ("str", "strs") for v in values):
        return None
    return {v: _J(v) for v in values}


def _as_json(code: _Code, leaf: _Leaf) -> str:
    """An expression: the JSON text of the leaf's value (not None), as the stdlib encoder writes it."""
    v = leaf.var
    if v in code.texts:
        return code.texts[v]
    if v in code.text_lists:
        return f"'[' + ','.join({code.text_lists[v][0]}) + ']'"
    known = _known_texts(leaf)
    if known is not None:
        return f"{code.bind('J', known)}[{v}]"
    kind = _kind(leaf)
    if kind == "str":
        return f"_S({v})"
    if kind == "int":
        return f"_I({v})"
    if kind == "strs":
        return f"'[' + ','.join(map(_S, {v})) + ']'"
    return f"(_S({v}) if type({v}) is str else _J({v}))"


def _dict_of(code: _Code, indent: int, node: _Node, shared: dict[tuple[str, ...], dict[str, Any]],
             fmt: str) -> None:
    """Code that builds `node.var`, the object's dict, keys in order (an empty dict when nothing is set)."""
    members = node.members()
    # The constant keys the object starts with go into one display; the rest each when set.
    lead = []
    for key, item in members:
        if not (isinstance(item, _Leaf) and item.fixed):
            break
        lead.append(f"{key!r}: {code.bind('K', item.value)}")
    code.emit(indent, f"{node.var} = {{{', '.join(lead)}}}")
    for key, item in members[len(lead):]:
        if isinstance(item, _Node):
            if item.path in shared:
                code.emit(indent, f"{node.var}[{key!r}] = {code.bind('K', shared[item.path])}")
                continue
            _dict_of(code, indent, item, shared, fmt)
            code.emit(indent, f"if {item.var}: {node.var}[{key!r}] = {item.var}")
        elif item.is_fill:
            code.emit(indent, f"if {node.var}: {node.var}[{key!r}] = {code.bind('K', item.fill)}")
        elif item.fixed:
            code.emit(indent, f"{node.var}[{key!r}] = {code.bind('K', item.value)}")
        elif item.is_list:
            code.emit(indent, f"if {item.var}: {node.var}[{key!r}] = {item.var}")
        else:
            code.emit(indent, f"if {item.var} is not None: {node.var}[{key!r}] = {item.var}")


def _const_text(node: _Node) -> str | None:
    """The JSON members of an object only constants write (each after a comma), or None."""
    out = ""
    for key, item in node.members():
        if isinstance(item, _Node):
            inner = _const_text(item)
            if inner is None:
                return None
            out += "," + _S(key) + ":{" + inner[1:] + "}"
        elif item.fixed:
            out += "," + _S(key) + ":" + _J(item.value)
        else:
            return None
    return out


_GUARD_TESTS = 6  # an object of up to this many values is tested before it is opened


class _Text:
    """Code appending pieces of JSON text to the list `p` (through its bound `a = p.append`); consecutive
    constant pieces are joined into one literal."""

    def __init__(self, code: _Code, indent: int) -> None:
        self.code, self.indent, self.pending = code, indent, ""

    def literal(self, piece: str) -> None:
        self.pending += piece

    def flush(self) -> None:
        if self.pending:
            self.code.emit(self.indent, f"a({self.pending!r})")
            self.pending = ""

    def emit(self, line: str) -> None:
        self.flush()
        self.code.emit(self.indent, line)


def _text_of(code: _Code, w: _Text, node: _Node, always: bool, bare_first: bool = False,
             start: str = "") -> None:
    """Code that appends the members of `node` as JSON text, each after a comma (but the first with
    `bare_first`): the text the encoder makes of `_dict_of`'s dict, key for key. `always`: the object is in
    the record whatever the event; else the caller opened it at p[start] and closes it."""
    dead = code.dead
    for key, item in node.members():
        if _present(item, dead) == "False" and not (isinstance(item, _Leaf) and item.is_fill):
            continue  # no row can set it for this shape of event
        name = ("" if bare_first else ",") + _S(key) + ":"
        bare_first = False
        if isinstance(item, _Node):
            const = _const_text(item)
            if const is not None:
                w.literal(name + "{" + const[1:] + "}")
                continue
            first = item.members()[0][1]
            if _present(item, dead) == "True" and isinstance(first, _Leaf) and first.fixed:
                # Always there and starting with a constant: written in place, no comma to drop.
                w.literal(name + "{")
                _text_of(code, w, item, True, bare_first=True)
                w.literal("}")
                continue
            present = _present(item, dead)
            if present.count(" or ") < _GUARD_TESTS:
                # A small object: written only when one of its values is there (most are, for a given event).
                w.emit(f"if {present}:")
                inner = _Text(code, w.indent + 1)
                if sum(1 for _, m in item.members() if not (isinstance(m, _Leaf) and m.is_fill)
                       and _present(m, dead) != "False") == 1:
                    inner.literal(name + "{")  # its one value is there: no comma to drop
                    _text_of(code, inner, item, True, bare_first=True)
                else:
                    mark = code.var("i")
                    inner.emit(f"{mark} = len(p)")
                    inner.literal(name + "{")
                    inner.flush()
                    _text_of(code, inner, item, True)
                    inner.emit(f"p[{mark} + 1] = p[{mark} + 1][1:]")  # the first member's comma
                inner.literal("}")
                inner.flush()
                continue
            # Opened on the chance it has members: closed when it has (the first's comma dropped), else undone.
            mark = code.var("i")
            w.emit(f"{mark} = len(p)")
            w.literal(name + "{")
            w.flush()
            _text_of(code, w, item, False, start=mark)
            w.emit(f"if len(p) > {mark} + 1: p[{mark} + 1] = p[{mark} + 1][1:]; a('}}')")
            w.emit(f"else: del p[{mark}]")
        elif item.is_fill:
            if always:
                w.literal(name + _J(item.fill))
            else:
                w.emit(f"if len(p) > {start} + 1: a({name + _J(item.fill)!r})")
        elif item.fixed:
            w.literal(name + _J(item.value))
        elif item.is_list:
            w.emit(f"if {item.var}: a({name!r}); a({_as_json(code, item)})")
        elif all(r.sources == (TIME,) and r.convert in (None, convert.get("string")) for r in item.rows):
            w.emit(f"if {item.var} is not None: a({name!r}); a(tj)")  # the record time, as is
        elif _kind(item) == "int":  # an f-string formats an int as its repr, in one step
            w.emit(f"if {item.var} is not None: a(f{name + '{' + item.var + '}'!r})")
        else:
            w.emit(f"if {item.var} is not None: a({name!r}); a({_as_json(code, item)})")


def _convert(code: _Code, indent: int, conv: Converter | Lookup, val: str) -> None:
    """Code setting `w` to conv(val)."""
    if isinstance(conv, Lookup):  # inlined: a dict lookup (an unhashable value maps to nothing)
        table_name = code.bind("L", conv.mapping)
        code.emit(indent, "try:")
        code.emit(indent + 1, f"w = {table_name}.get({val})")
        code.emit(indent, "except TypeError:")
        code.emit(indent + 1, "w = None")
    elif conv.expr is not None:  # inlined: the converter's own expression of `v`
        for name, obj in conv.env.items():
            if code.env.setdefault(name, obj) is not obj:
                raise ValueError(f"converter {conv.name}: the name {name} is taken")
        if val != "v":
            code.emit(indent, f"v = {val}")
        code.emit(indent, f"w = {conv.expr}")
    elif conv.same_for is not None:  # the common type needs no call
        kind = code.bind("T", conv.same_for)
        code.emit(indent, f"w = {val} if type({val}) is {kind} else {code.bind('c', conv.fn)}({val})")
    else:
        code.emit(indent, f"w = {code.bind('c', conv.fn)}({val})")


def _kept_source(row: Row) -> str | None:
    """The source whose value the row writes as it is (or not at all): a plain string, or a converter that
    only checks (`keeps`); None for any other row."""
    if len(row.sources) != 1 or row.sources[0] == TIME or row.combine or row.const is not None:
        return None
    conv = row.convert
    return row.sources[0] if conv is None or (isinstance(conv, Converter) and conv.keeps) else None


def _shared_texts(code: _Code, at: dict[tuple[str, ...], _Leaf | _Node], leaf_vars: dict[str, str]) -> None:
    """Text path: a vendor string several targets write as it is (ECS: user.email into user.email, user.name
    and related.user) is escaped once per event, into a local the targets' texts use. Only where a plain
    string row reads it, which writes it whenever it is a string: the text made is never wasted."""
    uses: dict[str, list[_Leaf]] = {}
    plain: set[str] = set()
    for leaf in at.values():
        if not isinstance(leaf, _Leaf) or leaf.is_fill or leaf.fixed:
            continue
        srcs = [_kept_source(r) for r in leaf.rows]
        if not srcs or None in srcs or (not leaf.is_list and len(srcs) != 1):
            continue
        for row, src in zip(leaf.rows, srcs, strict=True):
            assert src is not None
            uses.setdefault(src, []).append(leaf)
            if row.convert is None or row.convert is convert.get("string"):
                plain.add(src)
    shared = {src: code.var("j") for src, leaves in uses.items()
              if len(leaves) > 1 and src in plain and leaf_vars[src] not in code.absent}
    for src, j in shared.items():
        r = leaf_vars[src]
        code.emit(1, f"{j} = _S({r}) if type({r}) is str else None")
    for src, leaves in uses.items():
        for leaf in leaves:
            if leaf.is_list:
                if leaf.var not in code.text_lists:
                    code.text_lists[leaf.var] = (code.var("t"), {})
                code.text_lists[leaf.var][1][src] = shared.get(src, f"_S({leaf_vars[src]})")
            elif src in shared:
                code.texts[leaf.var] = shared[src]
    for tl, _ in code.text_lists.values():
        code.emit(1, f"{tl} = []")


def _objects(rows: tuple[Row, ...]) -> list[tuple[str, ...]]:
    """The source objects the rows read from (not the event itself), parents first, in the rows' order."""
    out: dict[tuple[str, ...], None] = {}
    for row in rows:
        for s in row.sources:
            p = () if s == TIME else _path(s)
            for i in range(1, len(p)):
                out.setdefault(p[:i])
    return list(out)


def _row_reads(row: Row, absent: set[str], leaf_vars: dict[str, str]) -> bool:
    """Whether the row can write anything: a constant, or a source the shape of event has."""
    return not row.sources or any(s == TIME or leaf_vars[s] not in absent for s in row.sources)


def compile_case(table: Table, case: Case, fallback: Callable[..., Any] | None, text: bool = False,
                 shape: dict[tuple[str, ...], tuple[Any, ...]] | None = None) -> CaseFn | None:
    """The case as a function (event, record time, notes) -> the mapped dict; with `text`, -> the record's
    JSON text without its closing brace (the standard library's encoding of that dict, exactly), or None
    where only the dict does (a note, a fallback, a row writing into the vendor namespace). With `shape`
    (text only): the same text for events of that shape only, taking the source objects (`_dispatch`)."""
    rows = table.rows + case.rows
    code = _Code()
    code.shape = shape
    # Where the text gives up: None, for the dict; _MISS for one shape's code, which returns only once it has
    # read all the keys that check the shape (`_check_shape`), so the generic code decides.
    give_up = "None" if shape is None else "_MISS"
    code.env.update({"_finish": FINISH[table.fmt], "_fallback": fallback, "_S": _S, "_J": _J, "_I": int.__repr__,
                     "_plan": _plan})
    # One local per source object read, shared by all its rows.
    src_vars: dict[tuple[str, ...], str] = {(): "e"}
    for obj in _objects(rows):
        src_vars[obj] = code.var("s")
    objs = [src_vars[obj] for obj in _objects(rows)]
    # A Mapper itself (a table without cases needs no wrapper); the text one takes the line's head and tail.
    if shape is not None:
        code.emit(0, f"def case(e, t, head, tail, {', '.join(objs)}):")
        code.emit(1, "notes = None")
    else:
        defaults = "" if text else "=None"  # the dict's takes (and ignores) the line's head and tail: one call
        code.emit(0, f"def case(e, t, head{defaults}, tail{defaults}, notes=None):")
        if text:
            code.emit(1, "if notes is not None: return None")
        for obj in _objects(rows):
            v, parent = src_vars[obj], src_vars[obj[:-1]]
            code.emit(1, f"{v}_ = {parent}.get({obj[-1]!r})")  # as sent (for unmapped)
            code.emit(1, f"{v} = {v}_ if type({v}_) is dict else _E")
    root, at = _targets(code, rows)

    # Each source value read once, into its own local, however many rows use it; the values of an object
    # the event lacks (most events lack several) are not read at all.
    leaf_vars: dict[str, str] = {}
    reads: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for row in rows:
        for src in row.sources:
            if src != TIME and src not in leaf_vars:
                p = _path(src)
                leaf_vars[src] = code.var("r")
                reads.setdefault(p[:-1], []).append((leaf_vars[src], p[-1]))
    if shape is not None:  # the keys the shape lacks are None: no read, and no row of theirs runs
        code.absent = {v for obj, keys in reads.items() for v, key in keys if key not in shape[obj]}
        code.dead = {leaf.var for leaf in at.values() if isinstance(leaf, _Leaf) and not leaf.is_fill
                     and not any(_row_reads(r, code.absent, leaf_vars) for r in leaf.rows)}
    # One local per target value (None: not set) and per collected list; the objects are built at the end.
    values = [leaf.var for leaf in at.values() if isinstance(leaf, _Leaf) and not leaf.is_list and not leaf.fixed
              and not leaf.is_fill and leaf.var not in code.dead]
    if values:
        code.emit(1, " = ".join(values) + " = None")
    for leaf in at.values():
        if isinstance(leaf, _Leaf) and leaf.is_list and leaf.var not in code.dead:
            code.emit(1, f"{leaf.var} = []")

    guarded = [v for obj, keys in reads.items() if obj for v, _ in keys]
    if shape is not None:  # the object and the key are there: read as is
        for obj, keys in reads.items():
            for v, key in keys:
                if v not in code.absent:
                    code.emit(1, f"{v} = {src_vars[obj]}[{key!r}]")
                    code.subscripted.add((obj, key))
    elif guarded:
        code.emit(1, " = ".join(guarded) + " = None")
    checks_at = len(code.lines)
    for obj, keys in reads.items() if shape is None else ():
        if obj:
            code.emit(1, f"if {src_vars[obj]} is not _E:")
        for v, key in keys:
            code.emit(2 if obj else 1, f"{v} = {src_vars[obj]}.get({key!r})")

    if text:
        _shared_texts(code, at, leaf_vars)

    def getter(s: str) -> str:
        return "t" if s == TIME else "None" if leaf_vars[s] in code.absent else leaf_vars[s]

    written: set[str] = set()  # the collected lists some earlier row already appends to
    for row in rows:
        if row.fill:
            continue
        leaf = at[_path(row.target.removesuffix("[]"))]
        assert isinstance(leaf, _Leaf)

        def assign(value: str, indent: int, row: Row = row, leaf: _Leaf = leaf) -> None:
            if leaf.is_list and leaf.var in code.text_lists:  # each value with its text, in the same order
                lst, (texts, by_source) = leaf.var, code.text_lists[leaf.var]
                first = lst not in written
                written.add(lst)
                add = f"{lst}.append({value}); {texts}.append({by_source[row.sources[0]]})"
                code.emit(indent, add if first else f"if {value} not in {lst}: {add}")
            elif leaf.is_list:
                lst = leaf.var
                first = lst not in written
                written.add(lst)
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
                code.emit(indent, f"{leaf.var} = {value}")

        if not row.sources:
            if not leaf.fixed:  # else known now, written by the assembly
                assign(code.bind("K", row.const), 1)
            continue
        if not _row_reads(row, code.absent, leaf_vars):
            continue  # this shape of event has none of its sources
        live = [s for s in row.sources if getter(s) != "None"]
        if row.combine:
            got = [getter(s) for s in row.sources]
            code.emit(1, f"v = ({', '.join(got)},) if {' or '.join(f'{getter(s)} is not None' for s in live)} "
                         "else None")
            val = "v"
        elif len(live) > 1:
            code.emit(1, f"v = {getter(live[0])}")
            for s in live[1:]:
                code.emit(1, f"if v is None: v = {getter(s)}")
            val = "v"
        else:  # one source: its local is the value
            val = getter(live[0])
        paths = tuple(_path(s) for s in row.sources if s != TIME)
        # An empty list, object or string is no value: nothing to note.
        on_bad = (f"notes = _bad(notes, {paths!r}, {val}, {_conv_name(row.convert)!r}) if {val} or {val} == 0 "
                  "else notes" if not row.derived and paths else "pass")
        if row.convert is None or row.convert is convert.get("string"):  # no converter: a string, checked
            code.emit(1, f"if {val} is not None:")  # most absent values cost one test
            code.emit(2, f"if type({val}) is str:")
            assign(val, 3)
            code.emit(2, f"else: {on_bad}")
            continue
        code.emit(1, f"if {val} is not None:")
        steps = row.convert.steps if isinstance(row.convert, Converter) and row.convert.steps else (row.convert,)
        for i, step in enumerate(steps):  # a chain's steps in turn, each inlined where it can be
            indent = 2 + i
            if i:
                code.emit(indent - 1, "if w is not None:")
            _convert(code, indent, step, val if i == 0 else "w")
        code.emit(2, "if w is not None:")
        assign("w", 3)
        code.emit(2, f"else: {on_bad}")
    if case.requires:
        checks = []
        for req in case.requires:
            alts = [_present(at[_path(alt)], code.dead) if _path(alt) in at else "False" for alt in req.split("|")]
            checks.append("(" + " or ".join(alts) + ")")
        code.emit(1, f"if not ({' and '.join(checks)}):")
        msg = f"{case.title or case.name}: " + " and ".join(case.requires) + " not all present"
        code.emit(2, f"return {give_up}" if text else f"return _fallback(e, t, notes, {msg!r})")
    if not text:
        _prune(code, 1, "e", _consumed(rows), "u", (), src_vars)
    writes_namespace = table.namespace in root.keys
    if table.fmt == "ocsf":
        if "type_uid" in root.keys:
            raise ValueError(f"{table.fmt}/{table.data_type}: type_uid is the engine's to write")
        klass, activity = root.keys.get("class_uid"), root.keys.get("activity_id")
        if not (isinstance(klass, _Leaf) and klass.fixed and isinstance(activity, _Leaf) and activity.rows
                and not activity.rows[0].sources):  # always set: the activity's first row is a constant
            raise ValueError(f"{table.fmt}/{table.data_type}/{case.name}: class_uid and activity_id must be set")
        # A constant when the activity is, else computed from the activity's local.
        uid_const = klass.value * 100 + activity.value if activity.fixed else None
        uid_expr = f"{code.bind('K', klass.value)} * 100 + {activity.var}"
    if text:
        if writes_namespace:
            return None  # the dict path merges them
        code.emit(1, f"if notes is not None: return {give_up}")
        code.emit(1, "tj = _S(t)")  # the line's _time; also any target that is the record time as is
        code.emit(1, "p = [head]")
        code.emit(1, "a = p.append")
        w = _Text(code, 1)
        first = root.members()[0][1]
        bare = isinstance(first, _Leaf) and first.fixed
        _text_of(code, w, root, True, bare_first=bare)
        if table.fmt == "ocsf":
            if uid_const is not None:
                w.literal(',"type_uid":' + repr(uid_const))
            else:
                w.emit(f"a(',\"type_uid\":'); a(_I({uid_expr}))")
        w.flush()
        if not bare:  # the first member's comma
            code.emit(1, "p[1] = p[1][1:]")
        code.emit(1, f"i = len(p); a({',' + _S(table.namespace) + ':{'!r})")
        _prune(code, 1, "e", _consumed(rows), None, (), src_vars)
        code.emit(1, "if len(p) > i + 1: p[i + 1] = p[i + 1][1:]; a('}')")
        code.emit(1, "else: del p[i]")
        code.emit(1, "a(tail); a(tj); a('}\\n')")
        code.emit(1, "return ''.join(p)")
    else:
        _dict_of(code, 1, root, _shared_objects(table.fmt, rows), table.fmt)
        if table.fmt == "ocsf":
            code.emit(1, f"o['type_uid'] = {uid_expr if uid_const is None else uid_const}")
        # The usual end inline; notes (or a vendor namespace some row also writes) through the format's finish.
        if writes_namespace:
            code.emit(1, f"return _finish(o, u, notes, e, {table.namespace!r})")
        else:
            code.emit(1, f"if notes is not None: return _finish(o, u, notes, e, {table.namespace!r})")
            code.emit(1, f"if u: o[{table.namespace!r}] = u")
            code.emit(1, "return o")
    if shape is not None:
        _check_shape(code, shape, src_vars, checks_at)
    source = "\n".join(code.lines)
    name = f"<c2c.normalize {table.fmt}/{table.data_type}/{case.name}{' text' if text else ''}>"
    exec(compile(source, name, "exec"), code.env)
    case_fn: CaseFn = code.env["case"]
    case_fn.__doc__ = source  # the generated code, for whoever debugs a mapping
    if text and shape is None:
        return _dispatch(table, case, fallback, case_fn)
    return case_fn


def _check_shape(code: _Code, shape: dict[tuple[str, ...], tuple[Any, ...]], src_vars: dict[tuple[str, ...], str],
                 at_line: int) -> None:
    """Make the code for one shape give _MISS for an event of another: the dispatch matched the number of keys
    of each object, so every key of the shape read with [] (a KeyError otherwise) makes the set of keys the
    same. (Where two kept keys are written, their order counts too: `_prune_shaped` compares the keys.)"""
    checks = []
    for at, keys in shape.items():  # an object with keys came from its parent's key
        if at and keys:
            code.subscripted.add((at[:-1], at[-1]))
    for at, keys in shape.items():
        for k in keys:
            if (at, k) not in code.subscripted:
                checks.append(f"{src_vars[at]}[{code.bind('V', k)}]")
    code.lines[at_line:at_line] = ["    " + c for c in checks]
    code.lines[1:] = ["    try:", *("    " + line for line in code.lines[1:]), "    except KeyError:",
                      "        return _MISS"]
    code.env["_MISS"] = _MISS


_MISS: Any = object()  # what the code for one shape gives for an event of another

# Text path: an event's shape (the keys of it and of each source object, in order) gets its own code once
# seen this often (compiling costs some thousand events' worth of mapping), up to this many shapes a case.
SHAPE_AFTER = 100
_SHAPES = 64
_SEEN = 4096  # shapes counted before the count starts over (a bound)
_LEARNED: list[dict[tuple[int, ...], Any]] = []  # every case's shapes and counts (forget_shapes)


def forget_shapes() -> None:
    """Every shape's code and count dropped: the next events take the generic code (for tests)."""
    for learned in _LEARNED:
        learned.clear()


def _dispatch(table: Table, case: Case, fallback: Callable[..., Any] | None, generic: CaseFn) -> CaseFn:
    """The case's text for events of a shape seen before, by the code compiled for that shape (`compile_case`
    with `shape`: no read of a key the shape lacks, no row of theirs, the vendor fields kept written without
    a loop); `generic` for the others. Vendor objects come in few shapes, so most events take the short way.
    The shape's code is found by the number of keys of each source object (cheap to take) and checks the
    keys themselves (`_check_shape`). An object a row reads into that is not an object gives None here, as
    the generic text does (the dict path notes it)."""
    rows = table.rows + case.rows
    objs = _objects(rows)
    consumed = _consumed(rows)
    shapes: dict[tuple[int, ...], CaseFn] = {}
    seen: dict[tuple[int, ...], int] = {}
    _LEARNED.extend((shapes, seen))

    def learn(key: tuple[int, ...], e: Mapping[str, Any], t: str, head: str, tail: str, *objects: Any) -> Any:
        n = seen.get(key, 0) + 1
        if key in shapes or n < SHAPE_AFTER or len(shapes) >= _SHAPES:
            if len(seen) >= _SEEN:
                seen.clear()
            seen[key] = n
            return generic(e, t, head, tail)
        seen.pop(key, None)
        shape = {(): tuple(e), **{obj: tuple(o) for obj, o in zip(objs, objects, strict=True)}}
        fn = compile_case(table, case, fallback, True, shape)
        assert fn is not None  # a case whose text the generic code writes
        shapes[key] = fn
        text = fn(e, t, head, tail, *objects)
        return generic(e, t, head, tail) if text is _MISS else text

    code = _Code()
    code.env.update({"_SH": shapes, "_learn": learn, "_MISS": _MISS})
    code.emit(0, "def case(e, t, head, tail, notes=None):")
    code.emit(1, "if notes is not None: return None")
    names: dict[tuple[str, ...], str] = {(): "e"}
    for obj in objs:
        v = names[obj] = code.var("s")
        code.emit(1, f"{v} = {names[obj[:-1]]}.get({obj[-1]!r})")
        node: Any = consumed
        for key in obj:
            node = node.get(key) if type(node) is dict else None
        if type(node) is dict:  # its unread keys are kept: another type gives None, as the generic text does
            code.emit(1, f"if type({v}) is not dict:")
            code.emit(2, f"if {v} is not None: return None")
            code.emit(2, f"{v} = _E")
        else:
            code.emit(1, f"if type({v}) is not dict: {v} = _E")
    args = ", ".join(names[obj] for obj in objs)
    code.emit(1, f"k = (len(e), {', '.join(f'len({names[obj]})' for obj in objs)})")
    code.emit(1, "f = _SH.get(k)")
    code.emit(1, "if f is not None:")
    code.emit(2, f"r = f(e, t, head, tail, {args})")
    code.emit(2, "if r is not _MISS: return r")
    code.emit(1, f"return _learn(k, e, t, head, tail, {args})")
    source = "\n".join(code.lines)
    exec(compile(source, f"<c2c.normalize {table.fmt}/{table.data_type}/{case.name} shapes>", "exec"), code.env)
    fn: CaseFn = code.env["case"]
    fn.__doc__ = source
    return fn


def top_keys(table: Table) -> frozenset[str]:
    """Every key a mapped record of this table can have (before RecordMaker adds c2c's own)."""
    rows = table.rows + tuple(r for c in table.cases for r in c.rows)
    extra = {"type_uid"} if table.fmt == "ocsf" else set()
    return frozenset({r.target.split(".", 1)[0].removesuffix("[]") for r in rows} | extra
                     | {table.namespace, NOTES_KEY})


def compile_table(table: Table, text: bool = False) -> Mapper:
    """One function (event, record time) -> mapped object, for the table's data type and format; with `text`,
    -> the record's JSON text without its closing brace, or None where the event needs the dict (see
    compile_case)."""
    cases: dict[str, CaseFn] = {}
    all_cases = table.cases or (Case("", ()),)
    # c2c's own record keys start with `_` (RecordMaker adds them without checking for a clash).
    for row in table.rows + tuple(r for c in all_cases for r in c.rows):
        if row.target.startswith("_"):
            raise ValueError(f"{table.fmt}/{table.data_type}: target {row.target} is a c2c key")
    titles = {c.name: c.title or c.name for c in all_cases}

    def fallback_to(target: str) -> Callable[..., Any]:
        def fallback(e: Mapping[str, Any], t: str, notes: list[tuple[Any, ...]] | None, why: str) -> Any:
            return cases[target](e, t, notes=[*(notes or ()), ("class", f"{why}; mapped as {titles[target]}")])

        return fallback

    def lazy(case: Case, fallback: Callable[..., Any] | None) -> CaseFn:
        """The case compiled when an event first needs it (a source sees a few of a table's cases)."""

        def first_call(*args: Any, **kwargs: Any) -> Any:
            fn = compile_case(table, case, fallback, text) or _no_text
            cases[case.name] = fn
            for _, _, by_value in rules:
                for value, got in by_value.items():
                    if got is first_call:
                        by_value[value] = fn
            return fn(*args, **kwargs)

        return first_call

    rules: list[tuple[tuple[str, ...], Callable[[Any], Any] | None, dict[Any, CaseFn]]] = []
    for case in all_cases:
        target = case.fallback or table.fallback
        if case.requires and (target is None or target == case.name):
            raise ValueError(f"{table.fmt}/{table.data_type}: case {case.name} has requirements but no fallback")
        _targets(_Code(), table.rows + case.rows)  # a table that cannot compile fails now, not at its first event
        cases[case.name] = lazy(case, fallback_to(target) if target else None)
    select = table.select
    if select is None:
        only = compile_case(table, all_cases[0], None, text) or _no_text
        return cast(Mapper, only)  # its `notes` defaults to None
    for src, conv, mapping in select.rules:
        p = _path(src)
        rules.append((p, conv.fn if conv is not None else None, {k: cases[v] for k, v in mapping.items()}))
    default_name, default_title = select.default, titles[select.default]
    def slow(e: Mapping[str, Any], t: str, head: str | None = None, tail: str | None = None) -> Any:
        """The case's dict, or its text (compile_case) when given the line's head and tail."""
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
                return fn(e, t, head, tail)
            seen.append(f"{'.'.join(path)} {_show(v)}")
        if not select.note_default and seen:
            return cases[default_name](e, t, head, tail)
        why = ("unknown event kind: " + ", ".join(seen)) if seen else "no event kind (" + ", ".join(
            ".".join(p) for p, _, _ in rules) + ")"
        return cases[default_name](e, t, head, tail, notes=[("kind", f"{why}; mapped as {default_title}")])

    first_path, first_conv, first_cases = rules[0]
    if first_conv is not None or len(first_path) > 2:
        return cast(Mapper, slow)
    # The common case, without a loop: the first rule's field (top-level, or one object down) names a kind.
    top, inner = first_path[0], (first_path[1] if len(first_path) == 2 else None)

    def mapper(e: Mapping[str, Any], t: str, head: str | None = None, tail: str | None = None) -> Any:
        v = e.get(top)
        if inner is not None:
            v = v.get(inner) if type(v) is dict else None
        if type(v) is str:
            fn = first_cases.get(v)
            if fn is not None:
                return fn(e, t, head, tail)
        return slow(e, t, head, tail)

    return cast(Mapper, mapper)
