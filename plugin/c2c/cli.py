"""The `c2c` command. Maps every error an operator can cause to a one-line message and an exit code."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from c2c import DISTRIBUTION, __version__, logs
from c2c.errors import (
    C2CError,
    ConfigError,
    FirstPartyGenericError,
    OutputClosed,
    SourceLocked,
    ThirdPartyConfigError,
    UsageError,
)

log = logging.getLogger("c2c")

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_SOURCE_CONFIG = 4  # a vendor rejected a source's config (ThirdPartyConfig): fix it, then `c2c restart`
EXIT_SOURCE_RETRY = 5  # a source failed transiently (ThirdPartyGeneric); it is retried with backoff
EXIT_FIRST_PARTY = 6  # stdout closed or state not writable (FirstPartyGeneric); checkpoints did not advance

EXIT_CODES_HELP = """exit codes:
  0  success (also: a source skipped because another run holds its lock)
  1  internal error (a bug: please report it with --log-level debug output)
  2  usage error (also: `c2c parse` given a FILE that cannot be read, or lines mostly not in the format asked;
     `c2c restart` of a source being collected)
  3  invalid config (every problem is listed on stderr with file and JSON path)
  4  a source's credentials or base URL were rejected (ThirdPartyConfig); not retried until the
     config changes or `c2c restart NAME`
  5  a source failed transiently (ThirdPartyGeneric); the next run retries after backoff
  6  stdout closed or state not writable (FirstPartyGeneric); nothing was checkpointed past what was written
