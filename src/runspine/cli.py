"""The ``runspine`` command: list, check and run the study notebooks.

Exit codes: 0 all good; 1 a notebook failed (exception, time limit, dead kernel or
worker, a report that cannot be rendered) or an unexpected error; 2 usage or input error (unknown notebook or parameter, wrong type,
invalid data, bad YAML, another build running, reports directory not writable or not
runspine's);
130 / 143 interrupted by Ctrl-C / SIGTERM (previous reports intact). Errors are one line
on stderr; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from runspine.text import one_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
REPORTS_HELP = ("reports directory (default: the project's reports/); a new or empty one, "
                "or one runspine made (it holds .runspine-reports)")
_SIGNAL = {"received": 0}
_EXIT: dict = {}  # the code a standalone main() returned (see _exit_without_teardown)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise SystemExit(_fail(f"{message} (see 'runspine {self.prog.split()[-1]} --help')"
                               if " " in self.prog else message))


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    from runspine.text import one_line

    print(f"runspine: error: {one_line(message)}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="runspine", description="Run the runspine study notebooks and "
                     "build the reader reports.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="exit codes: 0 ok; 1 a notebook failed (exception, time limit, "
                            "dead kernel or worker, report not renderable);\n2 bad input (data, notebook, parameters, YAML, "
                            "options, lock, reports directory not writable or not runspine's);\n130/143 interrupted by "
                            "Ctrl-C/SIGTERM (previous reports intact).")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--project", metavar="DIR", default=None,
                        help="the project (default: $RUNSPINE_ROOT, else the current "
                             "directory or the nearest parent holding data/datapackage.json)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    lst = sub.add_parser("list", help="list notebooks and their parameters")
    lst.add_argument("names", nargs="*", metavar="NAME",
                     help="only these notebooks (as for 'run'); default: all")

    check = sub.add_parser("check", help="validate the data package and the notebooks")
    check.add_argument("--data-only", action="store_true", help="only the data package")
    check.add_argument("--consistency", action="store_true",
                       help="audit the published numbers (GRIM, GRIMMER, P values, intervals) "
                            "the data package declares checks for: one line per flagged "
                            "value, exit 0 (2 if the data or a declaration is invalid)")

    run = sub.add_parser("run", help="execute notebooks and build reports")
    run.add_argument("names", nargs="*", metavar="NAME",
                     help="notebooks to run (stem, number such as 1 or 01, or a unique part "
                          "of the name); default: all")
    run.add_argument("-p", "--param", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    run.add_argument("--params", type=Path, metavar="FILE.yaml",
                     help="YAML mapping of parameter values")
    run.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                     help="notebooks run in parallel (default: number of cores; at most 4 per core)")
    run.add_argument("--force", action="store_true", help="re-run even if inputs are unchanged")
    _add_limits(run)
    run.add_argument("--reports", default=None, help=REPORTS_HELP)

    sweep = sub.add_parser("sweep", help="run one notebook over a grid of parameter values")
    sweep.add_argument("name", metavar="NAME", help="the notebook (as for 'run')")
    sweep.add_argument("--grid", type=Path, required=True, metavar="FILE.yaml",
                       help="YAML mapping: parameter name -> list of values")
    sweep.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                       help="points run in parallel (default: number of cores; at most 4 per core)")
    sweep.add_argument("--backend", choices=("local", "dask", "joblib"), default="local",
                       help="local (this machine, default; 'joblib' is its former name) "
                            "or dask (an existing cluster)")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                            "(required with --backend dask)")
    sweep.add_argument("--force", action="store_true", help="re-run unchanged points")
    _add_limits(sweep)
    sweep.add_argument("--reports", default=None, help=REPORTS_HELP)
    strip = sub.add_parser("strip", help="remove outputs and run metadata from notebooks",
                           description="Put notebooks saved after running back as they are "
                           "committed: no outputs, execution counts, run metadata or "
                           "papermill cells; written as JupyterLab writes them.")
    strip.add_argument("names", nargs="*", metavar="NAME",
                       help="notebooks (as for 'run', or paths to .ipynb files); "
                            "default: all")
    _add_new(sub)
    _add_global_flags(parser, sub)
    return parser


def _add_new(sub) -> None:
    new = sub.add_parser("new", help="scaffold a study: notebook, study module, test file",
                         description="Create notebooks/NN_NAME.ipynb (the next number), "
                         "src/runspine/studies/NAME.py and tests/test_NAME.py from templates, "
                         "then print the remaining steps. Nothing is overwritten.")
    new.add_argument("name", metavar="NAME",
                     help="the study's module name, snake_case (e.g. cadence_trial)")


def _add_global_flags(parser, sub) -> None:
    """``--version``; ``--debug`` before or after the subcommand (the subcommand's copy
    defaults to SUPPRESS so it never resets a ``--debug`` given before it)."""
    from runspine import __version__

    parser.add_argument("--version", action="version", version=f"runspine {__version__}")
    for cmd in sub.choices.values():
        cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show tracebacks")


def _seconds(text: str) -> float:
    """An option's number of seconds: positive and finite (``nan``, ``inf`` and
    ``1e999`` would disable the limit)."""
    from runspine.notebook_file import MAX_SECONDS, valid_seconds

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
    if not valid_seconds(value):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a positive number of seconds "
                                         f"at most {MAX_SECONDS:.0e}")
    return value


def _add_limits(cmd) -> None:
    cmd.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                     help="time limit per cell (default 300)")
    cmd.add_argument("--time-limit", type=_seconds, default=None, metavar="SECONDS",
                     help="time limit per notebook (default: the notebook's "
                          "metadata.runspine.time_limit, else 600)")


def cmd_list(project, names: list[str] | None = None) -> int:
    from runspine.engine.jobs import UsageError, resolve_names
    from runspine.notebook_file import StudyNotebook
    from runspine.parameters import ParameterError
    from runspine.text import one_line

    available = {p.stem: p for p in project.notebooks()}
    try:
        stems = resolve_names(names or [], available)
    except UsageError as exc:
        return _fail(str(exc))
    for stem in stems:
        path = available[stem]
        print(one_line(stem))
        try:
            for p in StudyNotebook.read(path).parameters().values():
                print(one_line(f"    {p.name}: {p.type} = {p.default!r}  # {p.help}"))
        except ParameterError as exc:
            print(one_line(f"    (invalid: {exc})"))
    return EXIT_OK


def cmd_check(project, data_only: bool) -> int:
    from runspine.authoring.checks import check_notebooks
    from runspine.data import DataError, validate_package
    from runspine.notebook.audit import declaration_problems

    try:
        problems = [str(p) for p in validate_package(project.datapackage)]
    except DataError as exc:  # the descriptor or the bibliography cannot be read
        problems = [str(exc)]
    if not problems:
        problems.extend(declaration_problems(project))
    if not data_only:
        problems.extend(check_notebooks(project, project.notebooks()))
    from runspine.text import one_line

    problems = list(dict.fromkeys(problems))  # a problem two checks find is said once
    for p in problems:
        print(f"runspine: check: {one_line(p)}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    print("data package and notebooks are valid")
    return EXIT_OK


def cmd_consistency(project) -> int:
    """``runspine check --consistency``: one line per flagged value on stdout, then a
    count; exit 0 (flags are findings about the papers, not errors of the project)."""
    from runspine.data import DataError, validate_package
    from runspine.notebook import audit
    from runspine.text import one_line

    problems = [str(p) for p in validate_package(project.datapackage)]
    if problems:
        for p in problems:
            print(f"runspine: check: {one_line(p)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        findings = audit.audit(project)
    except DataError as exc:
        return _fail(str(exc))
    flagged = audit.flags(findings)
    for f in flagged:
        print(f"consistency: {one_line(f.line())}")
    untestable = sum(f.status == audit.UNTESTABLE for f in findings)
    print(f"consistency: {len(findings)} values checked, {len(flagged)} flagged, "
          f"{untestable} where the check cannot fail at the printed precision")
    return EXIT_OK


def cmd_strip(project, names: list[str]) -> int:
    """Strip notebooks in place (:mod:`runspine.authoring.strip`); one line per changed file."""
    from runspine.authoring.strip import strip_file
    from runspine.engine.jobs import UsageError, resolve_names

    paths = [Path(n) for n in names if n.endswith(".ipynb")]
    others = [n for n in names if not n.endswith(".ipynb")]
    available = {p.stem: p for p in project.notebooks()}
    try:
        if others or not names:
            paths += [available[s] for s in resolve_names(others, available)]
    except UsageError as exc:
        return _fail(str(exc))
    for path in paths:
        try:
            if strip_file(path):
                print(f"stripped {path}")
        except (ValueError, OSError) as exc:
            return _fail(str(exc))
    return EXIT_OK


def cmd_new(project, name: str) -> int:
    from runspine.authoring.scaffold import ScaffoldError, scaffold

    try:
        created, steps = scaffold(name, project.root)
    except ScaffoldError as exc:
        return _fail(str(exc))
    for path in created:
        print(f"created {path}")
    print(steps)
    return EXIT_OK


def _progress(msg: str) -> None:
    from runspine.text import one_line

    print(one_line(msg), file=sys.stderr, flush=True)


def _reports_error(reports: Path, exc: OSError) -> int:
    """One line for a reports directory that cannot be written (exit 2)."""
    return _fail(f"cannot write reports in {reports}: {exc.strerror or exc}"
                 + (f" ({exc.filename})" if exc.filename else ""))


def cmd_run(project, args) -> int:
    from runspine.engine.api import REFUSALS, run

    given = dict(args.param)
    if len(given) < len(args.param):  # the later would win silently (as a repeated YAML key)
        twice = next(n for n, _ in args.param if [m for m, _ in args.param].count(n) > 1)
        return _fail(f"parameter '{twice}' is given twice with -p; give it once")
    try:
        result = run(project, args.names, given, params_file=args.params,
                     reports=args.reports, jobs=args.jobs, force=args.force,
                     timeout=args.timeout, time_limit=args.time_limit, progress=_progress)
    except REFUSALS as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _reports_error(args.reports or project.reports_dir, exc)
    for o in result.failed:
        print(f"runspine: failed: {one_line(o.message)}", file=sys.stderr)
    print(f"{result.count('ok')} built, {result.count('reused')} reused, "
          f"{len(result.failed)} failed; index: {result.index}", file=sys.stderr)
    return result.exit_code


def _scheduler_problem(address: str) -> str:
    """Why ``address`` cannot name a Dask scheduler, or "" (checked before a client is
    made: a client that fails on a malformed address times out again at exit, with a
    traceback)."""
    try:
        from distributed.comm import get_address_host_port, parse_address
        from distributed.comm.registry import get_backend
    except ImportError:
        return ""  # connect_dask says what to install
    try:
        scheme, _ = parse_address(address, strict=True)
        get_backend(scheme)
        if scheme in ("tcp", "tls", "ws", "wss"):
            _host, port = get_address_host_port(address, strict=True)
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is not between 1 and 65535")
    except (ValueError, TypeError, NotImplementedError) as exc:
        text = str(exc).strip().splitlines()
        return (f"--scheduler {address!r:.80} is not a Dask scheduler address such as "
                f"tcp://HOST:8786 ({text[0] if text else type(exc).__name__})")
    return ""


def cmd_sweep(project, args) -> int:
    from runspine.engine.api import REFUSALS, sweep

    if args.scheduler and args.backend == "dask" and args.jobs >= 1:  # after the API's
        problem = _scheduler_problem(args.scheduler)  # checks of the options' combination
        if problem:
            return _fail(problem)
    try:
        summary = sweep(project, args.name, args.grid, reports=args.reports, jobs=args.jobs,
                        backend=args.backend, scheduler=args.scheduler, force=args.force,
                        timeout=args.timeout, time_limit=args.time_limit,
                        progress=_progress)
    except REFUSALS as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _reports_error(args.reports or project.reports_dir, exc)
    for p in summary.failed:
        print(f"runspine: failed: {one_line(p.message)}", file=sys.stderr)
    print(f"{len(summary.outcomes)} points ({len(summary.failed)} failed); summary: "
          f"{summary.summary}", file=sys.stderr)
    return summary.exit_code


def _on_signal(signum, frame):
    """The first Ctrl-C or SIGTERM stops the build (``KeyboardInterrupt``); later ones
    are noted and ignored, so the clean-up finishes and the user sees one line."""
    if _SIGNAL["received"]:
        return
    _SIGNAL["received"] = signum
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command. Without ``argv`` (a program: ``runspine``, ``python -m runspine``)
    the first Ctrl-C or SIGTERM stops the build and later ones are ignored until the
    process exits; with ``argv`` (an in-process caller: tests, notebooks) the caller's
    signal handlers are restored on return."""
    import signal
    import threading

    standalone = argv is None
    if standalone:
        import atexit

        _open_standard_streams()
        atexit.register(_exit_without_teardown)  # the first registered: it runs last
    streams = {name: getattr(sys, name) for name in ("stdout", "stderr")}
    for name, stream in streams.items():
        setattr(sys, name, _Lossy(stream))
    _SIGNAL["received"] = 0
    own = {}
    if threading.current_thread() is threading.main_thread():
        for sig, default in ((signal.SIGTERM, (signal.SIG_DFL, None)),
                             (signal.SIGINT, (signal.default_int_handler,))):
            current = signal.getsignal(sig)
            if current in default or getattr(current, "runspine_early", False):
                own[sig] = signal.signal(sig, _on_signal)
    try:
        try:
            from runspine.inputs import skip_unused_format_checkers

            skip_unused_format_checkers()
            _EXIT["code"] = code = _main(argv)
            return code
        except KeyboardInterrupt as exc:  # while starting up
            _EXIT["code"] = code = _interrupted(exc)
            return code
    finally:
        for name, stream in streams.items():
            setattr(sys, name, stream)
        for sig, previous in own.items():
            if standalone:  # exiting: nothing may interrupt the last clean-up (atexit)
                signal.signal(sig, signal.SIG_IGN)
            else:  # called in-process: leave the caller's signals alone
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


