"""Robustness, round 3 (issue 22): input a careless or hostile user gives is refused
before anything runs, with one line naming it and exit 2, and leaves no trace in the
reports tree or the project.

The cases run in process (``runspine.cli.main`` with ``--project``, output read with
``capsys``), so they cost no interpreter start-up; the few that need a real process
(closed stderr, a Dask client's exit) start one. Each test asserts the files afterwards
(the reports directory, ``data/``, the scaffolded files), not only the exit code.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, alarm, main_here, make_scratch

STEM = "00_probe"
G = "garbutt1990_shrinkage.csv"


@pytest.fixture
def proj(tmp_path) -> Path:
    root = make_scratch(tmp_path / "proj")
    for folder in ("src/runspine/studies", "tests"):  # where `runspine new` writes
        (root / folder).mkdir(parents=True)
    return root


def runspine(capsys, root: Path, *args: str) -> tuple[int, str]:
    """Run the command in process on the project ``root``: (exit code, stderr). With
    ``main_in``'s environment (``main_here``): a build that starts the kernel template
    before its data is refused keeps the session's warm one."""
    code = main_here("--project", root, *args, root=root)
    return code, capsys.readouterr().err


def refused(capsys, root: Path, *args: str, culprit: str) -> str:
    """The command exits 2 with one ``runspine: error:`` line naming ``culprit``."""
    code, err = runspine(capsys, root, *args)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("runspine: error: "), err
    assert "Traceback" not in err
    assert culprit in lines[0], lines[0]
    return lines[0]


def check_finds(capsys, root: Path, culprit: str) -> str:
    """``runspine check`` exits 2 and one of its lines names ``culprit`` (no traceback)."""
    code, err = runspine(capsys, root, "check")
    assert code == 2, err
    assert "Traceback" not in err and "error: " not in err, err
    found = [ln for ln in err.splitlines() if culprit in ln]
    assert found and all(ln.startswith("runspine: check: ") for ln in found), err
    return found[0]


def nothing_written(reports: Path) -> None:
    """No report, page or bookkeeping was written (the lock and the ownership marker
    aside)."""
    left = sorted(str(p.relative_to(reports)) for p in reports.rglob("*")) \
        if reports.exists() else []
    assert set(left) <= {".lock", ".runspine-reports"}, left


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def edit_notebook(root: Path, change) -> None:
    path = root / "notebooks" / f"{STEM}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb = change(nb) or nb
    path.write_text(json.dumps(nb), encoding="utf-8")


def add_parameter(root: Path, line: str) -> None:
    def change(nb):
        nb["cells"][1]["source"] = "".join(nb["cells"][1]["source"]) + line + "\n"
    edit_notebook(root, change)