`run --follow` stopped by SIGTERM/SIGINT exits 0: source errors are reported by health records, not its code.
Ctrl-C during check, schema, status, restart or parse exits 130 (run, demo and emulator stop cleanly).
"""

# `run` without --follow stops starting new pages after this many seconds (C2C_MAX_SECONDS overrides; `inf` =
# no limit), so a run fits a 300 s Vector exec_interval_secs / Fluent Bit interval_sec with room for the last page.
DEFAULT_MAX_SECONDS = 240.0


class _BadArguments(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """argparse prints usage errors itself; raise instead, so main reports them in the chosen log format."""

    def error(self, message: str) -> NoReturn:
        raise _BadArguments(self, message)


def _log_options(p: argparse.ArgumentParser, default: Any) -> None:
    p.add_argument("--log-level", default=default(os.environ.get("C2C_LOG_LEVEL", "INFO")),
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"])
    p.add_argument("--log-format", default=default(os.environ.get("C2C_LOG_FORMAT", "text")),
                   choices=["text", "json"],
                   help="stderr log format (json suits Vector, which decodes stderr like stdout)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="c2c",
        description="Pull security events from Druva and Code42 Incydr and write NDJSON to stdout.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"c2c {__version__} ({DISTRIBUTION})")
    _log_options(p, lambda value: value)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The log options are accepted after the command too (`c2c run --log-format json ...`).
    common = _Parser(add_help=False)
    _log_options(common, lambda value: argparse.SUPPRESS)
    sub_parser = sub.add_parser

    def add_parser(name: str, **kwargs: Any) -> _Parser:
        return sub_parser(name, parents=[common], **kwargs)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    c = sub.add_parser("check", help="validate config files (no network)")
    c.add_argument("files", nargs="+", metavar="FILE")

    s = sub.add_parser("schema", help="print the JSON Schema of a source type (or list the types)")
    s.add_argument("type", nargs="?", metavar="TYPE")

    r = sub.add_parser("run", help="collect every source once (or keep polling with --follow)")
    r.add_argument("files", nargs="+", metavar="FILE")
    r.add_argument("--follow", action="store_true", help="poll until SIGTERM/SIGINT")
    r.add_argument("--state-dir", type=Path, default=None)
    r.add_argument("--no-progress", action="store_true",
                   help="no progress line on a terminal (also $C2C_PROGRESS=off; never shown when not a terminal)")
    r.add_argument("--max-seconds", type=float, default=None,
                   help="stop each cycle after the page in flight once this many seconds have passed "
                        f"(default without --follow: $C2C_MAX_SECONDS or {DEFAULT_MAX_SECONDS:g}; inf = no limit; "
                        "each source gets at least one page per data type)")
    r.add_argument("--shard", metavar="I/N", default=os.environ.get("C2C_SHARD") or None,
                   help="collect only the sources of shard I of N (split by a stable hash of the source name; "
                        "default $C2C_SHARD): N replicas, each with its own state, share one config set")

    st = sub.add_parser("status", help="show each source's state, cursor age, last error")
    st.add_argument("files", nargs="*", metavar="FILE")
    st.add_argument("--state-dir", type=Path, default=None)
    st.add_argument("--json", action="store_true")

    rs = sub.add_parser("restart", help="clear a source's error so the next run tries again")
    rs.add_argument("name")
    rs.add_argument("--state-dir", type=Path, default=None)

    rn = sub.add_parser("rename", help="give a source's state to its new name (a source renamed in its config)")
    rn.add_argument("old", metavar="OLD")
    rn.add_argument("new", metavar="NEW")
    rn.add_argument("--state-dir", type=Path, default=None)

    pa = sub.add_parser("parse", help="turn saved Druva inSync CEF/Syslog lines into records (NDJSON on stdout)")
    pa.add_argument("format", choices=["cef", "syslog"])
    pa.add_argument("file", nargs="?", metavar="FILE", help="a file of saved lines (default: stdin)")
    pa.add_argument("--name", help="the records' _source (default: the file name, or 'stdin')")
    pa.add_argument("--category", help="the records' _sourceCategory (default: none)")
    from c2c.output import OUTPUT_FORMATS

    pa.add_argument("--output-format", choices=OUTPUT_FORMATS, default="raw",
                    help="raw (default), ocsf (OCSF 1.8.0) or ecs (ECS 9.4.0), as a source's outputFormat")

    d = sub.add_parser("demo", help="run every source once against the built-in emulator")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--no-progress", action="store_true", help="no progress line on a terminal")

    e = sub.add_parser("emulator", help="serve the emulated vendor APIs on 127.0.0.1")
    e.add_argument("--port", type=int, default=0)
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--events", type=int, default=250, help="events per emulated data type")
    e.add_argument("--page-size", type=int, default=100)
    e.add_argument("--token-ttl", type=float, default=1800)
    e.add_argument("--gzip", action="store_true", help="gzip bodies for clients that accept it")
    e.add_argument("--faults", action="store_true",
                   help="serve the /_emulator/* endpoints that inject faults and move the clock")
    return p


def _early_format(argv: list[str]) -> str:
    """The log format asked for, read before argparse runs, so that its own errors use it too."""
    fmt = os.environ.get("C2C_LOG_FORMAT", "text")
    for i, arg in enumerate(argv):
        if arg == "--log-format" and i + 1 < len(argv):
            fmt = argv[i + 1]
        elif arg.startswith("--log-format="):
            fmt = arg.split("=", 1)[1]
    return fmt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    logs.setup(os.environ.get("C2C_LOG_LEVEL", "INFO"), _early_format(argv))
    try:
        args = _parser().parse_args(argv)
    except _BadArguments as exc:
        if logs._format == "text":
            exc.parser.print_usage(sys.stderr)
        logs.say(f"usage error: {exc} (see c2c --help)", "error")
        return EXIT_USAGE
    logs.setup(args.log_level, args.log_format)
    try:
        code = int(COMMANDS[args.command](args))
        sys.stdout.flush()  # a closed pipe (`c2c schema X | head`) shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        from c2c.output import broken_pipe_safe_exit

        broken_pipe_safe_exit()  # the reader went away: nothing to report, and nowhere to report it
        return EXIT_FIRST_PARTY
    except ConfigError as exc:
        from c2c.config import problem_count

        for problem in exc.problems:
            logs.say(f"config error: {problem}", "error")
        logs.say(f"{problem_count(exc.problems)} config problem(s); nothing was collected", "error")
        return EXIT_CONFIG
    except UsageError as exc:
        logs.say(str(exc), "error")
        return EXIT_USAGE
    except C2CError as exc:
        logs.say(str(exc), "error")
        return EXIT_FIRST_PARTY if isinstance(exc, FirstPartyGenericError) else EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except Exception:
        log.debug("internal error", exc_info=True)
        logs.say(f"internal error: {sys.exc_info()[1]!r} (run with --log-level debug for details)", "error")
        return EXIT_INTERNAL


def _load(files: list[str], known: Any = None) -> list[Any]:
    from c2c.config import load_sources
    from c2c.schemas import secret_keys

    sources = load_sources(files, known=known)
    for s in sources:
        logs.redactor.add(str(s.config[k]) for k in secret_keys(s.type) if k in s.config)
    return sources


def cmd_check(args: argparse.Namespace) -> int:
    sources = _load(args.files)
    for s in sources:
        logs.say(f"ok: {s.file}: {s.json_path}: {s.type} {s.name!r}")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from c2c import schemas

    if args.type is None:
        for t, stem in schemas.SCHEMA_FILES.items():
            print(f"{t}\t{stem}")
        return EXIT_OK
    if args.type not in schemas.SCHEMA_FILES:
        raise UsageError(f"unknown source type {args.type!r}; known: {', '.join(schemas.SCHEMA_FILES)}")
    print(json.dumps(schemas.bundled(args.type), indent=2))
    return EXIT_OK


def _state_store(path: Path | None) -> Any:
    from c2c.state import StateStore, default_state_dir

    return StateStore(path or default_state_dir())


def cmd_run(args: argparse.Namespace) -> int:
    from c2c import ratelimit, shard
    from c2c.known_configs import KnownConfigs

    if args.shard is not None:
        shard.parse(args.shard)  # a usage error before anything is loaded
    store = _state_store(args.state_dir)
    sources = _load(args.files, known=KnownConfigs(store.dir))  # a config seen before skips jsonschema
    if args.shard is not None:
        picked = shard.select(sources, args.shard)
        log.info("shard %s: %d of %d source(s)", args.shard.strip(), len(picked), len(sources))
        sources = picked
    ratelimit.configure(store.dir)  # one rate budget per API client for every process on this state dir
    max_seconds = args.max_seconds
    if max_seconds is None and not args.follow:
        raw = os.environ.get("C2C_MAX_SECONDS", "")
        try:
            max_seconds = float(raw) if raw.strip() else DEFAULT_MAX_SECONDS
        except ValueError as exc:
            raise UsageError(f"C2C_MAX_SECONDS must be a number of seconds, not {raw!r}") from exc
    if max_seconds is not None and (max_seconds != max_seconds or max_seconds < 0):  # NaN or negative
        raise UsageError(f"--max-seconds must be 0 or more (inf for no limit), not {max_seconds:g}")
    with _progress(args):
        return run_sources(sources, store, follow=args.follow,
                           max_seconds=None if max_seconds == float("inf") else max_seconds)


def _progress(args: argparse.Namespace) -> Any:
    """A progress line while stderr is a terminal (never under a shipper)."""
    from c2c import progress

    return progress.on_terminal(sys.stderr, os.environ, args.no_progress, logs._format)


def run_sources(sources: list[Any], store: Any, *, follow: bool = False, max_seconds: float | None = None,
                emitter: Any = None) -> int:
    from c2c.output import Emitter, broken_pipe_safe_exit
    from c2c.runner import Outcome, Runner, RunOptions

    options = RunOptions(max_seconds=max_seconds)
    _handle_signals(options.stop)
    with _startup_frozen():
        runner = Runner(store, emitter or Emitter(), options)
        outcomes: list[Outcome] = []
        if not follow:
            outcomes = runner.run_cycle(sources)
        else:
            due = dict.fromkeys(range(len(sources)), 0.0)
            while not options.stop.is_set():
                now = time.monotonic()
                ready = [i for i, t in due.items() if t <= now]
                outcomes = runner.run_cycle([sources[i] for i in ready])
                if any(_stdout_gone(o) for o in outcomes):
                    break  # nobody reads us any more; an unwritable state dir, by contrast, is retried
                for i, o in zip(ready, outcomes, strict=False):
                    wait = float(sources[i].config["pollInterval"])
                    if o.next_attempt is not None:  # backing off: come back when the backoff ends, not later
                        wait = min(wait, max(1.0, o.next_attempt - time.time()))
                    due[i] = now + wait
                options.stop.wait(max(0.0, min(due.values()) - time.monotonic()))
            log.info("stopping")
            runner.mark_stopping(sources)
            if options.stop.is_set() and not any(_stdout_gone(o) for o in outcomes):
                return EXIT_OK  # a requested stop of a long-running collector is a clean exit
    code = _exit_code(outcomes)
    if code == EXIT_FIRST_PARTY:
        broken_pipe_safe_exit()
    return code


@contextmanager
def _startup_frozen() -> Iterator[None]:
    """What start-up made (modules, schemas, the validated config) lives as long as the run: frozen, out of
    the collector's sight, each full collection during a backfill walks only the events' objects (garbage
    collection 0.13 -> 0.05 s CPU per 100,000 Code42 file events). Unfrozen after, for an in-process caller."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _stdout_gone(outcome: Any) -> bool:
    return isinstance(outcome.error, OutputClosed)


