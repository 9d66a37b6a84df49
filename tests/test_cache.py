"""Cache keys (runspine.engine.cache): what makes a notebook rebuild."""

from __future__ import annotations

import os
import subprocess
import sys


def _environment_hash(extra_path: str | None, cwd) -> str:
    append = f"sys.path.append({extra_path!r})" if extra_path else ""
    code = ("import sys\n"
            f"{append}\n"
            "from runspine.engine import cache\n"
            "print(cache.environment_hash())")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=cwd, timeout=120).stdout.strip()


def test_the_environment_key_follows_installed_versions_not_the_working_directory(tmp_path):
    """An install, upgrade or removal changes the key (a distribution's metadata directory
    name carries its version); running from another directory, even one holding an
    ``*.egg-info``, does not."""
    site = tmp_path / "site"
    (site / "examplepkg-1.0.dist-info").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "stray.egg-info").mkdir(parents=True)
    base = _environment_hash(None, tmp_path)
    assert _environment_hash(None, elsewhere) == base
    installed = _environment_hash(str(site), tmp_path)
    assert installed != base
    (site / "examplepkg-1.0.dist-info").rename(site / "examplepkg-1.1.dist-info")
    upgraded = _environment_hash(str(site), tmp_path)
    assert upgraded not in (base, installed)


NOT_FOR_A_NO_CHANGE_REBUILD = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib",
                               "papermill", "nbformat", "nbclient", "jupyter_client", "zmq",
                               "asyncio")


def test_a_no_change_rebuild_imports_no_analysis_library(default_build, tmp_path):
    """README "Performance": a rebuild that reuses every report imports neither pandas
    nor any other analysis library (nor papermill, nbformat or the kernel machinery:
    nbclient, jupyter_client, ZeroMQ, asyncio): the command, its
    bookkeeping and the index and claims pages read what they need with the standard
    library. The default build, copied, rebuilt in a fresh interpreter."""
    import shutil

    from conftest import ROOT

    reports = tmp_path / "reports"
    shutil.copytree(default_build, reports, symlinks=True)
    driver = ("import sys\n"
              "from runspine.cli import main\n"
              f"code = main(['run', '--reports', {str(reports)!r}, '--jobs', '1'])\n"
              f"print('imported:', [m for m in {NOT_FOR_A_NO_CHANGE_REBUILD!r} "
              "if m in sys.modules])\n"
              "sys.exit(code)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("RUNSPINE_OUTPUT_DIR", "RUNSPINE_ROOT")}
    proc = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, check=False,
                          cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "0 built, 6 reused, 0 failed" in proc.stderr, proc.stderr
    assert "imported: []" in proc.stdout, proc.stdout
    assert (reports / "claims.html").read_text(encoding="utf-8") == \
        (default_build / "claims.html").read_text(encoding="utf-8")


def test_a_rebuild_that_changes_nothing_renders_no_glossary_page(tmp_path, main_in):
    """The glossary page is written again only when what it is made of changed (the
    glossary, the bibliography, the code), or when the page on disk is not as it was
    written; otherwise a no-change rebuild leaves the file untouched."""
    from conftest import make_scratch

    root = make_scratch(tmp_path / "proj")
    reports = tmp_path / "reports"
    page = reports / "glossary.html"

    def build():
        proc = main_in("run", "--reports", str(reports), root=root)
        assert proc.returncode == 0, proc.stderr
        return page.stat()

    first = build()
    again = build()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    good = page.read_bytes()
    page.write_text("tampered", encoding="utf-8")
    build()
    assert page.read_bytes() == good  # restored
    with open(root / "data" / "glossary.csv", "a", encoding="utf-8") as fh:
        fh.write('zeta test term,zeta,zeta term,"A made-up word for this test.",'
                 "cochrane_handbook,Chapter 6,derived,For the test.\n")
    build()
    assert "A made-up word for this test." in page.read_text(encoding="utf-8")


def test_a_rebuild_that_changes_nothing_renders_no_index_or_claims_page(tmp_path, main_in):
    """The index and the claims page are written again only when what they are made of
    changed (the manifest, a report's record or verified files, data/, the code), or when
    the page on disk is not as it was written; a no-change rebuild leaves both untouched."""
    from conftest import make_scratch

    root = make_scratch(tmp_path / "proj")
    reports = tmp_path / "reports"
    pages = (reports / "index.html", reports / "claims.html")

    def build(*args):
        proc = main_in("run", "--reports", str(reports), *args, root=root)
        assert proc.returncode == 0, proc.stderr
        return [(p.stat().st_ino, p.stat().st_mtime_ns) for p in pages]

    first = build()
    assert build() == first  # nothing changed: nothing rendered
    good = pages[0].read_bytes()
    pages[0].write_text("tampered", encoding="utf-8")
    build()
    assert pages[0].read_bytes() == good  # restored
    claims = root / "data" / "claims.csv"
    claims.write_text(claims.read_text(encoding="utf-8").replace(
        "the runners dropped by more than", "the runners dropped by a made-up amount"), "utf-8")
    build()
    assert "the runners dropped by a made-up amount" in pages[1].read_text(encoding="utf-8")
    before = build()
    results = reports / "00_probe" / "results.json"
    results.write_text(results.read_text(encoding="utf-8") + " ", encoding="utf-8")
    after = build()  # the report is rebuilt
    assert after[0] != before[0]  # its record changed: the index is rendered again