@contextlib.contextmanager
def memory_capped(extra_bytes: int):
    """Address space of this process capped at its current size plus ``extra_bytes``
    while the block runs: a regression that materialises a huge grid fails with
    MemoryError instead of exhausting the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    cap = pages * os.sysconf("SC_PAGE_SIZE") + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY
                                            else min(cap, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# ------------------------------------------------------------------ 2. sizes before work

def test_a_grid_is_counted_before_its_points_are_made(proj, tmp_path, capsys):
    grid = tmp_path / "grid.yaml"  # 3 lists of 1,000 values: 16 kB, 10^9 points
    grid.write_text("value: [" + ", ".join(f"{i / 100:g}" for i in range(1000)) + "]\n"
                    "sleep_s: [" + ", ".join(str(i) for i in range(1000)) + "]\n"
                    "pid_file: [" + ", ".join(f"f{i}" for i in range(1000)) + "]\n")
    reports = tmp_path / "reports"
    start = time.monotonic()
    with memory_capped(2 * 1024**3):
        line = refused(capsys, proj, "sweep", STEM, "--grid", grid, "--reports", reports,
                       culprit="1,000 x 1,000 x 1,000 = 1,000,000,000 points")
    assert str(grid) in line and "at most 1,000" in line
    assert time.monotonic() - start < 5
    nothing_written(reports)


def test_a_list_parameter_holds_at_most_1000_values(proj, tmp_path, capsys):
    add_parameter(proj, "paces: list[float] = [1.0]  # paces [0, 10]")
    reports = tmp_path / "reports"
    many = "[" + ", ".join(["1"] * 1001) + "]"
    refused(capsys, proj, "run", STEM, "-p", "paces", many, "--reports", reports,
            culprit="parameter 'paces' has 1001 values; a list parameter holds at most 1000")
    (tmp_path / "p.yaml").write_text(f"paces: {many}\n")
    refused(capsys, proj, "run", STEM, "--params", tmp_path / "p.yaml", "--reports", reports,
            culprit="'paces' has 1001 values")
    nothing_written(reports)


@pytest.mark.parametrize("value", ["[" * 20000, "[1, " * 5000 + "]", "{" * 20000],
                         ids=["open-brackets", "nested-lists", "open-braces"])
def test_a_list_nested_too_deeply_is_refused(value, proj, tmp_path, capsys):
    """A list value on the command line nested thousands deep is one line naming the
    parameter and exit 2 (it was a RecursionError, exit 1)."""
    add_parameter(proj, "paces: list[float] = [1.0]  # paces [0, 10]")
    reports = tmp_path / "reports"
    line = refused(capsys, proj, "run", STEM, "-p", "paces", value, "--reports", reports,
                   culprit="parameter 'paces' expects list[float]")
    assert len(line) < 300
    nothing_written(reports)


def test_nesting_is_counted_before_a_value_or_file_is_parsed(tmp_path):
    """Deep nesting never reaches the YAML parser: near the recursion limit an object freed
    meanwhile printed "Exception ignored in sys.unraisablehook" before the one-line
    error (seen once in `make test-fast` for ``-p paces '{{{...'``)."""
    from runspine.parameters import MAX_NESTING, ParameterError, load_yaml, too_deep

    assert too_deep("[" * (MAX_NESTING + 1)) and too_deep("{a: " * (MAX_NESTING + 1))
    assert not too_deep("[" * MAX_NESTING + "]" * MAX_NESTING)
    assert not too_deep("paces: [[1, 2], [3]]\n" * 1000)  # depth, not count
    assert not too_deep("]]]] [1]")  # a stray closer does not hide what follows
    (tmp_path / "g.yaml").write_text("paces: " + "[" * 5000 + "\n")
    with pytest.raises(ParameterError, match="nested too deeply"):
        load_yaml(tmp_path / "g.yaml")


def test_a_data_file_over_the_size_limit_is_refused_before_it_is_read(proj, tmp_path,
                                                                      capsys):
    from runspine.data import MAX_DATA_BYTES

    big = proj / "data" / "notes.bin"  # not a resource, but hashed as data: read whole
    with open(big, "wb") as fh:
        fh.truncate(MAX_DATA_BYTES + 1)  # sparse: costs no disk
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", STEM, "--reports", reports,
            culprit=f"data/notes.bin: is {MAX_DATA_BYTES + 1:,} bytes; a data file may "
                    f"have at most {MAX_DATA_BYTES:,}")
    nothing_written(reports)
    big.unlink()
    with open(proj / "data" / G, "r+b") as fh:  # a resource: `check` says so too
        fh.truncate(MAX_DATA_BYTES + 1)
    check_finds(capsys, proj, f"{G}: is {MAX_DATA_BYTES + 1:,} bytes")


def test_a_grid_file_over_the_size_limit_is_refused(proj, tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1]\n" + "#" * 1_000_001 + "\n")
    refused(capsys, proj, "sweep", STEM, "--grid", grid, "--reports", tmp_path / "r",
            culprit="grid.yaml: grid file is 1000013 bytes; at most 1000000 are read")
    nothing_written(tmp_path / "r")


@pytest.mark.parametrize("option", ["--grid", "--params"])
def test_a_grid_or_parameters_file_with_no_size_is_read_only_to_the_limit(option, proj,
                                                                          tmp_path, capsys):
    """A file that is not a regular one has no size to check first (a device, a pipe): it
    was read to its end, and ``/dev/zero`` has none (the memory filled until the machine
    ran out). It is read up to the limit and refused past it; a pipe that ends sooner
    (``--params <(...)``) is still read."""
    command = ("sweep", STEM) if option == "--grid" else ("run", STEM)
    with alarm(60), memory_capped(512 * 1024**2):
        refused(capsys, proj, *command, option, "/dev/zero", "--reports", tmp_path / "r",
                culprit="/dev/zero: ")
    nothing_written(tmp_path / "r")


# ------------------------------------------------------------------ 4. names and paths

def _scaffolded(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for d in ("notebooks", "src", "tests")
                  for p in (root / d).rglob("*"))


@pytest.mark.parametrize("name", ["bar\n", "a" * 300, "b" * 41, "Bar", "caf\u00e9", "_x",
                                  "9lives", "class", "a-b", "a\u0660"])
def test_new_refuses_a_name_that_is_not_the_documented_pattern(name, proj, capsys):
    before = _scaffolded(proj)
    refused(capsys, proj, "new", name, culprit="is not a study name: use 1 to 40 lower-case "
            "ASCII letters, digits and _")
    assert _scaffolded(proj) == before  # nothing written, no name with a newline


def test_new_accepts_a_name_of_40_characters(proj, capsys):
    name = "s" * 40
    code, err = runspine(capsys, proj, "new", name)
    assert code == 0, err
    assert (proj / "notebooks" / f"01_{name}.ipynb").is_file()
    assert (proj / "src" / "runspine" / "studies" / f"{name}.py").is_file()


@pytest.mark.parametrize("where", ["data", "data/reports", "data/schemas/r"])
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_reports_inside_data_are_refused(where, command, proj, tmp_path, capsys):
    before = files(proj / "data")
    (tmp_path / "grid.yaml").write_text("value: [1, 2]\n")
    args = ("run", STEM) if command == "run" else ("sweep", STEM, "--grid",
                                                    tmp_path / "grid.yaml")
    refused(capsys, proj, *args, "--reports", proj / where,
            culprit="is inside the project's data/")
    assert files(proj / "data") == before
    assert not (proj / "data" / "reports").exists()


def test_reports_inside_runspines_code_are_refused(proj, tmp_path, capsys):
    """Reports written inside the package's code (``src/runspine``) were hashed as code
    (their ``.json`` and ``.js`` files): every build changed the code's key, so a second
    identical build rebuilt every notebook and replaced the warm kernel template."""
    from runspine.project import SRC_DIR

    where = SRC_DIR / "studies" / "zz-reports"
    refused(capsys, proj, "run", STEM, "--reports", where, culprit="is inside runspine's code")
    assert not where.exists()


def test_a_data_resource_linked_from_outside_data_is_not_read(proj, tmp_path, capsys):
    outside = tmp_path / "elsewhere.csv"
    shutil.move(proj / "data" / G, outside)
    (proj / "data" / G).symlink_to(outside)
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", STEM, "--reports", reports,
            culprit=f"data/{G}: resolves outside data/")
    nothing_written(reports)
    check_finds(capsys, proj, f"data/{G}: resolves outside data/")


def test_a_resource_path_that_is_an_address_is_not_read(proj, tmp_path, capsys):
    """A resource or schema path written as an address (``https://host/t.csv``) passed
    every check when ``data/https:/host/t.csv`` existed (the path read as a local file),
    and frictionless would then fetch it from the host: nothing outside data/ is data."""
    package = proj / "data" / "datapackage.json"
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    first = descriptor["resources"][0]
    for key, local in (("path", first["path"]), ("schema", first["schema"])):
        address = f"https://example.org/{Path(local).name}"
        copy = proj / "data" / "https:" / "example.org" / Path(local).name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(proj / "data" / local, copy)
        changed = json.loads(json.dumps(descriptor))
        changed["resources"][0][key] = address
        package.write_text(json.dumps(changed), encoding="utf-8")
        check_finds(capsys, proj, "must be a file in data/, not an address")
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", STEM, "--reports", reports,
            culprit="must be a file in data/, not an address")
    nothing_written(reports)


def test_a_schema_or_bibliography_outside_data_is_not_read(proj, tmp_path, capsys):
    package = proj / "data" / "datapackage.json"
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    original = json.dumps(descriptor)
    descriptor["resources"][0]["schema"] = "../notebooks/schema.json"
    package.write_text(json.dumps(descriptor), encoding="utf-8")
    check_finds(capsys, proj, "schema path must stay inside data/")
    package.write_text(original, encoding="utf-8")
    schema = proj / "data" / json.loads(original)["resources"][0]["schema"]
    shutil.move(schema, tmp_path / "schema.json")
    schema.symlink_to(tmp_path / "schema.json")
    check_finds(capsys, proj, "the schema file is outside data/")
    schema.unlink()
    shutil.move(tmp_path / "schema.json", schema)
    bib = proj / "data" / "references.bib"
    shutil.move(bib, tmp_path / "references.bib")
    bib.symlink_to(tmp_path / "references.bib")
    check_finds(capsys, proj, "references.bib: resolves outside data/")


def test_a_link_out_of_data_is_not_hashed_as_data(proj, tmp_path):
    from runspine.engine.cache import shared_hashes

    before = shared_hashes(proj)["data"]
    secret = tmp_path / "secret.txt"
    secret.write_text("not data\n")
    (proj / "data" / "secret.txt").symlink_to(secret)
    assert shared_hashes(proj)["data"] == before


def test_a_data_file_whose_name_is_not_utf8_does_not_stop_a_build(proj, tmp_path, capsys):
    """A file in ``data/`` whose name is not UTF-8 (copied from another system) made every
    build stop with "UnicodeEncodeError" (exit 1) while ``runspine check`` passed: its
    name was encoded to be hashed into the cache keys. Names are hashed as the bytes
    they are; the file still counts (changing it changes the data's key)."""
    from runspine.engine.cache import shared_hashes

    before = shared_hashes(proj)["data"]
    with open(os.path.join(os.fsencode(proj / "data"), b"notes\xff.txt"), "wb") as fh:
        fh.write(b"copied from elsewhere\n")
    assert shared_hashes(proj)["data"] != before
    code, err = runspine(capsys, proj, "run", "--reports", tmp_path / "r")
    assert code == 0 and "Traceback" not in err and "error" not in err, err
    assert (tmp_path / "r" / "index.html").is_file() and (tmp_path / "r" / STEM /
                                                          "report.html").is_file()


# ------------------------------------------------------------------ 5. values before kernels

@pytest.mark.parametrize("option", ["--timeout", "--time-limit"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "0", "-5", "2e9", "1" * 5000])
def test_seconds_options_must_be_positive_and_finite(option, value, proj, tmp_path, capsys):
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", STEM, option, value, "--reports", reports,
            culprit=f"argument {option}: ")
    (tmp_path / "grid.yaml").write_text("value: [1, 2]\n")
    refused(capsys, proj, "sweep", STEM, "--grid", tmp_path / "grid.yaml", option, value,
            "--reports", reports, culprit=f"argument {option}: ")
    nothing_written(reports)


def test_plan_refuses_seconds_that_are_not_finite(proj):
    from runspine.engine.jobs import UsageError
    from runspine.engine.plan import plan
    from runspine.project import Project

    for timeout, limit in ((float("nan"), None), (300, float("nan")), (float("inf"), None)):
        with pytest.raises(UsageError, match="must be a positive number of seconds"):
            plan([STEM], {}, {}, timeout, project=Project.at(proj), time_limit=limit)


@pytest.mark.parametrize("value", ["1" * 5000, "-" + "9" * 20, str(2**63), "1e999", "nan",
                                   "inf", "Infinity"])
def test_numbers_no_parameter_can_take_are_refused(value, proj, tmp_path, capsys):
    add_parameter(proj, "n: int = 1  # a count")
    add_parameter(proj, "x: float = 1.0  # any number")
    reports = tmp_path / "reports"
    name = "n" if value.lstrip("-").isdigit() else "x"
    line = refused(capsys, proj, "run", STEM, "-p", name, value, "--reports", reports,
                   culprit=f"parameter '{name}' expects")
    assert len(line) < 300  # the value is not repeated back in full
    (tmp_path / "p.yaml").write_text(f"{name}: {value}\n")
    line = refused(capsys, proj, "run", STEM, "--params", tmp_path / "p.yaml",
                   "--reports", reports, culprit="")
    assert "p.yaml" in line or f"'{name}'" in line, line
    assert len(line) < 300
    nothing_written(reports)


def _meta(**values):
    def change(nb):
        nb["metadata"]["runspine"].update(values)
    return change


def _params_cell(**values):
    def change(nb):
        nb["cells"][1]["metadata"].update(values)
    return change


def _kernelspec_string(nb):
    nb["metadata"]["kernelspec"] = "runspine"


def _cells_with_a_number(nb):
    nb["cells"].insert(0, 1)


def _notebook_a_list(nb):
    return [nb]


NOTEBOOK_CASES = [
    ("time-limit-negative", _meta(time_limit=-5), "metadata.runspine.time_limit must be"),
    ("time-limit-zero", _meta(time_limit=0), "metadata.runspine.time_limit must be"),
    ("time-limit-huge", _meta(time_limit=1e300), "metadata.runspine.time_limit must be"),
    ("expected-s-negative", _meta(expected_s=-2), "metadata.runspine.expected_s must be"),
    ("tags-a-string", _params_cell(tags="parameters"), "cell 2: metadata.tags must be a list"),
    ("tags-not-strings", _params_cell(tags=[["parameters"]]), "cell 2: metadata.tags"),
    ("kernelspec-a-string", _kernelspec_string, "metadata.kernelspec must be an object"),
    ("cells-hold-a-number", _cells_with_a_number, "cell 1 is not a notebook cell"),
    ("notebook-a-json-list", _notebook_a_list, "not a notebook (a JSON list"),
    # a format code the filled text cannot take failed the report after the kernel ran;
    # a width of 2e9 made a 2 GB string for each page that shows the headline
    ("headline-format-code", _meta(headline_text="{value:d} ({ci_low} to {ci_high})"),
     "metadata.runspine.headline_text writes {value:d}"),
    ("answer-huge-width", _meta(answer="About {value:>2000000000}"),
     "metadata.runspine.answer writes {value:>2000000000}"),
    ("headline-conversion", _meta(headline_text="{unit!r} {value}"),
     "metadata.runspine.headline_text writes {unit!r}"),
]


@pytest.mark.parametrize("case", NOTEBOOK_CASES, ids=[c[0] for c in NOTEBOOK_CASES])
def test_a_malformed_notebook_is_refused_by_check_and_run(case, proj, tmp_path, capsys):
    _id, change, culprit = case
    edit_notebook(proj, change)
    line = check_finds(capsys, proj, culprit)
    assert f"{STEM}.ipynb" in line
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", STEM, "--reports", reports, culprit=culprit)
    nothing_written(reports)


def test_time_limit_nan_in_metadata_is_refused(proj, tmp_path, capsys):
    path = proj / "notebooks" / f"{STEM}.ipynb"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"headline": "value"', '"time_limit": NaN, "headline": "value"'),
                    encoding="utf-8")
    refused(capsys, proj, "run", STEM, "--reports", tmp_path / "r",
            culprit="metadata.runspine.time_limit must be")


