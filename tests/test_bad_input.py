"""Bad input, case by case: one line naming the culprit, the documented exit code, no
traceback, and no previously good report lost or changed.

Every case starts from a copy of one scratch project whose probe report was built once
per test run, in process (``conftest.build_once``; every xdist worker copies the same
one). Every case runs the command in process (``runspine.cli.main``, through
``main_in``: the same code the command runs after parsing ``sys.argv``, builds
included) but one, a network client whose exit is under test. Exit 2 cases must leave the reports directory byte-identical; exit 1
cases (the notebook ran and failed) may only update manifest.json, index.html,
claims.html and add ``00_probe/failed.ipynb``. Exit codes are documented in
``runspine --help`` / src/runspine/cli.py.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import build_once, main_here, make_scratch, run_in

STEM = "00_probe"
REPORT_FILES = ("report.html", "results.json", "executed.ipynb", "figure.png")
BOOKKEEPING = {"manifest.json", "index.html", "claims.html", "glossary.html", ".lock",
               ".cache/index.key", ".cache/claims.key",  # what the two pages were made of
               f"{STEM}/failed.ipynb", f"{STEM}/failed-kernel.log"}


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The probe project built once (value 2.5); read-only: cases copy it."""
    def build(root: Path) -> None:
        make_scratch(root)
        code = main_here("run", "--reports", root / "reports", "-p", "value", "2.5",
                         root=root)
        assert code == 0, "the probe project's first build failed"

    return build_once(tmp_path_factory, "bad-input-probe", build)


