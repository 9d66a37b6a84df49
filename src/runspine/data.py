"""Load and validate the transcribed data package (``data/datapackage.json``).

Every table is a resource of a Frictionless Data Package with a Table Schema. On top of
the schema, :func:`validate_package` enforces the project's provenance rules:

- every row has ``source`` (a key present in ``data/references.bib``), ``location`` and
  ``provenance`` (reported | derived | digitized | assumed);
- rows that are ``derived``, ``digitized`` or ``assumed`` explain themselves in ``note``.

Errors are reported as :class:`DataError` whose message names file, row and field, so the
command line can print them on one line.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runspine.bibliography import bib_keys
from runspine.inputs import (  # noqa: F401 - the data layer's error and readers, also here
    MAX_DATA_BYTES,
    DataError,
    outside,
    read_utf8,
    size_problem,
)
from runspine.project import Project

if TYPE_CHECKING:  # pandas is imported where it is used: `runspine run` may not need it
    import pandas as pd

PROVENANCE_LEVELS = ("reported", "derived", "digitized", "assumed")
NEEDS_NOTE = ("derived", "digitized", "assumed")


@dataclass(frozen=True)
class Problem:
    """One validation problem."""

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.field:
            where += f" field '{self.field}'"
        return f"{where}: {self.message}"


def _read_descriptor(package_path: Path) -> dict:
    if package_path.exists() and outside(package_path, package_path.parent):
        raise DataError(f"{package_path}: resolves outside {package_path.parent} (a symbolic "
                        "link?); nothing outside it is read as data")
    try:
        descriptor = json.loads(read_utf8(package_path))
    except FileNotFoundError as exc:
        raise DataError(f"{package_path}: data package descriptor not found") from exc
    except OSError as exc:
        raise DataError(f"{package_path}: cannot read ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{package_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError:
        raise DataError(f"{package_path}: not valid JSON (nested too deeply)") from None
    problem = _descriptor_shape_problem(descriptor)
    if problem:
        raise DataError(f"{package_path}: not a data package descriptor ({problem})")
    return descriptor


def _descriptor_shape_problem(descriptor) -> str:
    if not isinstance(descriptor, dict):
        return "expected a JSON object"
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return "'resources' must be a list"
    for i, res in enumerate(resources, start=1):
        if not isinstance(res, dict):
            return f"resource {i} is not an object"
        for key in ("name", "path"):
            if not isinstance(res.get(key), str) or not res.get(key):
                return f"resource {i}: '{key}' must be a non-empty string"
        schema = res.get("schema")
        if schema is not None and not isinstance(schema, (str, dict)):
            return f"resource '{res['name']}': 'schema' must be a path or an object"
        for what, path in (("path", res["path"]), ("schema path", schema)):
            if isinstance(path, str) and ":" in path:  # frictionless would fetch it
                return f"resource '{res['name']}': {what} must be a file in data/, not an address"
        if Path(res["path"]).is_absolute() or ".." in Path(res["path"]).parts:
            return f"resource '{res['name']}': path must stay inside data/"
        if isinstance(schema, str) and (Path(schema).is_absolute()
                                        or ".." in Path(schema).parts):
            return f"resource '{res['name']}': schema path must stay inside data/"
    return ""


def _read_schema(schema, base: Path, shown: str) -> dict:
    """A resource's Table Schema (inline, or a file next to the package)."""
    if isinstance(schema, str):
        path = base / schema
        if outside(path, base):
            raise DataError(f"{_rel(path, base)}: the schema file is outside {base.name}/ "
                            "(a symbolic link?); nothing outside it is read as data")
        try:
            schema = json.loads(read_utf8(path, _rel(path, base)))
        except FileNotFoundError:
            raise DataError(f"{_rel(path, base)}: schema file not found") from None
        except json.JSONDecodeError as exc:
            raise DataError(f"{_rel(path, base)}: not valid JSON ({exc.msg} at line "
                            f"{exc.lineno})") from None
        except RecursionError:
            raise DataError(f"{_rel(path, base)}: not valid JSON (nested too deeply)") from None
    if not isinstance(schema, dict) or not isinstance(schema.get("fields", []), list) or \
            not all(isinstance(f, dict) and isinstance(f.get("name"), str)
                    for f in schema.get("fields", [])):
        raise DataError(f"{shown}: its schema is not a Table Schema (needs 'fields', a list "
                        "of objects with a 'name')")
    return schema


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def validate_package(package_path: Path | None = None) -> list[Problem]:
    """Validate every resource of the data package.

    Runs frictionless-py's validation (structure, types, constraints, primary keys)
    on each resource, then the provenance rules described in the module docstring.

    Parameters
    ----------
    package_path : path, optional
        ``datapackage.json``; defaults to the project's.

    Returns
    -------
    list of Problem
        Empty when the package is valid.
    """
    from frictionless import Resource, Schema  # heavy import, only when validating

    package_path = Path(os.path.abspath(package_path or Project.current().datapackage))
    base = package_path.parent
    descriptor = _read_descriptor(package_path)
    keys = bib_keys(base / "references.bib")
    problems: list[Problem] = []
    for res in descriptor.get("resources", []):
        rel = res.get("path", "?")
        csv_path = base / rel
        shown = _rel(csv_path, base)
        if not csv_path.exists():
            problems.append(Problem(shown, None, None, "data file not found"))
            continue
        if outside(csv_path, base):
            problems.append(Problem(shown, None, None, f"resolves outside {base.name}/ (a "
                                    "symbolic link?); nothing outside it is read as data"))
            continue
        try:
            text = read_utf8(csv_path, shown)
            schema = _read_schema(res.get("schema") or {}, base, shown)
        except DataError as exc:
            problems.append(_as_problem(exc))
            continue
        except OSError as exc:  # a directory, no permission, an I/O error: named, not raised
            problems.append(Problem(shown, None, None, "data file cannot be read "
                                    f"({exc.strerror or type(exc).__name__})"))
            continue
        numbers = _number_problems(csv_path, shown, schema)
        if numbers:  # named plainly (frictionless reads NaN as a number, then a range error)
            problems.extend(numbers)
            continue
        passed = _passed_key(rel, text, schema)
        if passed not in _PASSED:
            try:
                schema_obj = Schema.from_descriptor(schema)
                resource = Resource(path=rel, basepath=str(base), schema=schema_obj)
                report = resource.validate()
            except Exception as exc:  # noqa: BLE001 - frictionless raises many types on broken schemas
                problems.append(Problem(shown, None, None, f"cannot validate: {exc}"))
                continue
            for err in report.flatten(["rowNumber", "fieldName", "type", "note", "message"]):
                row, field, kind, note, message = err
                detail = (note or "").strip() or (message or "").strip()
                problems.append(Problem(shown, row, field or None,
                                        f"{kind}: {detail}" if detail else kind))
            if not report.valid:
                continue
            _remember_passed(passed)
        problems.extend(_provenance_problems(csv_path, shown, keys))
    named = {p.file for p in problems}
    problems.extend(Problem(shown, None, None, f"resolves outside {base.name}/ (a symbolic "
                            "link); nothing outside it is read as data")
                    for shown in _links_out(base) if shown not in named)
    return problems