def test_a_bib_comment_is_not_a_source_key(proj, tmp_path, capsys):
    with open(proj / "data" / "references.bib", "a", encoding="utf-8") as fh:
        fh.write("\n@comment{fakekey2020,\n  title = {not a work},\n}\n")
    path = proj / "data" / G
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].strip().split(",")
    row = lines[1].split(",")
    row[header.index("source")] = "fakekey2020"
    lines[1] = ",".join(row)
    path.write_text("".join(lines), encoding="utf-8")
    check_finds(capsys, proj, "field 'source': 'fakekey2020' is not a key in references.bib")
    refused(capsys, proj, "run", STEM, "--reports", tmp_path / "r",
            culprit="'fakekey2020' is not a key")
    assert not (tmp_path / "r" / STEM).exists()


DEEP_JSON = {  # each was a RecursionError (exit 1) in the commands named
    "schema": ("data/schemas/garbutt1990_shrinkage.schema.json",
               "garbutt1990_shrinkage.schema.json: not valid JSON (nested too deeply)"),
    "datapackage": ("data/datapackage.json",
                    "datapackage.json: not valid JSON (nested too deeply)"),
    "notebook": (f"notebooks/{STEM}.ipynb", f"{STEM}.ipynb: "),
}


@pytest.mark.parametrize("case", DEEP_JSON, ids=list(DEEP_JSON))
def test_json_nested_too_deeply_is_one_line(case, proj, tmp_path, capsys):
    """A JSON file of 100,000 '[' (a schema, the package descriptor, a notebook) is one line
    naming it, exit 2, from check, run and strip, and nothing is written."""
    rel, culprit = DEEP_JSON[case]
    (proj / rel).write_text("[" * 100000, encoding="utf-8")
    check_finds(capsys, proj, culprit)
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", STEM, "--reports", reports, culprit=culprit)
    nothing_written(reports)
    if case == "notebook":
        refused(capsys, proj, "strip", culprit=culprit)
        assert (proj / rel).read_text(encoding="utf-8") == "[" * 100000

