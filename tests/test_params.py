"""Typed notebook parameters: inspection, coercion, ranges, YAML."""

import re
from pathlib import Path

import pytest

from runspine.parameters import (
    Parameter,
    ParameterError,
    coerce,
    inspect_parameters,
    load_params_file,
    resolve,
)

ROOT = Path(__file__).resolve().parents[1]
NB01 = ROOT / "notebooks" / "01_spinal_shrinkage_vs_pace.ipynb"


def test_inspection_reads_types_defaults_help_and_bounds():
    params = inspect_parameters(NB01)
    assert params["rho"].type == "float" and params["rho"].default == 0.5
    assert params["rho"].bounds == (-0.45, 0.99)
    assert params["seed"].type == "int"
    assert params["predict_paces"].type == "list[float]"
    assert "correlation" in params["rho"].help


@pytest.mark.parametrize("kind,text,expected", [
    ("int", "3", 3), ("int", "-2", -2), ("float", "0.7", 0.7), ("float", "1", 1.0),
    ("bool", "true", True), ("bool", "no", False), ("str", "dl", "dl"),
    ("list[float]", "[70, 85.5]", [70.0, 85.5]), ("list[int]", "[1, 2]", [1, 2]),
])
def test_coerce_from_text(kind, text, expected):
    assert coerce(Parameter("x", kind, None, ""), text, from_text=True) == expected


@pytest.mark.parametrize("kind,value", [
    ("int", "abc"), ("int", "1.5"), ("float", "x"), ("bool", "maybe"), ("list[float]", "[1, a]"),
    ("list[float]", "3"), ("int", True),
])
def test_coerce_rejects_wrong_types(kind, value):
    with pytest.raises(ParameterError, match="expects"):
        coerce(Parameter("x", kind, None, ""), value, from_text=isinstance(value, str))


def test_yaml_values_are_not_string_coerced():
    with pytest.raises(ParameterError):
        coerce(Parameter("n", "int", 1, ""), "3", from_text=False)
    assert coerce(Parameter("r", "float", 0.5, ""), 1, from_text=False) == 1.0


def test_bounds_are_enforced():
    p = Parameter("rho", "float", 0.5, "a correlation [-0.45, 0.99]")
    with pytest.raises(ParameterError, match="outside"):
        coerce(p, "1.5", from_text=True)


def test_unknown_parameter_is_an_error():
    declared = {"rho": Parameter("rho", "float", 0.5, "")}
    with pytest.raises(ParameterError, match="unknown parameter 'rh0'"):
        resolve(declared, {"rh0": 1})


def test_params_file(tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("rho: 0.8\npredict_paces: [80, 95]\n")
    assert load_params_file(good) == {"rho": 0.8, "predict_paces": [80, 95]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("rho: [0.8\n")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_params_file(bad)
    evil = tmp_path / "evil.yaml"
    evil.write_text("rho: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ParameterError):
        load_params_file(evil)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ParameterError, match="mapping"):
        load_params_file(listy)


TRICKY_SOURCES = [
    "a: int = 1  # help text [0, 10]\nb: float = 2.5\n",
    "# a comment line\n\nx: list[float] = [1.0,\n    2.0]  # a list over two lines\ny: str = 'a=b'\n",
    "p = 1 == 1  # two equals signs: skipped by papermill\nq: bool = True  # type: bool\n",
    "r = 3  # type: int\ns: 'float' = 4.0\n",
]


@pytest.mark.parametrize("src", TRICKY_SOURCES)
def test_parameter_parser_matches_papermill_on_tricky_cells(src):
    from nbformat.v4 import new_code_cell
    from papermill.translators import PythonTranslator

    from runspine.parameters import parse_parameters_source

    expected = [(p.name, p.inferred_type_name, p.default, p.help)
                for p in PythonTranslator.inspect(new_code_cell(src))]
    assert parse_parameters_source(src) == expected
    assert expected  # each source declares something


def test_parameter_parser_matches_papermill_on_every_notebook():
    import nbformat
    from papermill.inspection import _infer_parameters

    from runspine.parameters import parse_parameters_source

    for path in _notebooks().values():
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])
        expected = [(p.name, p.inferred_type_name, p.default, p.help)
                    for p in _infer_parameters(nb)]
        cell = next(c for c in nb.cells if "parameters" in c.metadata["tags"])
        assert parse_parameters_source(cell.source) == expected, path.name


# ------------------------------------------------------------ robustness round 2 (issue 13)

