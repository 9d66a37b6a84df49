"""Robustness, round 3 (issue 22), class 3: a file the engine did not just write is checked
against its record before it is used, for every notebook and every sweep point.

A report or point whose files differ from its ``build.json`` (changed, extra, of the
wrong shape) is rebuilt when the command builds it; otherwise its unverified files are
skipped with one warning line naming each, and never reach the index, the claims page or
a sweep summary. Nothing of it is fatal. Every build runs in process (``main_in``; the
scratch project is built once per test run and copied by each test).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import html5lib
import pytest

from conftest import alarm, build_once, main_here, make_scratch

STEMS = ("00_probe", "01_probe")
CLAIM = "shrink-speed"  # owned by 01_probe in the scratch project's data/claims.csv


def _own_claim(root: Path) -> None:
    path = root / "data" / "claims.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["claim_id"] == CLAIM:
            row["notebook"] = "01_probe"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The two probes built once per test run; read-only: tests copy it."""
    def build(root: Path) -> None:
        make_scratch(root, STEMS)
        _own_claim(root)
        code = main_here("run", "--reports", root / "reports", "--jobs", "1", root=root)
        assert code == 0, "the scratch project's first build failed"

    return build_once(tmp_path_factory, "tampered-probes", build)


@pytest.fixture
def project(built, tmp_path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(built, root, symlinks=True)
    return root


def in_process(main_in, root: Path, *args) -> tuple[int, list[str]]:
    proc = main_in(*args, root=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, [ln for ln in proc.stderr.splitlines()
                             if ln.startswith("runspine: ")]


def card_text(reports: Path, stem: str) -> str:
    page = html5lib.parse((reports / "index.html").read_text(encoding="utf-8"),
                          namespaceHTMLElements=False)
    card = next(a for a in page.iter("article") if a.get("id") == stem)
    return " ".join("".join(card.itertext()).split())


def claim_row(reports: Path, claim_id: str) -> str:
    page = html5lib.parse((reports / "claims.html").read_text(encoding="utf-8"),
                          namespaceHTMLElements=False)
    row = next(r for r in page.iter("tr") if r.get("id") == claim_id)
    return " ".join("".join(row.itertext()).split())


FORGED = ("claim_id,verdict,evidence,claim\n"
          f"{CLAIM},supported,forged numbers 42,forged\n")
NO_CLAIM_ID = "verdict,evidence\nsupported,forged\n"


# ------------------------------------------------------------ another notebook's report

@pytest.mark.parametrize("rel, content, shown", [
    ("tables/claims.csv", NO_CLAIM_ID, "not in its build record"),
    ("tables/claims.csv", FORGED, "not in its build record"),
    ("results.json", "[]", "changed since it was built"),
    ("results.json", '{"value": {"value": 999, "unit": ""}}', "changed since it was built"),
    ("report.html", "<script>alert(1)</script>", "changed since it was built"),
], ids=["claims-without-claim-id", "claims-forged", "results-a-list", "results-999",
        "report-replaced"])
def test_a_tampered_report_outside_a_partial_build_is_skipped_with_one_warning(
        rel, content, shown, project, main_in):
    reports = project / "reports"
    target = reports / "01_probe" / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")
    code, lines = in_process(main_in, project, "run", "00_probe", "--reports", reports)
    assert code == 0, lines
    assert len(lines) == 1 and lines[0].startswith(f"runspine: warning: {target}: {shown}"), \
        lines
    assert lines[0].endswith("not shown (rebuild it with 'runspine run 01_probe')"), lines
    card = card_text(reports, "01_probe")  # the card is there, without the tampered file
    assert "999" not in card and "forged" not in card
    if rel == "results.json":
        assert "Key finding" not in card
    if rel == "report.html":  # not linked, and the reader is told why
        assert 'href="01_probe/report.html"' not in (reports / "index.html").read_text()
        assert "Not shown: files of this report were changed after runspine built it" in card
    assert "Key finding: 1.5" in card_text(reports, "00_probe")
    row = claim_row(reports, CLAIM)
    assert "forged" not in row and "42" not in row and "supported" not in row.replace(
        "not yet assessed", ""), row


def test_a_pipe_or_a_device_in_the_reports_tree_is_never_read(project, main_in):
    """A named pipe in place of a report's file or of the bookkeeping blocked the next
    build forever (SIGTERM could not stop it); a link to /dev/zero would read without
    end. Each is treated as a changed file or damaged bookkeeping: skipped with one
    warning line naming it, or rewritten."""
    reports = project / "reports"
    pipe = reports / "01_probe" / "results.json"
    device = reports / "01_probe" / "report.html"
    pipe.unlink()
    os.mkfifo(pipe)
    device.unlink()
    device.symlink_to("/dev/zero")
    for rel in ("manifest.json", "index.html", ".cache/index.key", ".cache/validated"):
        (reports / rel).unlink()
        os.mkfifo(reports / rel)
    with alarm(120):
        code, lines = in_process(main_in, project, "run", "00_probe", "--reports", reports)
    assert code == 0, lines
    for path in (pipe, device):
        assert [ln for ln in lines if f"{path}: not a regular file" in ln], lines
    assert [ln for ln in lines if f"{reports / 'manifest.json'}: " in ln], lines
    for rel in ("manifest.json", "index.html", ".cache/index.key"):
        assert (reports / rel).is_file(), rel  # rewritten
    card = card_text(reports, "01_probe")
    assert "Key finding" not in card
    assert 'href="01_probe/report.html"' not in (reports / "index.html").read_text()
    assert "Key finding: 1.5" in card_text(reports, "00_probe")


# ------------------------------------------------------------ the claims page

def test_a_verdict_counts_only_from_the_notebook_that_owns_the_claim(project, capsys):
    from runspine.engine.manifest import read_book, sync, write_manifest_and_index
    from runspine.engine.publish import publish

    reports = project / "reports"
    staging = reports / ".runspine-staging" / "00_probe.0123abcd"
    shutil.copytree(reports / "00_probe", staging)
    (staging / "build.json").unlink()
    (staging / "tables").mkdir()
    (staging / "tables" / "claims.csv").write_text(FORGED, encoding="utf-8")
    record = json.loads((reports / "00_probe" / "build.json").read_text(encoding="utf-8"))
    publish(staging, reports / "00_probe", {k: v for k, v in record.items() if k != "files"})
    manifest = read_book(reports / "manifest.json")
    sync(manifest["notebooks"], reports)
    import os

    os.environ["RUNSPINE_ROOT"] = str(project)
    try:
        write_manifest_and_index(manifest, reports)
    finally:
        os.environ.pop("RUNSPINE_ROOT")
    assert capsys.readouterr().err == ""  # recorded and intact: no warning
    row = claim_row(reports, CLAIM)  # but 00_probe does not own the claim
    assert "forged" not in row and "not yet assessed" in row, row


def test_a_stray_claims_table_in_a_rebuilt_report_is_replaced(project, main_in):
    reports = project / "reports"
    stray = reports / "00_probe" / "tables" / "claims.csv"
    stray.parent.mkdir()
    stray.write_text(NO_CLAIM_ID, encoding="utf-8")
    proc = main_in("run", "--reports", str(reports), "--jobs", "1", root=project)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "warning" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("1 built, 1 reused"), proc.stderr
    assert not stray.exists()  # rebuilt: only what the notebook wrote is there
    record = json.loads((reports / "00_probe" / "build.json").read_text(encoding="utf-8"))
    assert set(record["files"]) == {p.relative_to(reports / "00_probe").as_posix()
                                    for p in (reports / "00_probe").rglob("*")
                                    if p.is_file() and p.name != "build.json"}
    assert "Key finding: 1.5" in card_text(reports, "00_probe")


# ------------------------------------------------------------ sweep points

def swept_probe(project: Path, tmp_path: Path, main_in, values: list) -> tuple[tuple, Path]:
    """A sweep of the probe over ``value`` in ``project/reports``, built in process: the
    command's arguments (to run it again) and the sweep's directory."""
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"value: {values}\n", encoding="utf-8")
    args = ("sweep", "00_probe", "--grid", str(grid), "--jobs", "1", "--reports",
            str(project / "reports"))
    assert main_in(*args, root=project).returncode == 0
    return args, project / "reports" / "00_probe" / "sweep"


def test_a_tampered_sweep_point_is_rebuilt_or_left_out_of_the_summary(project, tmp_path,
                                                                      capsys, main_in):
    args, sweep = swept_probe(project, tmp_path, main_in, [1, 2, 3])
    for point in ("value=1", "value=2", "value=3"):
        record = json.loads((sweep / point / "build.json").read_text(encoding="utf-8"))
        assert {"report.html", "results.json", "executed.ipynb"} <= set(record["files"])
    edited = sweep / "value=1" / "results.json"  # an edited value
    edited.write_text(edited.read_text(encoding="utf-8").replace('"value": 1.0',
                                                                '"value": 999'))
    assert "999" in edited.read_text(encoding="utf-8")
    with open(sweep / "value=2" / "results.json", "ab") as fh:  # one bad byte
        fh.write(b"\xff")
    proc = main_in(*args, root=project)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "warning" not in proc.stderr, proc.stderr
    assert "1 reused, running 2" in proc.stderr, proc.stderr
    for point, value in (("value=1", 1.0), ("value=2", 2.0)):
        results = json.loads((sweep / point / "results.json").read_text(encoding="utf-8"))
        assert results["value"]["value"] == value
    summary = (sweep / "summary.csv").read_text(encoding="utf-8")
    assert "999" not in summary and "value=3,3,reused," in summary, summary
    assert "value=1,1,ok," in summary and "value=2,2,ok," in summary, summary

    # a point that did not run again (here: its run failed) and whose files were changed
    # is left out of the summary, with one warning line naming the file
    from runspine.engine.jobs import Job
    from runspine.engine.manifest import write_summary

    changed = sweep / "value=3" / "results.json"
    changed.write_text('{"value": {"value": 999}}', encoding="utf-8")
    points = [Job("00_probe", project / "notebooks" / "00_probe.ipynb", {}, {},
                  point=f"value={v}", grid={"value": v}) for v in (1, 2, 3)]
    write_summary(sweep, points, {"value=1": "ok", "value=2": "ok", "value=3": "failed"})
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [(f"runspine: warning: {changed}: changed since it was built (not the "
                    "bytes its build record lists); left out of the sweep summary")], err
    summary = (sweep / "summary.csv").read_text(encoding="utf-8")
    assert "999" not in summary and "value=3,3,failed," in summary, summary
    page = (sweep / "summary.html").read_text(encoding="utf-8")
    assert 'href="value=3/report.html"' in page  # its report is unchanged: still linked


def test_a_sweep_summary_takes_its_title_only_from_a_verified_point(project, tmp_path,
                                                                    capsys, main_in):
    """The summary's title and headline key come from a point's executed notebook: one
    changed since its point was built (here in a point whose run then failed, so it was
    not rebuilt) is not read; the next verified point's is."""
    _, sweep = swept_probe(project, tmp_path, main_in, [1, 2])
    executed = sweep / "value=1" / "executed.ipynb"
    executed.write_text(executed.read_text(encoding="utf-8").replace(
        "# Probe notebook", "# FORGED title"), encoding="utf-8")
    assert "FORGED" in executed.read_text(encoding="utf-8")
    from runspine.engine.jobs import Job
    from runspine.engine.manifest import write_summary

    points = [Job("00_probe", project / "notebooks" / "00_probe.ipynb", {}, {},
                  point=f"value={v}", grid={"value": v}) for v in (1, 2)]
    capsys.readouterr()
    write_summary(sweep, points, {"value=1": "failed", "value=2": "ok"})
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [(f"runspine: warning: {executed}: changed since it was built (not the "
                    "bytes its build record lists); left out of the sweep summary")], err
    page = (sweep / "summary.html").read_text(encoding="utf-8")
    assert "FORGED" not in page and "Parameter sweep: Probe notebook" in page


def test_the_consistency_page_links_only_a_verified_report(tmp_path, monkeypatch):
    """The consistency page links each study report that uses a checked value: only one
    whose report.html is verified (a changed one is named, "report not built", as the
    index shows it unlinked), and its key changes when that changes."""
    import re

    from conftest import ROOT
    from runspine.site.consistency import page_inputs, render_consistency_page

    root = tmp_path / "proj"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    monkeypatch.setenv("RUNSPINE_ROOT", str(root))
    reports = tmp_path / "reports"
    stems = [p.stem for p in sorted((root / "notebooks").glob("*.ipynb"))]
    for stem in stems:
        (reports / stem).mkdir(parents=True)
        (reports / stem / "report.html").write_text("<p>report</p>", encoding="utf-8")
    manifest = {"notebooks": {stem: {} for stem in stems}}
    verified = {stem: frozenset({"report.html"}) for stem in stems}

    def linked(page: str) -> set[str]:
        return set(re.findall(r'href="([^"/]+)/report\.html"', page))

    shown = linked(render_consistency_page(manifest, reports, trusted=verified))
    assert shown, "no report linked: the case tests nothing"
    changed = min(shown)
    tampered = {**verified, changed: frozenset()}
    page = render_consistency_page(manifest, reports, trusted=tampered)
    assert changed not in linked(page) and linked(page) == shown - {changed}
    assert page_inputs(manifest, reports, trusted=verified) != page_inputs(
        manifest, reports, trusted=tampered)


# ------------------------------------------------------------ links out of the reports tree

def test_a_link_where_runspine_writes_a_directory_is_removed_not_followed(project, tmp_path,
                                                                         main_in):
    """A symbolic link in the reports tree in place of a directory runspine writes into (a
    report's, a sweep's, a point's, ``.cache``, the staging area) made it write, move or
    remove files outside the reports directory: a report directory linked elsewhere gave up
    its ``sweep/`` to the new report, a linked ``sweep/`` received every point, a linked
    ``.cache`` the pages' keys. Each link is removed with one warning line naming it; what
    it pointed at is left exactly as it was."""
    reports = project / "reports"
    outside = tmp_path / "outside"
    shutil.copytree(reports / "01_probe", outside / "report")
    (outside / "report" / "sweep").mkdir()
    (outside / "report" / "sweep" / "mine.txt").write_text("mine", encoding="utf-8")
    (outside / "cache").mkdir()
    (outside / "sweep").mkdir()
    shutil.rmtree(reports / "01_probe")
    (reports / "01_probe").symlink_to(outside / "report")
    shutil.rmtree(reports / ".cache")
    (reports / ".cache").symlink_to(outside / "cache")
    (reports / "00_probe" / "sweep").symlink_to(outside / "sweep")
    (reports / ".runspine-staging").symlink_to(outside / "cache")

    def tree() -> list[str]:
        return sorted(str(p.relative_to(outside)) for p in outside.rglob("*"))

    before = tree()
    code, lines = in_process(main_in, project, "run", "01_probe", "--reports", reports)
    assert code == 0, lines
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1]\n", encoding="utf-8")
    code, more = in_process(main_in, project, "sweep", "00_probe", "--grid", grid,
                            "--jobs", "1", "--reports", reports)
    assert code == 0, more
    assert tree() == before  # nothing written, moved or removed outside
    warned = [ln for ln in lines + more if "a symbolic link where runspine writes" in ln]
    assert sorted(w.split(": ")[2] for w in warned) == sorted(str(reports / rel) for rel in (
        "01_probe", ".cache", ".runspine-staging", "00_probe/sweep")), warned
    for rel in ("01_probe", ".cache", "00_probe/sweep", "00_probe/sweep/value=1"):
        assert (reports / rel).is_dir() and not (reports / rel).is_symlink(), rel
    assert (reports / "00_probe" / "sweep" / "summary.csv").is_file()
    assert "Key finding" in card_text(reports, "01_probe")


