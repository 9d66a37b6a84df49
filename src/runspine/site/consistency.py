"""The reader page ``reports/consistency.html``: "Are the published numbers consistent?"

Built with the index from the data-package audit (:mod:`runspine.notebook.audit`): the
answer first (how many printed values cannot all be true as printed), then every flag
with its source, where it is printed, what was printed, what is possible, what it means
and the study report that uses the value; then each check, in plain words, with what it
can and cannot show and every value it checked (folded). Rendered from
``templates/consistency/consistency.html.j2`` as every page is (:func:`pages.page`:
autoescaping, so nothing from the data reaches the page unescaped; then technical words
linked to the glossary and numbers written for people).

The audit imports scipy (a second or two in a fresh process), so the page is built only
when a built report reads a table that declares checks (a scratch project whose notebooks
read no checked table gets none, and its index no link), and rebuilt only when what it
shows can have changed (the data package, the notebooks and study modules that decide its
links, the audit's code, which reports exist: :func:`page_inputs`, which the build keeps
beside the page).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from runspine.site import pages

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "consistency"

#: what each check asks, what a flag can show, and what it cannot (README says the same)
CHECK_TEXT = {
    "grim": (
        ("Is a mean possible? Scores counted in whole units (a grade from 1 to 5, an index "
        "in steps of 2%) can only average to certain values for a given number of people: "
        "with 8 people, means are multiples of 1/8."),
        ("A flagged mean cannot come from that many whole-unit scores: the mean, the number "
        "of people, or the scale is not what is printed."),
        ("A passed mean is only possible, not proven. With many people, or few decimals, every "
        "mean is possible and the check cannot fail (shown as \"cannot fail\").")),
    "grimmer": (
        ("Is a standard deviation (SD) possible? For whole-unit scores the sum of the squared "
        "scores is a whole number of the same evenness as their sum, which allows only some "
        "SDs for a given mean and number of people; and no scale allows an SD beyond a "
        "largest value set by its ends."),
        "A flagged SD cannot come from that many whole-unit scores with that mean.",
        ("It needs the mean to pass the first check; a passed SD is possible, not proven; "
        "with very few people a data set may still not exist.")),
    "two_sample_p": (
        ("Does the printed P follow from the printed group means, SDs and sizes? A t test is "
        "recomputed (Student's and Welch's, as the test is rarely named), over every value "
        "that rounds to the printed ones."),
        ("A flagged P does not follow: the group sizes behind it, a mean or an SD differs "
        "from what is printed. When other group sizes, or spreads read as standard errors "
        "(SE) instead of SDs, reproduce the P, the page says so."),
        ("If the paper used another test (a rank test, an adjusted model), a flag may only "
        "mean the test differs.")),
    "statcheck": (
        ("Does the printed P follow from the printed test statistic (t, F, r, chi-square) "
        "and its degrees of freedom? The rules are those of statcheck (Nuijten 2016): the "
        "statistic may be anywhere its rounding allows; \"P < 0.05\" only needs the "
        "computed P below 0.05."),
        ("A flagged pair cannot both be right with these degrees of freedom; when other "
        "degrees of freedom fit, the page says so."),
        "It assumes the usual two-sided test; a one-sided test gives half the P."),
    "p_from_ci": (
        ("Does the printed P follow from the printed estimate and its 95% interval? The "
        "standard error is the interval's width divided by 2 x 1.96 (on the log scale for "
        "ratios such as hazard ratios)."),
        "A flagged P does not follow from the interval.",
        ("Intervals not built as estimate plus or minus 1.96 standard errors (exact, "
        "bootstrap, Bayesian) can differ a little without an error.")),
    "interval": (
        ("Is an interval symmetric around its estimate, and does it contain it? A difference's "
        "95% interval is the difference plus or minus the same margin; a ratio's is "
        "symmetric on the log scale."),
        ("A flagged interval is more lopsided than rounding allows: one of its three numbers "
        "may be mistyped, and a P or SE taken from it depends on which."),
        ("Some intervals are lopsided by construction (proportions near 0 or 1, exact or "
        "bootstrap intervals); for those only \"contains its estimate\" is checked.")),
    "percent": (
        ("Is a percentage possible for its denominator? 20.8% of 264 people is 55 people; "
        "some percentages cannot come from any whole number of people."),
        "A flagged percentage was computed over another number of people than printed.",
        "With large denominators every percentage is possible."),
    "sum": (
        "Do the printed group sizes add up to the printed total?",
        ("A flagged total differs from the sum of its groups: someone was excluded, counted "
        "twice, or a number is mistyped."),
        "Totals that are themselves computed from the groups cannot fail."),
}
STATUS_WORDS = {"flag": "does not add up", "ok": "consistent", "cannot fail": "cannot fail"}


def _built(manifest: dict, reports_dir: Path, trusted) -> set[str]:
    """The studies whose report the page may link: built, and (``trusted``, the engine's
    verified files per study: :mod:`runspine.engine.verify`) not changed since."""
    return {stem for stem in manifest.get("notebooks", {})
            if (reports_dir / stem / "report.html").is_file()
            and (trusted is None or "report.html" in trusted.get(stem, ()))}


def page_inputs(manifest: dict, reports_dir: Path, project=None,
                trusted=None) -> str | None:
    """A hash of what the page shows can depend on; None when no built report reads a
    checked table (then there is no page)."""
    from runspine.data import DataError
    from runspine.notebook import audit
    from runspine.project import Project

    project = project or Project.current()
    built = _built(manifest, reports_dir, trusted)
    try:
        if not audit.uses_checked_data(project, built):
            return None
    except DataError:
        pass  # the page says why the checks cannot run
    h = hashlib.sha256()
    files = [project.datapackage, *sorted(project.data_dir.rglob("*.csv")),
             *project.notebooks(), *sorted(project.studies_dir.glob("*.py")),
             *sorted(Path(__file__).resolve().parent.glob("consistency.py")),
             *sorted(TEMPLATE_DIR.glob("*")),
             Path(__file__).resolve().parents[1] / "notebook" / "audit.py",
             Path(__file__).resolve().parents[1] / "stats" / "consistency.py"]
    for stem in sorted(manifest.get("notebooks", {})):
        h.update(f"{stem}:{stem in built}".encode())
    return pages.files_key(h, files)[:32]


def _title(path: Path) -> str:
    """A notebook's title (:attr:`~runspine.notebook_file.StudyNotebook.title`), else its
    stem."""
    from runspine.notebook_file import StudyNotebook

    return StudyNotebook.read(path).title or path.stem


def prepare(reports_dir: Path, project, jobs) -> None:
    """Import the checks' statistics (scipy: about a second in a fresh process) when the
    page does not exist yet and a notebook the build runs (``jobs``, each with its
    ``path``) reads a checked table, so it will be built. A build calls this as it
    starts, in a thread, while the kernel template imports
    (:func:`runspine.engine.driver.drive`), so the end of a cold build does not wait for
    the import; a project without checked tables never pays for it."""
    from runspine.data import DataError
    from runspine.notebook import audit

    if (reports_dir / "consistency.html").exists():
        return
    try:
        if not audit.uses_checked_data(project, {job.path.stem for job in jobs}):
            return
    except DataError:
        pass  # the page will say why the checks cannot run: it is still built
    audit.load_statistics()


def render_consistency_page(manifest: dict, reports_dir: Path, project=None,
                            trusted=None) -> str:
    """HTML of ``reports/consistency.html`` (the build writes it only when
    :func:`page_inputs` is not None and has changed); a report is linked only when
    ``trusted`` lists its report.html (see :func:`_built`)."""
    from runspine import bibliography
    from runspine.data import DataError
    from runspine.notebook import audit
    from runspine.project import Project

    project = project or Project.current()
    built = _built(manifest, reports_dir, trusted)

    def page(error=None, **context) -> str:  # rendered and finished as every page is
        return pages.page("consistency.html.j2", data_dir=project.data_dir, error=error,
                          **context)

    try:
        findings = audit.audit(project)
    except (DataError, OSError) as exc:  # the page never stops a build: it says why
        return page(error=str(exc), flags=[], checks=[], n_total=0, n_flag=0,
                    n_untestable=0, n_studies=0, n_flag_studies=0)
    labels = bibliography.citation_labels(project.references_bib)

    def cite(text) -> str:  # BibTeX keys shown as "Author year"
        return bibliography.cite_text(str(text), labels)

    titles = {p.stem: _title(p) for p in project.notebooks()}

    def where(f):
        rows = ", ".join(map(str, f.rows))
        return f"{f.file}, row{'s' if len(f.rows) > 1 else ''} {rows}"

    # the same printed number transcribed in two tables is one number: one entry, both places
    merged: dict[tuple, dict] = {}
    for f in findings:
        key = (f.check, f.study, f.label, f.printed, f.status)
        if key in merged:
            merged[key]["where"] += f"; {where(f)}"
            merged[key]["notebooks"] += [s for s in f.notebooks
                                         if s not in merged[key]["notebooks"]]
            continue
        merged[key] = {
            "check": f.check, "status": f.status, "status_words": STATUS_WORDS[f.status],
            "study": labels.get(f.source) or labels.get(f.study) or cite(f.study),
            "label": cite(f.label), "printed": cite(f.printed), "possible": cite(f.possible),
            "detail": cite(f.detail), "why": cite(f.why),
            "source": labels.get(f.source) or cite(f.source), "location": cite(f.location),
            "where": where(f), "notebooks": list(f.notebooks)}
    views = []
    for i, v in enumerate(merged.values(), start=1):
        v["anchor"] = f"flag-{i}"
        v["reports"] = [{"stem": s, "title": titles.get(s, s),
                         "href": f"{s}/report.html" if s in built else None}
                        for s in v.pop("notebooks")]
        views.append(v)
    checks = []
    for cid, title in audit.CHECKS.items():
        mine = [v for v in views if v["check"] == cid]
        what, can, cannot = CHECK_TEXT[cid]
        checks.append({"id": cid, "title": title, "what": what, "can": can,
                       "cannot": cannot, "rows": mine,
                       "n_flag": sum(v["status"] == "flag" for v in mine),
                       "n_ok": sum(v["status"] == "ok" for v in mine),
                       "n_untestable": sum(v["status"] == "cannot fail" for v in mine)})
    flagged = [v for v in views if v["status"] == "flag"]
    return page(
        flags=flagged, checks=checks,
        n_total=len(views), n_flag=len(flagged),
        n_untestable=sum(v["status"] == "cannot fail" for v in views),
        n_studies=len({v["study"] for v in views}),
        n_flag_studies=len({v["study"] for v in flagged}))


__all__ = ["CHECK_TEXT", "page_inputs", "render_consistency_page"]