def _exit_code(outcomes: list[Any]) -> int:
    errors = [o.error for o in outcomes if o.error is not None]
    if any(isinstance(e, FirstPartyGenericError) for e in errors):
        return EXIT_FIRST_PARTY
    if any(isinstance(e, ThirdPartyConfigError) for e in errors) or any(o.skipped == "config-error" for o in outcomes):
        return EXIT_SOURCE_CONFIG
    if errors or any(o.skipped == "backoff" for o in outcomes):
        return EXIT_SOURCE_RETRY
    return EXIT_OK


def _handle_signals(stop: threading.Event) -> None:
    def on_signal(signum: int, frame: object) -> None:
        log.info("received %s: finishing the page in flight", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)


def cmd_status(args: argparse.Namespace) -> int:
    from c2c import status
    from c2c.config import load_sources

    store = _state_store(args.state_dir)
    polls = None
    if args.files:  # only the names and poll intervals are needed: an unset ${VAR} (a secret) is no error
        polls = {s.name: float(s.config["pollInterval"])
                 for s in load_sources(args.files, env=_AnyVariable())}
    rows = status.rows(store, polls)
    why = status.problem(store)  # a state runs cannot save: every row would look better than it is
    if why:
        logs.say(why, "error")
    if args.json:
        print(json.dumps(rows))  # one JSON document, `[]` when no source has state
        return EXIT_OK
    if not rows:
        print(f"no sources have run yet (state directory {store.dir})")
        return EXIT_OK
    for row in rows:
        print(status.text(row))
    return EXIT_OK