def test_allowed_values_are_read_and_enforced():
    from runspine.parameters import Parameter, ParameterError, coerce

    p = Parameter("tau2_method", "str", "dl", "estimator {dl, pm, reml}")
    assert p.choices == ("dl", "pm", "reml")
    assert coerce(p, "reml") == "reml"
    with pytest.raises(ParameterError, match=r"'tau2_method' = 'REML' is not one of \{dl, pm"):
        coerce(p, "REML", from_text=True)
    many = Parameter("methods", "list[str]", ["dl"], "estimators {dl, pm}")
    assert coerce(many, "[dl, pm]", from_text=True) == ["dl", "pm"]
    with pytest.raises(ParameterError, match="'methods' = 'fe'"):
        coerce(many, ["dl", "fe"])
    with pytest.raises(ParameterError, match="at least one value"):
        coerce(many, [])
    assert Parameter("x", "float", 1.0, "a number {1, 2}").choices is None  # only strings


def test_yaml_refuses_aliases_repeated_keys_and_huge_files(tmp_path):
    from runspine.parameters import ParameterError, load_params_file

    path = tmp_path / "p.yaml"
    for text, message in (("a: &x 1\nb: *x\n", "aliases"), ("a: 1\na: 2\n", "'a' is repeated"),
                          ("a:\n  b: 1\n  b: 2\n", "'b' is repeated"),
                          ("a: 1\n" + "#" * 2_000_000, "at most")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ParameterError, match=message):
            load_params_file(path)


@pytest.mark.parametrize("kind, text", [
    ("list[float]", "[0o17]"), ("list[float]", "[1:30]"), ("list[float]", "[0x50]"),
    ("list[int]", "[1_000]"), ("list[int]", "[0b11]"), ("int", "1_000"), ("int", "0x10"),
    ("int", "\u0661\u0662"), ("int", "\uff10\uff15"), ("float", "0_5"), ("float", "\u0661"),
])
def test_a_number_is_read_in_decimal_or_refused(kind, text, tmp_path):
    """A number is read as written, in decimal, by ``-p``, in a list value and in a
    parameters or grid file (070 is 70); YAML 1.1's other readings of a number-like word
    (octal, base 60: 1:30, hex, underscores) and non-ASCII digits are refused, never read
    as another number. (Before: [070, 075] was [56.0, 61.0], [1:30] was [90.0], "0_5"
    was 5.0 and "\u0661\u0662" was 12.)"""
    from runspine.parameters import load_grid

    with pytest.raises(ParameterError, match=f"parameter 'x' expects {re.escape(kind)}, got"):
        coerce(Parameter("x", kind, None, ""), text, from_text=True)
    path = tmp_path / "p.yaml"
    path.write_text(f"x: {text}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=f"expects {re.escape(kind)}, got"):
        resolve({"x": Parameter("x", kind, None, "")}, load_params_file(path))
    if kind.startswith("list["):
        path.write_text(f"x: {text}\ny: [010, 1e2, .5, -7, +.inf]\n", encoding="utf-8")
        assert load_grid(path)["y"] == [10, 100.0, 0.5, -7, float("inf")]
    assert coerce(Parameter("x", "list[float]", None, ""), "[070, 1e2, 1.0e2, 5.]",
                  from_text=True) == [70.0, 100.0, 100.0, 5.0]


def _range_end_params(path: Path, end: int) -> dict:
    values = {}
    for p in inspect_parameters(path).values():
        if p.bounds is None:
            continue
        v = p.bounds[end]
        v = int(v) if p.type in ("int", "list[int]") else v
        values[p.name] = [v] if p.type.startswith("list[") else v
    return values


def _notebooks() -> dict:
    """The project's study notebooks by stem, in order."""
    from runspine.project import Project

    return {path.stem: path for path in Project.at(ROOT).notebooks()}


def _notebook_stems() -> list[str]:
    return list(_notebooks())


@pytest.mark.slow
@pytest.mark.long(10)
@pytest.mark.parametrize("end", [0, 1], ids=["low", "high"])
@pytest.mark.parametrize("stem", _notebook_stems())
def test_every_notebook_runs_at_the_ends_of_every_range(stem, end, tmp_path, main_in):
    """Every declared range is one the notebook supports: each notebook runs with every
    ranged parameter at its lower end, then at its upper end (n_runners 3 and target_power
    0.05 crashed notebooks 01 and 04 before their ranges said what they support). One
    test per notebook and end, so that they spread over the test workers; each a build in
    process (its kernel forked from this process's warm template)."""
    import yaml

    params = tmp_path / f"{stem}.yaml"
    params.write_text(yaml.safe_dump(_range_end_params(_notebooks()[stem], end)),
                      encoding="utf-8")
    proc = main_in("run", stem, "--params", str(params), "--jobs", "1",
                   "--reports", str(tmp_path / "reports"))
    assert proc.returncode == 0, proc.stderr.strip().splitlines()[-2:]