def _exit_without_teardown() -> None:
    """The last exit handler of a ``runspine`` program whose command returned: its
    standard streams flushed, the process ends with that command's code without tearing
    the interpreter down (freeing every loaded module's objects one by one: about 0.3 s
    of CPU once pandas, scipy and nbconvert are loaded, in every build). Exit handlers
    run in the reverse order of their registration and this one is registered as
    :func:`main` starts, so every other one (the kernel template's stop, the libraries'
    own) has run by then; not those registered before it, which is why it does nothing
    under a tracer or monitor (coverage, a debugger: their reports are written at exit).
    After an uncaught exception it does nothing either: the usual exit. (A program that
    calls ``main()`` after registering its own exit handlers passes ``sys.argv[1:]``.)"""
    monitoring = getattr(sys, "monitoring", None)  # (Python 3.12)
    if "code" not in _EXIT or sys.gettrace() is not None or (monitoring is not None and any(
            monitoring.get_tool(tool) for tool in range(6))):
        return
    code = _EXIT["code"]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001, S110 - a stream gone: nothing left to say
            pass
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


class _Lossy:
    """A standard stream whose reader may go away mid-command (``runspine run 2>&1 |
    head -3``, ``runspine list | head -1``): a write or flush it refuses (a broken pipe,
    or any other OSError) is dropped, and so is every later one; its descriptor is
    pointed at the null device, so what is still buffered or written at exit is lost
    quietly too. A character its encoding cannot show (``±`` with ``PYTHONIOENCODING=
    ascii``) is written escaped (``\\xb1``). The build goes on and exits as it would have (before: a message that
    could not be written aborted the build, exit 1, 'BrokenPipeError')."""

    def __init__(self, stream):
        self._stream, self._lost = stream, False

    def write(self, text: str) -> int:
        if not self._lost:
            try:
                try:
                    return self._stream.write(text)
                except UnicodeEncodeError:  # an encoding without '±' (PYTHONIOENCODING=ascii)
                    code = getattr(self._stream, "encoding", None) or "ascii"
                    return self._stream.write(text.encode(code, "backslashreplace").decode(code))
            except OSError:
                self._lose()
        return len(text)

    def flush(self) -> None:
        if not self._lost:
            try:
                self._stream.flush()
            except OSError:
                self._lose()

    def _lose(self) -> None:
        import contextlib

        self._lost = True
        with contextlib.suppress(OSError, ValueError, AttributeError):  # (no descriptor)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _open_standard_streams() -> None:
    """A closed standard stream (``runspine run 2>&-``) is opened on the null device:
    Python leaves ``sys.stderr`` None, which every process the build starts inherits
    (a joblib worker's first ``sys.stderr.flush()`` failed the sweep), and the next file
    opened would take descriptor 2. The build runs as usual; what it would say is lost,
    its exit code is not."""
    for fd in (0, 1, 2):  # in order: os.open takes the lowest free descriptor
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            os.set_inheritable(fd, True)  # os.open's are not: the processes we start
    for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, encoding="utf-8",  # noqa: SIM115 - for the
                                    errors="backslashreplace", closefd=False))  # process