@pytest.fixture
def project(built, tmp_path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(built, root)
    return root


def snapshot(reports: Path) -> dict[str, bytes]:
    return {str(p.relative_to(reports)): p.read_bytes()
            for p in sorted(reports.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- mutations

def edit(rel: str, old: str, new: str):
    def apply(root: Path, tmp: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    apply.path = rel
    return apply


def write(rel: str, content: str | bytes):
    def apply(root: Path, tmp: Path) -> None:
        path = root / rel
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    apply.path = rel
    return apply


def delete(rel: str):
    def apply(root: Path, tmp: Path) -> None:
        (root / rel).unlink()
    apply.path = rel
    return apply


def notebook_edit(fn):
    def apply(root: Path, tmp: Path) -> None:
        path = root / "notebooks" / f"{STEM}.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        fn(nb)
        path.write_text(json.dumps(nb), encoding="utf-8")
    return apply


def _drop_parameters_tag(nb):
    nb["cells"][1]["metadata"]["tags"] = []


def _untyped_parameter(nb):
    nb["cells"][1]["source"] = "value = 1.5  # no type annotation\n"


def _parameters_syntax_error(nb):
    nb["cells"][1]["source"] = "value: float = (1.5  # unclosed\n"


def _unsupported_type(nb):
    nb["cells"][1]["source"] = "value: dict = {}  # a mapping\n"


def params_file(text: str):
    def apply(root: Path, tmp: Path) -> None:
        (tmp / "params.yaml").write_text(text, encoding="utf-8")
    return apply


def csv_cells(rel: str, row: int, **values: str):
    """Set cells of one CSV row, numbered as the validator reports rows (the header is
    row 1), keeping valid CSV quoting."""
    def apply(root: Path, tmp: Path) -> None:
        path = root / rel
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        for column, value in values.items():
            rows[row - 1][rows[0].index(column)] = value
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    apply.path = rel
    return apply


def csv_cell(rel: str, row: int, column: str, value: str):
    return csv_cells(rel, row, **{column: value})


def not_utf8(rel: str):
    def apply(root: Path, tmp: Path) -> None:
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"reported", b"r\xff\xfeported", 1))
    apply.path = rel
    return apply


def hold_lock(root: Path, tmp: Path):
    fh = open(root / "reports" / ".lock", "a+")  # noqa: SIM115 - closed by the test
    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


def nothing(root: Path, tmp: Path) -> None:
    return None


RUN = ("run", STEM)
G = "data/garbutt1990_shrinkage.csv"

# id, mutation, command args ({tmp} and {root} are substituted), exit code, culprit text
CASES = [
    # ---- data package (exit 2, before any notebook runs)
    ("csv-negative-sd", csv_cell(G, 4, "sd_mm", "-3.69"), RUN, 2,
     "garbutt1990_shrinkage.csv row 4 field 'sd_mm'"),
    ("csv-not-a-number", csv_cell(G, 3, "mean_mm", "seven"), RUN, 2,
     "garbutt1990_shrinkage.csv row 3 field 'mean_mm'"),
    ("csv-extra-column-in-row", edit(G, "\n", ",surplus\n"), RUN, 2,
     "garbutt1990_shrinkage.csv"),
    ("csv-unclosed-quote", edit("data/shrinkage_facts.csv", ",", ',"', ), RUN, 2,
     "shrinkage_facts.csv"),
    ("csv-header-renamed", edit(G, "sd_mm", "sd"), RUN, 2, "garbutt1990_shrinkage.csv"),
    ("csv-not-utf8", not_utf8(G), RUN, 2, "garbutt1990_shrinkage.csv"),
    ("csv-empty-file", write(G, ""), RUN, 2, "garbutt1990_shrinkage.csv"),
    ("data-file-missing", delete(G), RUN, 2, "garbutt1990_shrinkage.csv"),
    ("provenance-not-allowed", csv_cell(G, 2, "provenance", "guessed"), RUN, 2,
     "garbutt1990_shrinkage.csv row 2 field 'provenance'"),
    ("source-not-in-bib", csv_cell(G, 2, "source", "nosuchkey2020"), RUN, 2,
     "garbutt1990_shrinkage.csv row 2 field 'source'"),
    ("location-empty", csv_cell(G, 2, "location", ""), RUN, 2,
     "garbutt1990_shrinkage.csv row 2 field 'location'"),
    ("derived-without-note", csv_cells(G, 2, provenance="derived", note=""), RUN, 2,
     "garbutt1990_shrinkage.csv row 2 field 'note'"),
    ("out-of-range-proportion", csv_cell("data/prevalence.csv", 2, "cases", "-4"), RUN, 2,
     "prevalence.csv row 2 field 'cases'"),
    ("csv-error-while-workers-start", lambda root, tmp: (
        shutil.copy(root / "notebooks" / f"{STEM}.ipynb", root / "notebooks" / "09_probe.ipynb"),
        csv_cell(G, 4, "sd_mm", "-1")(root, tmp)), ("run", "--jobs", "2"), 2,
     "garbutt1990_shrinkage.csv row 4 field 'sd_mm'"),
    ("datapackage-not-json", write("data/datapackage.json", "{ not json"), RUN, 2,
     "datapackage.json"),
    ("datapackage-missing", delete("data/datapackage.json"), RUN, 2, "datapackage.json"),
    ("references-bib-missing", delete("data/references.bib"), RUN, 2, "references.bib"),
    # ---- notebooks (exit 2)
    ("notebook-not-json", write(f"notebooks/{STEM}.ipynb", "{ corrupt"), RUN, 2, STEM),
    ("notebook-empty-file", write(f"notebooks/{STEM}.ipynb", ""), RUN, 2, STEM),
    ("no-parameters-cell", notebook_edit(_drop_parameters_tag), RUN, 2, "parameters"),
    ("untyped-parameter", notebook_edit(_untyped_parameter), RUN, 2, "value"),
    ("parameters-syntax-error", notebook_edit(_parameters_syntax_error), RUN, 2, STEM),
    ("unsupported-parameter-type", notebook_edit(_unsupported_type), RUN, 2, "value"),
    # ---- parameters (exit 2)
    ("unknown-parameter", nothing, (*RUN, "-p", "no_such", "1"), 2, "'no_such'"),
    ("wrong-type-float", nothing, (*RUN, "-p", "value", "abc"), 2, "'value' expects float"),
    ("wrong-type-bool", nothing, (*RUN, "-p", "fail", "maybe"), 2, "'fail' expects bool"),
    ("out-of-range", nothing, (*RUN, "-p", "value", "11"), 2, "'value' = 11.0 is outside"),
    ("param-missing-value", nothing, (*RUN, "-p", "value"), 2, "-p/--param"),
    ("params-file-missing", nothing, (*RUN, "--params", "{tmp}/none.yaml"), 2, "none.yaml"),
    ("params-file-bad-yaml", params_file("value: [1.5\n"), (*RUN, "--params",
                                                           "{tmp}/params.yaml"), 2, "params.yaml"),
    ("params-file-not-mapping", params_file("- 1\n- 2\n"), (*RUN, "--params",
                                                            "{tmp}/params.yaml"), 2, "params.yaml"),
    ("params-file-unknown-name", params_file("valu: 2\n"), (*RUN, "--params",
                                                            "{tmp}/params.yaml"), 2, "'valu'"),
    ("params-file-wrong-type", params_file("value: [1, 2]\n"), (*RUN, "--params",
                                                                "{tmp}/params.yaml"), 2, "'value'"),
    ("params-file-python-tag", params_file("value: !!python/object/apply:os.system ['true']\n"),
     (*RUN, "--params", "{tmp}/params.yaml"), 2, "params.yaml"),
    # ---- command line (exit 2)
    ("unknown-notebook", nothing, ("run", "no_such_notebook"), 2, "'no_such_notebook'"),
    ("ambiguous-notebook", lambda root, tmp: shutil.copy(
        root / "notebooks" / f"{STEM}.ipynb", root / "notebooks" / "01_probe_copy.ipynb"),
     ("run", "probe"), 2, "'probe' matches several notebooks"),
    # a digit is an ASCII digit: '¹' raised ValueError (exit 1), '０' selected 00_probe
    ("notebook-superscript-digit", nothing, ("run", "\u00b9"), 2, "'\u00b9' is not a notebook"),
    ("notebook-full-width-digit", nothing, ("run", "\uff10"), 2, "'\uff10' is not a notebook"),
    ("notebook-empty-name", nothing, ("run", ""), 2, "'' is not a notebook"),  # (ran all)
    ("jobs-zero", nothing, (*RUN, "--jobs", "0"), 2, "--jobs"),
    # a kernel per job at once: 1,000 would exhaust memory before the first one ran
    ("jobs-too-many", nothing, (*RUN, "--jobs", "1000"), 2,
     f"--jobs must be from 1 to {4 * (os.cpu_count() or 1)} (4 per core), not 1000"),
    ("sweep-jobs-too-many", params_file("value: [1, 2]\n"),
     ("sweep", STEM, "--grid", "{tmp}/params.yaml", "--jobs", "1000"), 2,
     "--jobs must be from 1"),
    ("timeout-negative", nothing, (*RUN, "--timeout", "-1"), 2, "--timeout"),
    ("time-limit-zero", nothing, (*RUN, "--time-limit", "0"), 2, "--time-limit"),
    ("unknown-option", nothing, (*RUN, "--colour", "red"), 2, "--colour"),
    ("unknown-command", nothing, ("build",), 2, "'build'"),
    # ---- environment (exit 2)
    ("concurrent-build", hold_lock, RUN, 2, "another runspine build"),
    ("reports-path-is-a-file", lambda root, tmp: (tmp / "afile").write_text("x"),
     ("run", STEM, "--reports", "{tmp}/afile/reports"), 2, "afile"),
    # ---- sweeps (exit 2)
    ("grid-missing", nothing, ("sweep", STEM, "--grid", "{tmp}/none.yaml"), 2, "none.yaml"),
    ("grid-bad-yaml", params_file("value: [1,\n"), ("sweep", STEM, "--grid",
                                                    "{tmp}/params.yaml"), 2, "params.yaml"),
    ("grid-empty-list", params_file("value: []\n"), ("sweep", STEM, "--grid",
                                                     "{tmp}/params.yaml"), 2, "'value'"),
    ("grid-unknown-parameter", params_file("valu: [1, 2]\n"), ("sweep", STEM, "--grid",
                                                              "{tmp}/params.yaml"), 2, "'valu'"),
    ("grid-out-of-range", params_file("value: [1, 20]\n"), ("sweep", STEM, "--grid",
                                                           "{tmp}/params.yaml"), 2, "value=20"),
    ("dask-without-scheduler", params_file("value: [1]\n"),
     ("sweep", STEM, "--grid", "{tmp}/params.yaml", "--backend", "dask"), 2, "--scheduler"),
    ("dask-scheduler-unreachable", params_file("value: [1]\n"),
     ("sweep", STEM, "--grid", "{tmp}/params.yaml", "--backend", "dask", "--scheduler",
      "tcp://127.0.0.1:9"), 2, "tcp://127.0.0.1:9"),
    # ---- the notebook runs and fails (exit 1; the previous report stays)
    ("notebook-raises", nothing, (*RUN, "-p", "fail", "true"), 1,
     f"{STEM}: cell 6 (if fail:) raised RuntimeError: probe asked to fail"),
    ("kernel-dies", nothing, (*RUN, "-p", "die", "true"), 1,
     f"{STEM}: cell 5 (if die:) the kernel died"),
    ("hang-notebook-time-limit", nothing, (*RUN, "-p", "sleep_s", "600", "--time-limit", "4"),
     1, f"{STEM}: cell 4 (time.sleep(sleep_s)) stopped at the notebook time limit of 4 s"),
    ("hang-cell-timeout", nothing, (*RUN, "-p", "sleep_s", "600", "--timeout", "3"), 1,
     f"{STEM}: cell 4 (time.sleep(sleep_s)) cell timed out (per-cell limit of 3 s"),
]


# ---- robustness round 2 (issue 13): values, encodings, files' shape, YAML, metadata

def append_bytes(rel: str, data: bytes):
    def apply(root: Path, tmp: Path) -> None:
        with open(root / rel, "ab") as fh:
            fh.write(data)
    apply.path = rel
    return apply


def params_bytes(data: bytes):
    def apply(root: Path, tmp: Path) -> None:
        (tmp / "params.yaml").write_bytes(data)
    return apply


def add_parameter(line: str):
    """Append one declaration to the probe's parameters cell."""
    def change(nb):
        nb["cells"][1]["source"] = "".join(nb["cells"][1]["source"]) + line + "\n"
    return notebook_edit(change)


def both(*mutations):
    def apply(root: Path, tmp: Path) -> None:
        for m in mutations:
            m(root, tmp)
    return apply


def runspine_meta(**values):
    def change(nb):
        nb["metadata"]["runspine"].update(values)
    return notebook_edit(change)


def _meta_is_a_list(nb):
    nb["metadata"]["runspine"] = ["Probe 2026"]


S = "data/schemas/garbutt1990_shrinkage.schema.json"
P = (*RUN, "--params", "{tmp}/params.yaml")
GRID = ("sweep", STEM, "--grid", "{tmp}/params.yaml")
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

CASES_2 = [
    # ---- data values: never a number that is not finite, never an empty required one
    ("csv-inf", csv_cell(G, 2, "mean_mm", "inf"), RUN, 2,
     "garbutt1990_shrinkage.csv row 2 field 'mean_mm': 'inf' is not a finite number"),
    ("csv-minus-infinity", csv_cell(G, 3, "mean_mm", "-Infinity"), RUN, 2,
     "garbutt1990_shrinkage.csv row 3 field 'mean_mm'"),
    ("csv-nan", csv_cell(G, 2, "sd_mm", "NaN"), RUN, 2,
     "garbutt1990_shrinkage.csv row 2 field 'sd_mm': 'NaN' is not a finite number"),
    ("csv-nan-lower-case-optional-field", csv_cell(G, 2, "pace_pct", "nan"), RUN, 2,
     "garbutt1990_shrinkage.csv row 2 field 'pace_pct'"),
    ("csv-overflows-to-inf", csv_cell(G, 2, "mean_mm", "1e999"), RUN, 2,
     "row 2 field 'mean_mm': '1e999' is not a finite number"),
    ("csv-padded-nan", csv_cell(G, 2, "mean_mm", " NAN "), RUN, 2, "row 2 field 'mean_mm'"),
    ("csv-empty-required-number", csv_cell(G, 3, "mean_mm", ""), RUN, 2,
     "garbutt1990_shrinkage.csv row 3 field 'mean_mm': empty"),
    ("facts-value-inf", csv_cell("data/shrinkage_facts.csv", 2, "value", "inf"), RUN, 2,
     "shrinkage_facts.csv row 2 field 'value'"),
    ("integer-field-nan", csv_cell("data/prevalence.csv", 2, "n", "NaN"), RUN, 2,
     "prevalence.csv row 2 field 'n'"),
    # ---- encodings: every data, schema and bibliography file is UTF-8, errors name the line
    ("csv-not-utf8-names-line", not_utf8(G), RUN, 2, "garbutt1990_shrinkage.csv line 2: not UTF-8"),
    ("bib-not-utf8", append_bytes("data/references.bib", b"\n% caf\xe9\n"), RUN, 2,
     "references.bib line"),
    ("datapackage-not-utf8", append_bytes("data/datapackage.json", b"\n\xff"), RUN, 2,
     "datapackage.json line"),
    ("schema-not-utf8", append_bytes(S, b"\xff"), RUN, 2, "garbutt1990_shrinkage.schema.json line"),
    ("notebook-not-utf8", append_bytes(f"notebooks/{STEM}.ipynb", b"\xff"), RUN, 2, STEM),
    # ---- the data package's shape
    ("datapackage-is-a-list", write("data/datapackage.json", "[]"), RUN, 2,
     "datapackage.json: not a data package descriptor"),
    ("datapackage-resources-not-a-list", write("data/datapackage.json", '{"resources": {}}'),
     RUN, 2, "datapackage.json: not a data package descriptor ('resources' must be a list)"),
    ("datapackage-resource-without-path",
     write("data/datapackage.json", '{"resources": [{"name": "t"}]}'), RUN, 2,
     "datapackage.json: not a data package descriptor (resource 1: 'path'"),
    ("datapackage-path-escapes-data",
     write("data/datapackage.json", '{"resources": [{"name": "t", "path": "../x.csv"}]}'),
     RUN, 2, "datapackage.json"),
    ("schema-not-a-table-schema", write(S, "[1, 2]"), RUN, 2,
     "garbutt1990_shrinkage.csv: its schema is not a Table Schema"),
    # ---- parameter and grid files: strict YAML
    ("params-yaml-alias", params_file("a: &x 2\nvalue: *x\n"), P, 2,
     "params.yaml: line 2 not valid YAML (aliases"),
    ("params-yaml-billion-laughs", params_file(LAUGHS), P, 2, "params.yaml"),
    ("params-repeated-key", params_file("value: 2\nvalue: 3\n"), P, 2,
     "params.yaml: line 2 not valid YAML (key 'value' is repeated)"),
    ("params-too-big", params_file("value: 2\n" + "#" * 1_100_000 + "\n"), P, 2,
     "params.yaml: parameters file is"),
    ("params-not-utf8", params_bytes(b"value: 2 # caf\xe9\n"), P, 2, "params.yaml"),
    ("grid-repeated-key", params_file("value: [1, 2]\nvalue: [3]\n"), GRID, 2,
     "key 'value' is repeated"),
    ("grid-yaml-alias", params_file("value: &v [1, 2]\nsleep_s: *v\n"), GRID, 2,
     "params.yaml: line 2"),
    # ---- parameters: allowed values, empty lists
    ("str-outside-allowed-values", add_parameter('method: str = "dl"  # estimator {dl, pm}'),
     (*RUN, "-p", "method", "reml"), 2, "'method' = 'reml' is not one of {dl, pm}"),
    ("parameter-comment-with-equals", add_parameter("extra: int = 1  # e.g. extra=2"), RUN, 2,
     "parameters cell line 7 declares 'extra', but a line with a second '='"),
    ("str-allowed-values-from-params-file", both(add_parameter('method: str = "dl"  # {dl, pm}'),
                                                 params_file("method: REML\n")),
     P, 2, "'method' = 'REML' is not one of"),
    ("default-outside-allowed-values", add_parameter('method: str = "xx"  # {dl, pm}'),
     RUN, 2, "default of parameter 'method'"),
    ("parameter-given-twice", nothing, (*RUN, "-p", "value", "1", "-p", "value", "2"), 2,
     "parameter 'value' is given twice with -p"),
    ("empty-list-parameter", add_parameter("paces: list[float] = [1.0]  # paces [0, 10]"),
     (*RUN, "-p", "paces", "[]"), 2, "'paces' needs at least one value"),
    # ---- messages: control characters from user input never reach the terminal raw
    ("escape-sequence-in-data-cell", csv_cell(G, 2, "source", "\x1b]0;pwned\x07\x1b[2J"),
     RUN, 2, "field 'source': '\\x1b]0;pwned\\x07\\x1b[2J' is not a key"),
    ("newline-in-parameter-name", nothing, (*RUN, "-p", "no\nsuch", "1"), 2,
     "unknown parameter 'no\\nsuch'"),
    # an undecodable byte on the command line (a lone surrogate): no file can hold it as UTF-8
    ("undecodable-byte-in-str-parameter", nothing, (*RUN, "-p", "table", "x\udcff"), 2,
     "parameter 'table' is not valid text"),
    # a reports directory whose name is not UTF-8: every notebook failed, then the bookkeeping
    ("reports-path-not-utf8", nothing, (*RUN, "--reports", "{tmp}/r\udcff"), 2,
     "r\\udcff has a name that is not UTF-8 text"),
    # a bidirectional override (U+202E) reversed the rest of the line as the terminal showed it
    ("bidi-override-in-parameter-name", nothing, (*RUN, "-p", "no\u202esuch", "1"), 2,
     "unknown parameter 'no\\u202esuch'"),
    # ---- paths: a notebook path means that file, resolved where the user stands
    ("notebook-path-outside-the-project", lambda root, tmp: shutil.copy(
        root / "notebooks" / f"{STEM}.ipynb", tmp / f"{STEM}.ipynb"),
     ("run", f"{{tmp}}/{STEM}.ipynb"), 2, "is not one of the project's notebooks"),
    # ---- notebook metadata (exit 2 before anything runs or is published)
    ("metadata-runspine-not-an-object", notebook_edit(_meta_is_a_list), RUN, 2,
     f"{STEM}.ipynb: metadata.runspine must be a mapping"),
    ("headline-template-missing-key", runspine_meta(headline_text="{value} of {median}"),
     RUN, 2, f"{STEM}.ipynb: metadata.runspine.headline_text names {{median}}"),
    ("headline-template-broken", runspine_meta(headline_text="{value"), RUN, 2,
     "headline_text is not a template"),
    ("metadata-time-limit-not-a-number", runspine_meta(time_limit="fast"), RUN, 2,
     "metadata.runspine.time_limit"),
]
CASES += CASES_2


#: ``make test-fast`` (the edit loop) runs every case that is refused before the data are
#: read, and one case of each kind that gets further, while a kernel template starts (bad
#: data), into a notebook run (exit 1) or a rebuild (bookkeeping); the others are marked
#: slow, and ``make test`` runs them all.
IN_TEST_FAST = {"csv-not-a-number", "datapackage-missing", "notebook-raises",
                "manifest-truncated", "report-edited", "undecodable"}
#: Slow too: a connection attempt that times out; bad data while two workers start.
SLOW_ANYWAY = {"dask-scheduler-unreachable", "csv-error-while-workers-start"}


def cases(rows: list, slow) -> list:
    """``rows`` as ``pytest.param``s, the ``slow(row)`` ones (unless in
    :data:`IN_TEST_FAST`) marked slow."""
    return [pytest.param(row, id=row[0], marks=(pytest.mark.slow,)
                         if slow(row) and row[0] not in IN_TEST_FAST else ())
            for row in rows]


def _reaches_data_or_kernel(case) -> bool:
    name, mutate, _args, code, _culprit = case
    return (code == 1 or name in SLOW_ANYWAY
            or getattr(mutate, "path", "").startswith("data/"))


def test_the_suite_has_at_least_30_distinct_cases():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 30


#: Cases run through ``python -m runspine`` in a new process: a network client (its exit
#: must not hang or print). Every other case is called in process (``runspine.cli.main``,
#: the same code the command runs after parsing ``sys.argv``), the exit 1 ones (a kernel
#: runs and fails) included; the exit-2 plumbing of the command itself is tested once,
#: end to end, in tests/test_cli.py, and a failing notebook's exit 1 in
#: tests/test_robustness.py (interrupted and killed builds).
AS_A_PROCESS = {"dask-scheduler-unreachable"}


@pytest.mark.parametrize("case", cases(CASES, _reaches_data_or_kernel))
def test_bad_input(case, project, tmp_path, main_in):
    name, mutate, args, code, culprit = case
    reports = project / "reports"
    before = snapshot(reports)
    held = mutate(project, tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)).replace("{root}", str(project)) for a in args]
    if "--reports" not in args and args[0] in ("run", "sweep"):
        args += ["--reports", str(reports)]
    try:
        if name in AS_A_PROCESS:
            proc = run_in(project, *args, timeout=180)
        else:
            proc = main_in(*args, root=project)
    finally:
        if hasattr(held, "close"):
            held.close()
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    prefix = "runspine: error: " if code == 2 else "runspine: failed: "
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: ")]
    assert len(lines) == 1, proc.stderr
    if code == 2:  # nothing ran: the error is all there is
        assert proc.stderr.strip() == lines[0], proc.stderr
    assert lines[0].startswith(prefix), proc.stderr
    assert "\n" not in lines[0]
    assert culprit in lines[0], lines[0]
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr, "raw control character"
    after = snapshot(reports)
    if code == 2:
        assert {k: v for k, v in after.items() if k != ".lock"} == \
            {k: v for k, v in before.items() if k != ".lock"}
    else:
        for key, value in before.items():
            if key not in BOOKKEEPING:
                assert after.get(key) == value, f"{key} changed"
        assert f"{STEM}/failed.ipynb" in after
        assert not list(reports.glob(".runspine-staging/*")), "staging left behind"