def test_a_named_pipe_in_notebooks_or_data_blocks_nothing(proj, tmp_path, capsys):
    """A named pipe named like a notebook made check, run (even of another notebook) and
    strip wait forever; one in data/ (not a resource) made the build wait as it wrote the
    index. The notebook is refused by name (exit 2); the stray pipe in data/ is not data."""
    pipe = proj / "notebooks" / "01_pipe.ipynb"
    os.mkfifo(pipe)
    reports = tmp_path / "reports"
    with alarm(60):
        check_finds(capsys, proj, "01_pipe.ipynb: not a readable notebook (")
        refused(capsys, proj, "run", "--reports", reports, culprit="01_pipe.ipynb")
        refused(capsys, proj, "strip", culprit="01_pipe.ipynb")
    nothing_written(reports)
    pipe.unlink()
    os.mkfifo(proj / "data" / "stray.fifo")
    with alarm(120):
        code, err = runspine(capsys, proj, "run", STEM, "--reports", reports)
    assert code == 0, err
    assert (reports / "index.html").is_file() and (reports / STEM / "report.html").is_file()


BAD_BIBS = {  # each passed check and validation, then failed every report (exit 1)
    "repeated-key": "@misc{garbutt1990, title = {again}, year = {1999}}\n",
    "unclosed-entry": "@misc{unclosed, title = {x, year = {1999}\n",
    "undefined-string": "@misc{macro, title = undefinedmacro, year = {1999}}\n",
    "braces-too-deep": "@misc{deep, title = {" + "{" * 50000 + "}" * 50000 + "}}\n",
}