class _AnyVariable(dict[str, str]):
    """The environment, with a placeholder for every unset variable (`status FILE` needs no secrets)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return os.environ.get(key, "unset-variable")


def _known_name(store: Any, name: str) -> None:
    """A UsageError for a name with no state: the names that have some, and the one differing only in case."""
    if store.read(name) is not None:
        return
    names = sorted(rec.name for _path, rec in store.all())
    near = [n for n in names if n.casefold() == name.casefold()]
    hint = f"; did you mean {near[0]!r}?" if near else ""
    known = ", ".join(repr(n) for n in names) or "none"
    raise UsageError(f"no state for a source named {name!r} in {store.dir}{hint} (sources with state: {known})")


def cmd_restart(args: argparse.Namespace) -> int:
    store = _state_store(args.state_dir)  # needs no config, so no secret
    _known_name(store, args.name)
    try:
        with store.open(args.name) as state:
            state.restart()  # leaving the Error state lifts the "no retry until the config changes" rule
            state.save()
    except SourceLocked as exc:  # an operator's timing, not a bug: say so instead of exit 1
        raise UsageError(f"{exc}; run `c2c restart` again when it has finished") from exc
    logs.say(f"{args.name!r} will be tried again on the next run")
    return EXIT_OK


def cmd_rename(args: argparse.Namespace) -> int:
    """A source renamed in its config keeps its state (cursors, token, errors) instead of starting afresh."""
    store = _state_store(args.state_dir)
    _known_name(store, args.old)
    try:
        path = store.rename(args.old, args.new)
    except SourceLocked as exc:
        raise UsageError(f"{exc}; run `c2c rename` again when it has finished") from exc
    logs.say(f"the state of {args.old!r} is now {args.new!r}'s ({path}); rename the source in its config too")
    return EXIT_OK


def cmd_parse(args: argparse.Namespace) -> int:
    from c2c.output import broken_pipe_safe_exit
    from c2c.parse_cmd import run_parse

    try:
        return run_parse(args.format, args.file, args.name, args.category, output_format=args.output_format)
    except FirstPartyGenericError:
        broken_pipe_safe_exit()
        raise


def cmd_demo(args: argparse.Namespace) -> int:
    from c2c.demo import run_demo

    with _progress(args):
        return run_demo(args.seed)


def cmd_emulator(args: argparse.Namespace) -> int:
    from c2c.emulator.services import serve_forever

    return serve_forever(args)


COMMANDS = {
    "check": cmd_check,
    "schema": cmd_schema,
    "run": cmd_run,
    "status": cmd_status,
    "restart": cmd_restart,
    "rename": cmd_rename,
    "parse": cmd_parse,
    "demo": cmd_demo,
    "emulator": cmd_emulator,
}