def test_unexpected_errors_are_one_line_unless_debug(monkeypatch, capsys):
    from runspine import cli

    def boom(*args):
        raise RuntimeError("internal failure\nsecond line")

    monkeypatch.setattr(cli, "cmd_list", boom)
    assert cli.main(["list"]) == 1
    err = capsys.readouterr().err
    assert err == ("runspine: error: RuntimeError: internal failure (use --debug for the "
                   "traceback)\n")
    with pytest.raises(RuntimeError, match="internal failure"):
        cli.main(["--debug", "list"])
    # main() installs its SIGTERM handler only for its own run: an in-process caller
    # (this test runner, a notebook) gets its own handler back, even after a failure
    import signal

    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# ----------------------------------------------------------------------------- bookkeeping
# A manifest, lock or cache file that is unreadable, undecodable or of the wrong shape never
# blocks a build: it is treated as absent (one warning line naming it) and rewritten. A
# report is reused only if every file it published is present and unchanged.

def manifest_entry(fn):
    def apply(root: Path, tmp: Path) -> None:
        path = root / "reports" / "manifest.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        fn(data)
        path.write_text(json.dumps(data), encoding="utf-8")
    return apply


def make_dir(rel: str):
    def apply(root: Path, tmp: Path) -> None:
        path = root / rel
        path.unlink(missing_ok=True)
        path.mkdir(parents=True)
    return apply