def _links_out(base: Path) -> list[str]:
    """Every symbolic link under ``base`` (links not followed) that leads outside it, as
    shown in messages: resources or not (the glossary, claims and articles tables are
    read by the pages too), none of them may bring a file from elsewhere in as data."""
    found = []
    for dirpath, dirs, files in os.walk(base):
        for name in sorted(dirs + files):
            path = Path(dirpath) / name
            if path.is_symlink() and outside(path, base):
                found.append(_rel(path, base))
    return found


#: Resources frictionless found valid in this process, by :func:`_passed_key`: the same
#: file bytes under the same path and schema are valid again, so a process that validates
#: a package many times (the test suite, a long-lived session) runs frictionless only on
#: the resources that changed. Only passes are kept: a resource with problems is always
#: validated again, and so is one whose validation raised.
_PASSED: dict[str, None] = {}
_MAX_PASSED = 1024


def _passed_key(rel: str, text: str, schema: dict) -> str:
    """What a resource's schema validation depends on: its path inside the package (the
    format comes from its name), its bytes and its Table Schema."""
    import hashlib

    return hashlib.sha256(json.dumps([rel, text, schema], sort_keys=True).encode()
                          ).hexdigest()


def _remember_passed(key: str) -> None:
    if len(_PASSED) >= _MAX_PASSED:
        _PASSED.pop(next(iter(_PASSED)))
    _PASSED[key] = None


def _as_problem(exc: DataError) -> Problem:
    where, _, message = str(exc).partition(": ")
    return Problem(where, None, None, message)


_NON_FINITE = re.compile(r"[+-]?(inf|infinity|nan)", re.IGNORECASE)