def _interrupted(exc: KeyboardInterrupt) -> int:
    """Exit 128 + the signal that stopped the build (the engine's event loop names it;
    else this process's handler noted it)."""
    import signal

    code = 128 + (getattr(exc, "signum", 0) or _SIGNAL["received"] or signal.SIGINT)
    return _fail("interrupted; previous reports are intact, the next run resumes", code)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:  # relative paths, the project's discovery and the cache key all read it
        os.getcwd()
    except OSError as exc:
        return _fail(f"the working directory cannot be read ({exc.strerror or exc}; "
                     "deleted?); run runspine from an existing directory")
    from runspine.project import Project, ProjectError

    try:
        project = Project.find(args.project)
    except ProjectError as exc:
        return _fail(str(exc))
    try:
        if args.command == "list":
            return cmd_list(project, args.names)
        if args.command == "new":
            return cmd_new(project, args.name)
        if args.command == "check":
            if args.consistency:
                return cmd_consistency(project)
            return cmd_check(project, args.data_only)
        if args.command == "sweep":
            return cmd_sweep(project, args)
        if args.command == "strip":
            return cmd_strip(project, args.names)
        return cmd_run(project, args)
    except ProjectError as exc:  # (its notebooks' names)
        return _fail(str(exc))
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except Exception as exc:
        if args.debug:
            raise
        text = str(exc).strip().splitlines()
        return _fail(f"{type(exc).__name__}: {text[0] if text else ''} (use --debug for "
                     "the traceback)", EXIT_FAILED)


if __name__ == "__main__":
    sys.exit(main())