def _stale_parameters(data):
    data["notebooks"][STEM]["parameters"]["value"] = 9.0
    data["notebooks"][STEM]["cache_key"] = "0" * 64


M = "reports/manifest.json"
R = f"reports/{STEM}"
# id, mutation, culprit named in the warning (None: no warning), rebuilt?
BOOKKEEPING_CASES = [
    ("manifest-invalid-byte", append_bytes(M, b"\xff"), "manifest.json", False),
    ("manifest-truncated", lambda root, tmp: (root / M).write_bytes((root / M).read_bytes()[:40]),
     "manifest.json", False),
    ("manifest-notebooks-is-a-list", write(M, '{"notebooks": []}'), "manifest.json", False),
    ("manifest-is-a-list", write(M, "[]"), "manifest.json", False),
    ("manifest-entry-not-an-object", write(M, '{"notebooks": {"00_probe": 3}}'),
     "manifest.json", False),
    ("manifest-deeply-nested", write(M, "[" * 100000), "manifest.json", False),
    ("manifest-is-a-directory", make_dir(M), "manifest.json", False),
    ("manifest-stale-entry", manifest_entry(_stale_parameters), None, False),
    ("lock-is-a-directory", make_dir("reports/.lock"), ".lock", False),
    ("validation-cache-undecodable", write("reports/.cache/validated", b"\xff\xfe"),
     "validated", False),
    ("validation-cache-is-a-directory", make_dir("reports/.cache/validated"), "validated",
     False),
    ("results-deleted", delete(f"{R}/results.json"), None, True),
    ("results-truncated", write(f"{R}/results.json", "{"), None, True),
    ("executed-notebook-deleted", delete(f"{R}/executed.ipynb"), None, True),
    ("report-edited", edit(f"{R}/report.html", "<", "<!-- edited --><"), None, True),
    ("build-record-deleted", delete(f"{R}/build.json"), None, True),
    ("build-record-garbage", write(f"{R}/build.json", b"\x00\xff"), None, True),
]