@pytest.mark.parametrize("case", BAD_BIBS, ids=list(BAD_BIBS))
def test_a_bibliography_the_reports_cannot_read_is_refused_before_any_kernel(case, proj,
                                                                            tmp_path, capsys):
    with open(proj / "data" / "references.bib", "a", encoding="utf-8") as fh:
        fh.write("\n" + BAD_BIBS[case])
    check_finds(capsys, proj, "references.bib: not readable as BibTeX")
    reports = tmp_path / "reports"
    line = refused(capsys, proj, "run", STEM, "--reports", reports,
                   culprit="references.bib: not readable as BibTeX")
    assert len(line) < 300
    nothing_written(reports)


# ------------------------------------------------------------------ 6. messages

def test_a_resource_that_is_a_directory_is_a_data_error(proj, tmp_path, capsys):
    (proj / "data" / G).unlink()
    (proj / "data" / G).mkdir()
    reports = tmp_path / "reports"
    line = refused(capsys, proj, "run", STEM, "--reports", reports,
                   culprit=f"{G}: data file cannot be read (Is a directory)")
    assert "cannot write reports" not in line
    nothing_written(reports)
    check_finds(capsys, proj, f"{G}: data file cannot be read (Is a directory)")


@pytest.mark.parametrize("address", ["not an address", "http://host:8786", "tcp://::::",
                                     "tcp://127.0.0.1:99999", "tcp://127.0.0.1"])
