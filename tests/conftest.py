"""Shared fixtures.

- ``r_ref``: reference values computed in R (tests/reference/r_reference.json, produced by
  tests/reference/make_reference.R; each case stores the exact R call). Tests cite the
  case id and the R call beside the expected value.
- ``cli``: run the ``runspine`` command in a subprocess (project interpreter).
- ``default_build``: every notebook executed once with default parameters into a
  temporary reports directory (session-scoped; notebook tests read its outputs).
- ``run_notebooks``: execute chosen notebooks with chosen parameters into a fresh
  reports directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "r_reference.json"


@pytest.fixture(scope="session")
def r_ref() -> dict:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def run_cli(*args: str, env: dict | None = None, cwd: Path = ROOT,
            timeout: float = 600) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("RUNSPINE_OUTPUT_DIR", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "runspine", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def default_build(tmp_path_factory) -> Path:
    reports = tmp_path_factory.mktemp("reports-default")
    proc = run_cli("run", "--reports", str(reports), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return reports


@pytest.fixture
def run_notebooks(tmp_path):
    def _run(*names: str, params: dict | None = None, reports: Path | None = None,
             extra: tuple = ()):
        reports = reports or tmp_path / "reports"
        args = ["run", *names, "--reports", str(reports), "--jobs", "1", *extra]
        for k, v in (params or {}).items():
            args += ["-p", k, json.dumps(v) if not isinstance(v, str) else v]
        return run_cli(*args), reports
    return _run


def results_of(reports: Path, stem: str) -> dict:
    return json.loads((reports / stem / "results.json").read_text(encoding="utf-8"))


def vals(r_ref: dict, case: str):
    """The value(s) of one R reference case (``values`` dict or a single ``value``)."""
    entry = r_ref[case]
    return entry.get("values", entry.get("value"))