@pytest.mark.parametrize("case", cases(BOOKKEEPING_CASES, lambda row: True))
def test_bookkeeping_never_blocks_a_build(case, project, tmp_path, main_in):
    """Every build in process: a reused report is decided before any kernel starts; a
    rebuild runs the probe's kernel."""
    _name, mutate, culprit, rebuilt = case
    reports = project / "reports"
    good = {k: v for k, v in snapshot(reports / STEM).items() if k != "build.json"}
    mutate(project, tmp_path)
    args = ("run", STEM, "--reports", str(reports), "-p", "value", "2.5")
    proc = main_in(*args, root=project)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: ")]
    if culprit is None:
        assert warnings == [], proc.stderr
    else:
        assert len(warnings) == 1 and warnings[0].startswith("runspine: warning: "), proc.stderr
        assert culprit in warnings[0], warnings[0]
        assert any(w in warnings[0] for w in ("treated as absent", "replaced", "removed")), \
            warnings[0]
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("1 built" if rebuilt else "0 built, 1 reused"), proc.stderr
    after = {k: v for k, v in snapshot(reports / STEM).items() if k != "build.json"}
    if rebuilt:  # the same inputs: the same published files again
        assert set(after) == set(good)
        assert json.loads(after["results.json"]) == json.loads(good["results.json"])
    else:
        assert after == good
    assert_manifest_matches_disk(reports)
    again = main_in(*args, root=project)
    assert again.returncode == 0 and again.stderr.strip().splitlines()[-1].startswith(
        "0 built, 1 reused") and "warning" not in again.stderr, again.stderr