def _number_problems(csv_path: Path, shown: str, schema: dict) -> list[Problem]:
    """Numeric cells must be finite numbers (frictionless accepts ``inf`` and ``NaN``),
    and a required one must not be empty."""
    import csv
    import io
    import math

    numeric = {f["name"]: bool((f.get("constraints") or {}).get("required"))
               for f in schema.get("fields", []) if f.get("type") in ("number", "integer")}
    if not numeric:
        return []
    missing = set(schema.get("missingValues", [""]))
    out: list[Problem] = []
    try:
        rows = list(csv.DictReader(io.StringIO(read_utf8(csv_path, shown), newline="")))
    except csv.Error:
        return []  # not CSV: frictionless names the problem
    for i, rec in enumerate(rows, start=2):  # row 1 is the header
        for name, required in numeric.items():
            cell = rec.get(name)
            if cell is None:
                continue
            text = cell.strip()
            if text in missing or not text:
                if required:
                    out.append(Problem(shown, i, name, "empty, but a number is required"))
                continue
            try:
                finite = math.isfinite(float(text))
            except ValueError:
                finite = True  # not a number at all: frictionless reports it
            if not finite or _NON_FINITE.fullmatch(text):
                out.append(Problem(shown, i, name,
                                   f"'{text}' is not a finite number (inf and NaN are not data)"))
    return out


def _provenance_problems(csv_path: Path, shown: str, keys: set[str]) -> list[Problem]:
    import pandas as pd

    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    out: list[Problem] = []
    for col in ("source", "location", "provenance"):
        if col not in frame.columns:
            out.append(Problem(shown, None, col, "required provenance column is missing"))
    if out:
        return out
    for i, rec in enumerate(frame.to_dict("records"), start=2):  # row 1 is the header
        if rec["provenance"] not in PROVENANCE_LEVELS:
            out.append(Problem(shown, i, "provenance", f"'{rec['provenance']}' is not one of "
                               + ", ".join(PROVENANCE_LEVELS)))
        if rec["source"] not in keys:
            out.append(Problem(shown, i, "source",
                               f"'{rec['source']}' is not a key in references.bib"))
        if not rec["location"].strip():
            out.append(Problem(shown, i, "location", "empty"))
        if rec["provenance"] in NEEDS_NOTE and not rec.get("note", "").strip():
            out.append(Problem(shown, i, "note",
                               f"a {rec['provenance']} value must say how in 'note'"))
    return out


def check_package(package_path: Path | None = None) -> None:
    """Raise :class:`DataError` naming the first problem if the package is invalid."""
    problems = validate_package(package_path)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DataError(f"{problems[0]}{more}")


def resource_paths(package_path: Path | None = None) -> dict[str, Path]:
    """Map resource name to CSV path for every resource of the package."""
    package_path = Path(os.path.abspath(package_path or Project.current().datapackage))
    descriptor = _read_descriptor(package_path)
    return {r["name"]: package_path.parent / r["path"] for r in descriptor.get("resources", [])}


def load_table(name: str, package_path: Path | None = None) -> pd.DataFrame:
    """Load one resource of the data package as a DataFrame.

    Numbers are parsed as floats, ``n``/``cases``-like integer fields as nullable
    integers according to the Table Schema; empty cells become missing values.
    """
    package_path = Path(os.path.abspath(package_path or Project.current().datapackage))
    descriptor = _read_descriptor(package_path)
    for res in descriptor.get("resources", []):
        if res["name"] == name:
            break
    else:
        raise DataError(f"{package_path.name}: no resource named '{name}'")
    schema = _read_schema(res.get("schema") or {}, package_path.parent, res["path"])
    dtypes = {}
    for field in schema.get("fields", []):
        kind = field.get("type", "string")
        dtypes[field["name"]] = {"integer": "Int64", "number": "float64",
                                 "boolean": "boolean"}.get(kind, "string")
    csv_path = package_path.parent / res["path"]
    if not csv_path.exists():
        raise DataError(f"{_rel(csv_path, package_path.parent)}: data file not found")
    if outside(csv_path, package_path.parent) or size_problem(csv_path):
        raise DataError(f"{_rel(csv_path, package_path.parent)}: not a data file inside "
                        f"{package_path.parent.name}/ (run 'runspine check')")
    import pandas as pd

    frame = pd.read_csv(csv_path, dtype={k: v for k, v in dtypes.items() if v != "boolean"},
                        true_values=["true", "True"], false_values=["false", "False"])
    return frame


def facts(table: str, study: str, package_path: Path | None = None) -> pd.DataFrame:
    """Return the scalar facts of one study from a facts resource, indexed by ``quantity``."""
    frame = load_table(table, package_path)
    sub = frame[frame["study"] == study]
    if sub.empty:
        raise DataError(f"table '{table}' has no rows for study '{study}'")
    return sub.set_index("quantity")


def fact(table: str, study: str, quantity: str, package_path: Path | None = None) -> float:
    """Return one fact's value from a facts resource."""
    sub = facts(table, study, package_path)
    if quantity not in sub.index:
        raise DataError(f"table '{table}' has no quantity '{quantity}' for study '{study}'")
    return float(sub.loc[quantity, "value"])


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (used in the manifest and cache keys)."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