def test_a_hand_edited_manifest_adds_no_parameters_or_links_to_the_index(project, main_in):
    """The manifest is bookkeeping: what a report was built from is taken from its own
    record, never from the manifest (edited parameters of a reused report were shown on
    its card as "Built with non-default parameters"), and an entry whose name is not a
    plain directory entry (a sweep named ``https:``, which the index linked as
    ``https:/sweep/summary.html``, another host) makes the manifest damaged bookkeeping:
    one warning line, rewritten."""
    reports = project / "reports"
    path = reports / "manifest.json"
    book = json.loads(path.read_text(encoding="utf-8"))
    book["notebooks"]["01_probe"]["parameters"] = {"value": "FORGED"}
    path.write_text(json.dumps(book), encoding="utf-8")
    code, lines = in_process(main_in, project, "run", "00_probe", "--reports", reports)
    assert code == 0 and lines == [], lines
    assert "FORGED" not in card_text(reports, "01_probe")
    book = json.loads(path.read_text(encoding="utf-8"))
    assert book["notebooks"]["01_probe"]["parameters"]["value"] == 1.5

    book["sweeps"] = {"https:": {"points": 2, "failed": 0}}
    (reports / "https:" / "sweep").mkdir(parents=True)
    (reports / "https:" / "sweep" / "summary.html").write_text("x", encoding="utf-8")
    path.write_text(json.dumps(book), encoding="utf-8")
    code, lines = in_process(main_in, project, "run", "00_probe", "--reports", reports)
    assert code == 0, lines
    assert [ln for ln in lines if ln.startswith(f"runspine: warning: {path}: entry 'https:'")]
    assert "https:" not in (reports / "index.html").read_text(encoding="utf-8")
    assert "https:" not in json.loads(path.read_text(encoding="utf-8")).get("sweeps", {})

    # a name no file system entry runspine makes can have: a lone surrogate (JSON's
    # "\udcff"), which no page can be written with (every later build ended in
    # UnicodeEncodeError)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"notebooks": {', '"notebooks": {"05_\\udcff": {}, ', 1),
                    encoding="utf-8")
    assert "\\udcff" in path.read_text(encoding="utf-8")
    code, lines = in_process(main_in, project, "run", "00_probe", "--reports", reports)
    assert code == 0, lines
    assert [ln for ln in lines if ln.startswith(f"runspine: warning: {path}: entry ")], lines
    assert "05_" not in json.loads(path.read_text(encoding="utf-8"))["notebooks"]