def assert_manifest_matches_disk(reports: Path) -> None:
    """The manifest describes exactly the reports on disk: each good entry has the cache
    key and file hashes of the report's own build.json, and those files are intact."""
    import hashlib

    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    for stem, entry in manifest["notebooks"].items():
        good = entry if entry["status"] == "ok" else entry.get("last_good")
        record_path = reports / stem / "build.json"
        if good is None:
            assert not record_path.exists(), f"{stem}: a report on disk the manifest lacks"
            continue
        record = json.loads(record_path.read_text(encoding="utf-8"))
        assert good["cache_key"] == record["cache_key"], stem
        assert good["parameters"] == record["parameters"], stem
        assert good["files"] == record["files"], stem
        for rel, sha in record["files"].items():
            assert hashlib.sha256((reports / stem / rel).read_bytes()).hexdigest() == sha, \
                f"{stem}/{rel} differs from its record"


@pytest.mark.parametrize("mutate, culprit", [
    (notebook_edit(_meta_is_a_list), "metadata.runspine must be a mapping"),
    (runspine_meta(headline_text="{value} and {p_value}"), "names {p_value}"),
], ids=["metadata-not-an-object", "headline-missing-key"])
def test_check_names_a_notebook_with_bad_metadata(mutate, culprit, project, tmp_path,
                                                  main_in):
    mutate(project, tmp_path)
    proc = main_in("check", root=project)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: ")]
    assert len(lines) == 1 and f"{STEM}.ipynb" in lines[0] and culprit in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("damage", [
    b"\xff{", pytest.param(b'{"points": [1, 2]}', id="wrong-shape", marks=pytest.mark.slow)],
    ids=["undecodable", "wrong-shape"])
def test_a_damaged_sweep_state_never_blocks_a_sweep(damage, project, tmp_path, main_in):
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1, 2]\n", encoding="utf-8")
    args = ("sweep", STEM, "--grid", str(grid), "--jobs", "1", "--reports",
            str(project / "reports"))
    assert main_in(*args, root=project).returncode == 0
    state = project / "reports" / STEM / "sweep" / "sweep.json"
    state.write_bytes(damage)
    proc = main_in(*args, root=project)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: ")]
    assert len(warnings) == 1 and "sweep.json" in warnings[0] and "treated as absent" in \
        warnings[0], proc.stderr
    assert isinstance(json.loads(state.read_text(encoding="utf-8"))["points"], dict)
