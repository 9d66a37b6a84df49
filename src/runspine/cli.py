"""The ``runspine`` command: list, check and run the study notebooks.

Exit codes: 0 all good; 1 a notebook failed; 2 usage or input error (unknown notebook
or parameter, wrong type, invalid data, bad YAML, another build running). Errors are one
line on stderr; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise SystemExit(_fail(f"{message} (see 'runspine {self.prog.split()[-1]} --help')"
                               if " " in self.prog else message))


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"runspine: error: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="runspine", description="Run the runspine study notebooks and "
                     "build the reader reports.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("list", help="list notebooks and their parameters")

    check = sub.add_parser("check", help="validate the data package and the notebooks")
    check.add_argument("--data-only", action="store_true", help="only the data package")

    run = sub.add_parser("run", help="execute notebooks and build reports")
    run.add_argument("names", nargs="*", metavar="NAME",
                     help="notebooks to run (stem, number such as 1 or 01, or a unique part "
                          "of the name); default: all")
    run.add_argument("-p", "--param", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    run.add_argument("--params", type=Path, metavar="FILE.yaml",
                     help="YAML mapping of parameter values")
    run.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                     help="notebooks run in parallel (default: number of cores)")
    run.add_argument("--force", action="store_true", help="re-run even if inputs are unchanged")
    run.add_argument("--timeout", type=float, default=None,
                     help="time limit per cell in seconds (default 300)")
    run.add_argument("--reports", type=Path, default=None, help="reports directory")
    return parser


def cmd_list() -> int:
    from .params import ParameterError, inspect_parameters
    from .runner import discover

    for stem, path in discover().items():
        print(stem)
        try:
            for p in inspect_parameters(path).values():
                print(f"    {p.name}: {p.type} = {p.default!r}  # {p.help}")
        except ParameterError as exc:
            print(f"    (invalid: {exc})")
    return EXIT_OK


def notebook_problems(path: Path) -> list[str]:
    """Problems with one notebook file: parameters cell, types, outputs, kernel."""
    import json

    from .params import ParameterError, inspect_parameters

    name = path.name
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{name}: not a readable notebook ({exc})"]
    problems = []
    try:
        inspect_parameters(path)
    except ParameterError as exc:
        problems.append(str(exc))
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or
                                                cell.get("execution_count")):
            problems.append(f"{name}: cell {i} has outputs (strip them before committing)")
            break
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "runspine":
        problems.append(f"{name}: kernel is {kernel!r}, expected 'runspine'")
    if not nb.get("metadata", {}).get("runspine", {}).get("citation"):
        problems.append(f"{name}: metadata.runspine.citation is missing")
    return problems


def cmd_check(data_only: bool) -> int:
    from .data import validate_package
    from .runner import discover

    problems = [str(p) for p in validate_package()]
    if not data_only:
        for path in discover().values():
            problems.extend(notebook_problems(path))
    for p in problems:
        print(f"runspine: check: {p}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    print("data package and notebooks are valid")
    return EXIT_OK


def cmd_run(args) -> int:
    from . import paths
    from .data import DataError, check_package
    from .params import ParameterError, load_params_file
    from .runner import DEFAULT_TIMEOUT, UsageError, plan, run

    if args.jobs < 1:
        return _fail("--jobs must be at least 1")
    try:
        file_params = load_params_file(args.params) if args.params else {}
        cli_params = {}
        for name, value in args.param:
            cli_params[name] = value
        jobs = plan(args.names, cli_params, file_params, args.timeout or DEFAULT_TIMEOUT)
        check_package()
    except (UsageError, ParameterError, DataError) as exc:
        return _fail(str(exc))
    reports = args.reports or paths.REPORTS_DIR

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        outcomes = run(jobs, reports, workers=args.jobs, force=args.force, progress=progress)
    except UsageError as exc:
        return _fail(str(exc))
    except PermissionError as exc:
        return _fail(f"cannot write reports: {exc.filename or exc}")
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        print(f"runspine: failed: {o.message}", file=sys.stderr)
    ok = sum(o.status == "ok" for o in outcomes)
    reused = sum(o.status == "reused" for o in outcomes)
    print(f"{ok} built, {reused} reused, {len(failed)} failed; index: "
          f"{Path(reports) / 'index.html'}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "check":
            return cmd_check(args.data_only)
        return cmd_run(args)
    except KeyboardInterrupt:
        return _fail("interrupted; previous reports are intact", 130)
    except Exception as exc:
        if args.debug:
            raise
        text = str(exc).strip().splitlines()
        return _fail(f"{type(exc).__name__}: {text[0] if text else ''} (use --debug for "
                     "the traceback)", EXIT_FAILED)


if __name__ == "__main__":
    sys.exit(main())