def test_a_bad_dask_scheduler_address_is_one_line(address, proj, tmp_path, capsys):
    (tmp_path / "grid.yaml").write_text("value: [1]\n")
    reports = tmp_path / "reports"
    refused(capsys, proj, "sweep", STEM, "--grid", tmp_path / "grid.yaml", "--backend", "dask",
            "--scheduler", address, "--reports", reports,
            culprit="is not a Dask scheduler address such as tcp://HOST:8786")
    nothing_written(reports)


def _runspine_process(root: Path, *args, close_stderr: bool = False, timeout: float = 300):
    """``python -m runspine`` on ``root`` (optionally with stderr closed, as ``2>&-``)."""
    env = {**os.environ, "RUNSPINE_ROOT": str(root)}
    cmd = [sys.executable, "-m", "runspine", *map(str, args)]
    if close_stderr:
        cmd = ["sh", "-c", 'exec "$@" 2>&-', "sh", *cmd]
    return subprocess.run(cmd, check=False, env=env, cwd=ROOT,
                          capture_output=not close_stderr,
                          stdout=subprocess.PIPE if close_stderr else None,
                          text=True, timeout=timeout)


def test_a_bad_dask_address_leaves_no_traceback_at_exit(proj, tmp_path):
    (tmp_path / "grid.yaml").write_text("value: [1]\n")
    start = time.monotonic()
    proc = _runspine_process(proj, "sweep", STEM, "--grid", tmp_path / "grid.yaml",
                             "--backend", "dask", "--scheduler", "not an address",
                             "--reports", tmp_path / "reports", timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert time.monotonic() - start < 15  # no client left to time out at exit
    nothing_written(tmp_path / "reports")


@pytest.mark.slow
def test_a_closed_stderr_does_not_stop_a_sweep_or_fail_its_points(proj, tmp_path):
    (tmp_path / "grid.yaml").write_text("value: [1, 2]\n")
    reports = tmp_path / "reports"
    proc = _runspine_process(proj, "sweep", STEM, "--grid", tmp_path / "grid.yaml",
                             "--jobs", "2", "--reports", reports, close_stderr=True)
    assert proc.returncode == 0, proc.stdout
    sweep = reports / STEM / "sweep"
    for point, value in (("value=1", 1.0), ("value=2", 2.0)):
        results = json.loads((sweep / point / "results.json").read_text(encoding="utf-8"))
        assert results["value"]["value"] == value
        assert (sweep / point / "report.html").is_file()
    summary = (sweep / "summary.csv").read_text(encoding="utf-8")
    assert summary.count(",ok,") == 2 and "failed" not in summary, summary


class _ReaderGone:
    """A standard stream whose reader went away after its first line (``runspine run
    2>&1 | head -1``): every later write or flush raises BrokenPipeError."""

    def __init__(self):
        self.text = ""

    def write(self, text: str) -> int:
        if "\n" in self.text:
            raise BrokenPipeError(32, "Broken pipe")
        self.text += text
        return len(text)

    def flush(self) -> None:
        if self.text.count("\n") > 1:
            raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_neither_stops_the_build_nor_changes_its_exit(
        proj, tmp_path, monkeypatch):
    """Messages that can no longer be written are dropped: the build runs to the end,
    publishes and exits 0 (before: the second progress line raised BrokenPipeError,
    the build stopped before any kernel ran, exit 2 'cannot write reports'); so does
    ``runspine list | head -1`` (before: exit 1, 'BrokenPipeError')."""
    reports = tmp_path / "reports"
    for name in ("stdout", "stderr"):
        monkeypatch.setattr(sys, name, _ReaderGone())
    code = main_here("--project", proj, "run", STEM, "--jobs", "1", "--reports", reports,
                     root=proj)
    assert sys.stderr.text.startswith("1 notebook(s)")
    assert code == 0
    assert json.loads((reports / STEM / "results.json").read_text())["value"]["value"] > 0
    assert (reports / STEM / "report.html").is_file() and (reports / "index.html").is_file()
    shutil.copy(proj / "notebooks" / f"{STEM}.ipynb", proj / "notebooks" / "01_other.ipynb")
    monkeypatch.setattr(sys, "stdout", _ReaderGone())
    assert main_here("--project", proj, "list", root=proj) == 0
    assert sys.stdout.text == f"{STEM}\n"


@pytest.mark.parametrize("args", [("list",), ("run", STEM, "--jobs", "1")])
def test_a_deleted_working_directory_is_one_line(proj, tmp_path, capsys, monkeypatch, args):
    """A working directory removed under the shell is refused with one line naming it,
    before anything is read or written (before: 'runspine list' printed a traceback,
    exit 1; 'runspine --project DIR run' blamed the reports directory: 'cannot write
    reports in DIR/reports: No such file or directory')."""
    from runspine.cli import main

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    monkeypatch.delenv("RUNSPINE_ROOT", raising=False)
    project = ("--project", str(proj)) if args[0] == "run" else ()
    code = main([*project, *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("runspine: error: the working directory cannot be read"), err
    assert not (proj / "reports").exists()


@pytest.mark.parametrize("odd", ["05_line\nbreak.ipynb", os.fsdecode(b"05_\xff\xfe.ipynb")])
@pytest.mark.parametrize("command", [("run", STEM, "--jobs", "1"), ("check",), ("list",)])
def test_a_notebook_whose_file_name_is_not_printable_text_is_refused(
        proj, tmp_path, capsys, odd, command):
    """Every notebook is named on the index, so one whose file name holds a control
    character or bytes that are not UTF-8 stops any build before it starts, with one line
    naming it (before: that notebook failed, then the build, even 'run 00' of another
    notebook: 'UnicodeEncodeError ... (use --debug for the traceback)', exit 1)."""
    shutil.copy(proj / "notebooks" / f"{STEM}.ipynb", proj / "notebooks" / odd)
    reports = tmp_path / "reports"
    extra = ("--reports", reports) if command[0] == "run" else ()
    line = refused(capsys, proj, *command, *extra, culprit="must be printable UTF-8 text")
    assert repr(odd)[1:-1] in line
    assert not reports.exists()


@pytest.mark.parametrize("which", ["reports", "project"])
def test_a_path_that_is_not_utf8_is_refused_before_a_kernel_starts(
        proj, tmp_path, capsys, monkeypatch, which):
    """Kernels are given the project's and the reports' paths, and pages are written with
    them, as UTF-8: a directory whose name holds bytes that are not UTF-8 is refused with
    one line (before: the notebook 'FAILED ... UnicodeEncodeError', then the build, exit
    1). Nothing is written. (The refusal is the API's own, Project's and the reports
    directory's claim, which the CLI prints: test_..._by_the_api.)"""
    from runspine.cli import main

    odd = tmp_path / os.fsdecode(b"\xff")
    if which == "project":
        shutil.copytree(proj, odd)
        args = ["--project", str(odd), "run", STEM, "--jobs", "1"]
    else:
        args = ["--project", str(proj), "run", STEM, "--jobs", "1", "--reports", str(odd)]
    monkeypatch.delenv("RUNSPINE_ROOT", raising=False)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "has a name that is not UTF-8 text" in err[0], err
    assert "\\udcff" in err[0]  # named, escaped
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_path_that_is_not_utf8_is_refused_by_the_api(proj, tmp_path):
    """The in-process API refuses what the CLI refuses: a reports directory or a project
    whose path is not UTF-8 text (before: a notebook failed, then the build)."""
    from runspine.engine import run
    from runspine.engine.jobs import UsageError
    from runspine.project import Project, ProjectError

    with pytest.raises(UsageError, match="has a name that is not UTF-8 text"):
        run(Project.at(proj), [STEM], reports=tmp_path / os.fsdecode(b"r\xff"))
    with pytest.raises(ProjectError, match="has a name that is not UTF-8 text"):
        Project.at(tmp_path / os.fsdecode(b"p\xff"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]


def test_a_link_out_of_data_is_a_data_error_even_when_no_resource_names_it(
        proj, tmp_path, capsys):
    """The pages read data/glossary.csv (and claims.csv, articles.csv) whether or not the
    data package lists them: a symbolic link there to a file elsewhere is a data error
    like a resource's (before: check passed and a build published the other file's terms
    on the glossary page)."""
    import json as _json

    outside = tmp_path / "shared-glossary.csv"
    shutil.copy(proj / "data" / "glossary.csv", outside)
    (proj / "data" / "glossary.csv").unlink()
    (proj / "data" / "glossary.csv").symlink_to(outside)
    package = proj / "data" / "datapackage.json"
    descriptor = _json.loads(package.read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] != "glossary"]
    package.write_text(_json.dumps(descriptor), encoding="utf-8")
    code, err = runspine(capsys, proj, "check", "--data-only")
    assert code == 2 and "data/glossary.csv: resolves outside data/" in err, err
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", STEM, "--jobs", "1", "--reports", reports,
            culprit="data/glossary.csv: resolves outside data/")
    nothing_written(reports)


def test_a_notebook_that_is_a_directory_is_named_by_its_path(proj, tmp_path, capsys):
    """A directory named like a notebook is refused with its path, not the number of the
    descriptor it was opened on (before: '([Errno 21] Is a directory: 3)')."""
    (proj / "notebooks" / "07_dir.ipynb").mkdir()
    want = f"not a regular file (a pipe, device or directory): '{proj}/notebooks/07_dir.ipynb'"
    check_finds(capsys, proj, want)
    reports = tmp_path / "reports"
    refused(capsys, proj, "run", "07", "--reports", reports, culprit=want)
    nothing_written(reports)


def test_a_stream_that_cannot_show_a_character_gets_it_escaped(proj, monkeypatch):
    """Output goes through whatever encoding the stream has (PYTHONIOENCODING=ascii, a
    Latin-1 terminal): a character it cannot show is escaped, the command finishes
    (before: 'runspine list' of a parameter documented with '±' ended
    'UnicodeEncodeError', exit 1; so did 'check --consistency' of the project)."""
    import io

    from runspine.cli import main

    add_parameter(proj, "spread: float = 0.5  # the estimate \u00b1 this [0, 1]")
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["--project", str(proj), "list"]) == 0
    out.flush()
    assert "the estimate \\xb1 this [0, 1]" in out.buffer.getvalue().decode("ascii")