def test_a_build_record_bigger_than_runspine_writes_is_never_read_whole(project, main_in):
    """A report's ``build.json`` grown to a terabyte (a sparse file: no disk used) was read
    whole by the pages' key: a MemoryError at every later build. It is bookkeeping that
    is not read: the report's files are not shown (one warning line each), the build
    goes on."""
    reports = project / "reports"
    with open(reports / "01_probe" / "build.json", "r+b") as fh:
        fh.truncate(2**40)
    with alarm(120):
        code, lines = in_process(main_in, project, "run", "00_probe", "--reports", reports)
    assert code == 0, lines
    assert lines and all("01_probe" in ln and "not shown" in ln for ln in lines), lines
    assert "Key finding: 1.5" in card_text(reports, "00_probe")
    assert "Key finding" not in card_text(reports, "01_probe")


def test_an_entry_of_the_wrong_kind_where_runspine_writes_is_replaced(project, tmp_path,
                                                                      main_in):
    """A file named ``sweep`` in a report, or a directory named ``sweep.json`` or
    ``summary.html`` in a sweep, failed that sweep and every later one ("cannot write
    reports": exit 2, the point run for nothing). Each is removed with one warning line
    naming it, and the sweep is written."""
    reports = project / "reports"
    sweep = reports / "00_probe" / "sweep"
    sweep.write_text("not a directory", encoding="utf-8")
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1]\n", encoding="utf-8")
    args = ("sweep", "00_probe", "--grid", grid, "--jobs", "1", "--reports", reports)
    code, lines = in_process(main_in, project, *args)
    assert code == 0, lines
    assert lines == [f"runspine: warning: {sweep}: a file where runspine writes a "
                     + "directory; removed"], lines
    for name in ("sweep.json", "summary.html"):
        (sweep / name).unlink()
        (sweep / name / "inside").mkdir(parents=True)
    code, lines = in_process(main_in, project, *args)
    assert code == 0, lines
    assert sorted(lines) == [f"runspine: warning: {sweep / name}: a directory where runspine "
                             "writes a file; removed" for name in ("summary.html", "sweep.json")]
    assert (sweep / "sweep.json").is_file() and (sweep / "summary.html").is_file()
    assert "value=1,1,reused," in (sweep / "summary.csv").read_text(encoding="utf-8")


def test_a_changed_sweep_summary_is_not_linked_from_the_index(project, tmp_path, main_in):
    """A sweep's ``summary.html`` is a page runspine wrote, not a file of a point: one
    replaced afterwards (a script in it, forged numbers) was linked from the index until
    the next sweep. The index links it only while it is the page the sweep wrote (its
    SHA-256 kept in the manifest), with one warning line naming it otherwise."""
    _, sweep = swept_probe(project, tmp_path, main_in, [1, 2])
    reports = project / "reports"
    link = 'href="00_probe/sweep/summary.html"'
    assert link in (reports / "index.html").read_text(encoding="utf-8")
    summary = sweep / "summary.html"
    summary.write_text("<script>alert(1)</script><p>FORGED: every claim supported</p>",
                       encoding="utf-8")
    code, lines = in_process(main_in, project, "run", "00_probe", "--reports", reports)
    assert code == 0, lines
    assert lines == [(f"runspine: warning: {summary}: not the page its sweep wrote (changed "
                      "since, or from an older runspine); not linked (run the sweep of "
                      "00_probe again)")], lines
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert link not in index and "Parameter sweep: 2 points" not in index
