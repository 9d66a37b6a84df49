"""What a study report says, read from the page as a browser parses it (html5lib).

Each report opens with "What we found" (question, answer with its interval, verdicts
linking to their evidence), numbers its figures and tables, shows no table twice and no
raw ``NaN``/``<NA>``, folds long tables, keeps the recorded results in an appendix and
ends with references formatted from data/references.bib (DOIs as links). Labels follow
the parameters: run with ``ci_level 0.9`` and ``target_power 0.9``, the report, its
index card and the claims page say 90% (and the card names the changed parameters).
"""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import pytest

from conftest import page_dom
from runspine.notebook import helpers
from runspine.site import references

ROOT = Path(__file__).resolve().parents[1]
STEMS = tuple(sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))


def dom(path: Path):
    return page_dom(path)


def text_of(el) -> str:
    return " ".join("".join(el.itertext()).split())


def visible_text(root) -> str:
    """Text outside scripts, styles and the (hidden) code inputs."""
    out = []

    def walk(el, hidden):
        cls = el.get("class") or ""
        hidden = hidden or el.tag in ("script", "style") or "jp-InputArea" in cls
        if not hidden and el.text:
            out.append(el.text)
        for child in el:
            walk(child, hidden)
            if not hidden and child.tail:
                out.append(child.tail)

    walk(root, False)
    return " ".join("".join(out).split())


@pytest.mark.parametrize("stem", STEMS)
def test_report_opens_with_findings_and_ends_with_references(default_build, stem):
    root = dom(default_build / stem / "report.html")
    heads = [(h.tag, h.get("id", ""), text_of(h)) for h in root.iter()
             if h.tag in ("h1", "h2")]
    assert heads[0][0] == "h1"
    assert heads[1][1] == "what-we-found", heads[:3]  # right under the title
    block = next(el for el in root.iter("section")
                 if "runspine-findings" in (el.get("class") or ""))
    words = text_of(block)
    assert "Question." in words and "Answer." in words
    assert re.search(r"\d+(\.\d+)? %? ?CI|\d", words)
    verdicts = [li for li in block.iter("li")]
    assert verdicts and all(li.find(".//a[@href='#claims']") is not None for li in verdicts)
    assert heads[-1][1] == "references", heads[-3:]  # the page ends with its references
    refs = next(el for el in root.iter("section")
                if "runspine-references" in (el.get("class") or ""))
    items = list(refs.iter("li"))
    assert items, stem
    bib = references._bibliography()
    for li in items:
        doi = bib.entries[li.get("id").removeprefix("ref-")].fields.get("doi")
        links = [a.get("href") for a in li.iter("a")]
        if doi:
            assert f"https://doi.org/{doi}" in links, (stem, li.get("id"), links)
    appendix = [h for h in heads if h[1] == "appendix"]
    assert appendix and heads.index(appendix[0]) > 2
    assert not any("Results recorded" in h[2] for h in heads if h[0] == "h2")


@pytest.mark.parametrize("stem", STEMS)
def test_tables_once_numbered_worded_and_clean(default_build, stem):
    root = dom(default_build / stem / "report.html")
    text = visible_text(root)
    for bad in ("<NA>", "NaN", " nan "):
        assert bad not in text, f"{stem}: {bad!r} in the page"
    internal = re.search(r"\btest_\w+\.py|\bissue \d+|\bthe issue\b", text, re.IGNORECASE)
    assert not internal, f"{stem}: internal wording {internal.group(0)!r}"
    # no raw pandas copy next to the captioned table (save_table used to return the frame)
    raw = [t for t in root.iter("table") if "dataframe" in (t.get("class") or "")]
    assert raw == [], f"{stem}: {len(raw)} raw DataFrame tables"
    captions = [text_of(c) for c in root.iter("figcaption")]
    tables = [c for c in captions if c.startswith("Table ")]
    figures = [c for c in captions if c.startswith("Figure ")]
    assert [int(c.split()[1].rstrip(".")) for c in tables] == list(range(1, len(tables) + 1))
    assert [int(c.split()[1].rstrip(".")) for c in figures] == list(range(1, len(figures) + 1))
    assert figures, stem
    appendix = [t for sec in root.iter("section")
                if "runspine-appendix" in (sec.get("class") or "") for t in sec.iter("table")]
    for table in root.iter("table"):
        if "runspine-table" not in (table.get("class") or "") or table in appendix:
            continue  # long tables belong folded, or in the appendix
        for th in table.iter("th"):
            assert not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", text_of(th)), text_of(th)
        rows = table.findall(".//tbody/tr")
        if len(rows) > helpers.FOLD_ROWS:  # long tables are folded
            assert any(table in list(d.iter("table")) for d in root.iter("details")), stem


def test_table_cells_align_and_fold():
    import pandas as pd

    frame = pd.DataFrame({"study": ["a", "b"], "mean_mm": [1.23456, float("nan")],
                          "n": pd.array([3, None], dtype="Int64"), "note": ["x", None]})
    page = html5lib.parse(helpers.table_html(frame, "{:.2f}"), namespaceHTMLElements=False)
    heads = [(text_of(th), th.get("class")) for th in page.iter("th")]
    assert heads == [("study", None), ("mean (mm)", "num"), ("n", "num"), ("note", None)]
    cells = [(text_of(td), td.get("class")) for td in page.iter("td")]
    dash = helpers.MISSING  # no blank cell: a missing value reads as a dash
    assert cells == [("a", None), ("1.23", "num"), ("3", "num"), ("x", None),
                     ("b", None), (dash, "num"), (dash, "num"), (dash, None)]
    # numbers for people: no exponent, nor a string of zeros (a positive value below
    # 0.0001 reads "< 0.0001"), yes/no instead of True/False
    odd = pd.DataFrame({"p": [1.7e-07, 123456.0, 0.000123, -1e-6], "ok": [True, False] * 2})
    cells = [text_of(td) for td in html5lib.parse(helpers.table_html(odd),
                                                   namespaceHTMLElements=False).iter("td")]
    assert cells == ["< 0.0001", "yes", "123,456", "no", "0.000123", "yes", "-0.00000100",
                     "no"]
    assert helpers.cell_text(2.71e-12, "{:.3g}") == "< 0.0001"  # a notebook's floatfmt too
    long = pd.DataFrame({"x": range(helpers.FOLD_ROWS + 1)})
    assert helpers.table_html(long).startswith("<details")
    assert not helpers.table_html(long.head(helpers.FOLD_ROWS)).startswith("<details")
    wordy = pd.DataFrame({"note": ["word " * 60] * 5})  # 5 rows, but each 8 lines tall
    assert helpers.table_html(wordy).startswith("<details")


def test_a_huge_table_shows_its_first_rows_and_says_how_many_there_are():
    """A reader table shows at most SHOW_ROWS rows and says how many there are (a notebook
    displaying a 1,000,000-row table made a 56 MB page with every row in it)."""
    import pandas as pd

    frame = pd.DataFrame({"x": range(helpers.SHOW_ROWS * 5), "note": ["a note"] * (
        helpers.SHOW_ROWS * 5)})
    page = html5lib.parse(helpers.table_html(frame), namespaceHTMLElements=False)
    rows = page.findall(".//tbody/tr")
    assert len(rows) == helpers.SHOW_ROWS
    assert [text_of(td) for td in rows[-1].iter("td")] == [f"{helpers.SHOW_ROWS - 1:,}",
                                                            "a note"]
    text = text_of(page.find(".//body"))
    assert f"The first {helpers.SHOW_ROWS:,} of {helpers.SHOW_ROWS * 5:,} rows are shown" \
        in text, text
    assert f"({helpers.SHOW_ROWS * 5:,} rows)" in text  # the fold's button counts them all
    whole = pd.DataFrame({"x": range(helpers.SHOW_ROWS)})
    assert "are shown" not in helpers.table_html(whole)


def test_figures_are_cut_as_savefig_cuts_them_and_phones_get_narrow_ones(monkeypatch):
    """A figure's PNG is drawn once, cut to the box measured without drawing it: byte for
    byte the PNG of ``savefig(bbox_inches="tight")``, which draws it twice, for a legend
    under the axes (a box past the figure's edge), a forest plot's long labels and a
    figure laid out by constrained layout (which only a draw lays out). The phone
    rendering is kept only when it fits: at most NARROW_MAX_PX wide (a width known before
    it is drawn)."""
    import base64
    import io
    import re

    import matplotlib.pyplot as plt
    import pandas as pd

    from runspine.notebook import plots

    def tight(fig) -> bytes:  # what savefig makes of it when it measures it itself
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight",
                    pad_inches=helpers.PAD_INCHES,
                    pil_kwargs={"compress_level": helpers.PNG_COMPRESS_LEVEL})
        return buf.getvalue()

    def band():
        x = pd.DataFrame({"pace": [70.0, 85.0, 100.0], "mean": [3.0, 4.0, 6.0],
                          "ci_low": [2.0, 3.0, 4.5], "ci_high": [4.0, 5.0, 7.5]})
        line = x.assign(pi_low=x["ci_low"] - 2, pi_high=x["ci_high"] + 2)
        return plots.estimates_with_band(x, line, "pace", "pace (% of race pace)",
                                         "stature loss (mm)", "Shrinkage against pace",
                                         threshold=5.0, threshold_label="a threshold")

    def forest():
        long = "a runner group with a rather long name that wraps over two lines"
        rows = pd.DataFrame({"label": [long, "controls"],
                             "est": [1.5, 1.0], "lo": [0.9, 0.6], "hi": [2.4, 1.7],
                             "study": ["one study", "one study"]})
        return plots.forest(rows, "label", "est", "lo", "hi", group="study",
                            xlabel="odds ratio (log scale)", reference=1.0, log_x=True)

    def constrained():
        fig, ax = plt.subplots(layout="constrained")
        ax.plot([0, 1], [0, 1e6], label="a line")
        ax.set(ylabel="a long label on the y axis", title="Constrained layout")
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
        return fig

    shown = []
    monkeypatch.setattr(helpers, "_display", lambda obj: shown.append(obj.data))
    with plt.rc_context():
        plots.setup()
        for make in (band, forest, constrained):
            fig = make()
            box = helpers._tight_bbox(fig)
            png = helpers._save(fig, box)
            assert png == tight(fig), make.__name__
            assert helpers._width_px(fig, box) == int.from_bytes(png[16:20], "big")
            plt.close(fig)
            helpers.figure(make(), alt="a figure", caption="")
    narrow = [re.search(r'<source media[^>]*base64,([^"]+)"', html) for html in shown]
    widths = [int.from_bytes(base64.b64decode(m.group(1))[16:20], "big")
              for m in narrow if m]
    assert widths and all(w <= helpers.NARROW_MAX_PX for w in widths), widths
    assert "runspine-pan" in "".join(shown)  # one of them pans instead (too wide)


def test_save_table_displays_nothing(tmp_path, monkeypatch):
    import pandas as pd

    from runspine.notebook import results

    monkeypatch.setenv(results.ENV_VAR, str(tmp_path))
    assert results.save_table("t", pd.DataFrame({"a": [1]})) is None
    assert (tmp_path / "tables" / "t.csv").read_text() == "a\n1\n"



@pytest.mark.parametrize("name", ["t\n", "t\n.csv", "../t", "T", "t-1", ""])
def test_a_table_or_result_name_is_snake_case_in_full(tmp_path, monkeypatch, name):
    """A recorded result's key and a table's name are the whole snake_case name: 't\n'
    wrote tables/'t\n'.csv and a results.json key with a newline ('$' matches before a
    final newline). Nothing is written for a refused name."""
    import pandas as pd

    from runspine.notebook import results

    monkeypatch.setenv(results.ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match="snake_case"):
        results.save_table(name, pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="snake_case"):
        results.record(name, 1.0)
    assert list(tmp_path.iterdir()) == []

def test_references_are_found_and_formatted():
    keys = references.cited_keys("as Garbutt et al. 1990 and Meng & Yue 2015 showed; "
                               "Belavy 2017, Table 1; source key leatt1986")
    assert {"garbutt1990", "meng2015", "belavy2017", "leatt1986"} <= set(keys)
    assert "mitchell2020" not in keys
    html = references.references_html(["garbutt1990"])
    assert '<a href="https://doi.org/10.1249/00005768-199012000-00006">' in html
    assert "Running speed and spinal shrinkage" in html
    # an entry pybtex's style rejects (no author) is still listed, with its DOI link
    html = references.references_html(["heelcushion2010"])
    assert "Changes in heel cushioning" in html and "https://doi.org/10.1080/" in html


def test_labels_follow_the_parameters():
    from runspine import claims

    assert claims.ci_label(0.9) == "90% CI" and claims.power_label(0.85) == "85% power"
    assert claims.relabel("x (95% CI 1 to 2), 80% power", {"ci_level": 0.9,
                                                         "target_power": 0.9}) == \
        "x (90% CI 1 to 2), 90% power"
    v = claims.absence_of_difference("shrink-lbp-independent", 0.05, 1.0, 5.0, "d", "mm",
                                     power=0.9)
    assert "90% power" in v.evidence and "80" not in v.evidence
    # a unit is written as the pages write it: "%" without a space, no unit without one
    v = claims.exceeds("population-70", 74.0, 71.5, 76.5, 70, "lifetime prevalence", "%")
    assert v.evidence == ("lifetime prevalence 74.00% (95% CI 71.50 to 76.50) vs the "
                          "claimed 70%"), v.evidence
    v = claims.exceeds("population-70", 0.74, 0.71, 0.77, 0.7, "lifetime prevalence", "")
    assert v.evidence == ("lifetime prevalence 0.74 (95% CI 0.71 to 0.77) vs the claimed "
                          "0.7"), v.evidence
    v = claims.absence_of_difference("shrink-lbp-independent", 0.05, 1.0, 5.0, "d", "mm")
    assert v.evidence.endswith("is 1.00 mm, against a typical value of 5.00 mm"), v.evidence


@pytest.mark.slow
def test_ninety_percent_everywhere(run_notebooks):
    """``runspine run 1 -p ci_level 0.9 -p target_power 0.9``: no 95% CI or 80% power
    label anywhere a reader looks, and the index card names the changed parameters."""
    proc, reports = run_notebooks("01", params={"ci_level": 0.9, "target_power": 0.9})
    assert proc.returncode == 0, proc.stderr[-2000:]
    stem = STEMS[0]
    wrong = re.compile(r"95 ?% (CI|confidence|prediction)|80 ?% power|\(95%|95% t CI")
    for page in (reports / stem / "report.html", reports / "index.html",
                 reports / "claims.html"):
        text = visible_text(dom(page))
        assert not wrong.search(text), (page.name, wrong.search(text).group(0),
                                        text[max(0, wrong.search(text).start() - 80):][:200])
    report = visible_text(dom(reports / stem / "report.html"))
    assert "90% CI" in report and "90% power" in report
    card = visible_text(dom(reports / "index.html"))
    assert "90% CI" in card
    assert "ci_level = 0.9 (default 0.95)" in card and "target_power = 0.9 (default 0.8)" in card
    # the figures' legends are images: their label text comes from the same parameter
    executed = (reports / stem / "executed.ipynb").read_text()
    assert "level=ci_level" in executed


def test_an_answer_names_the_parameters_the_run_used():
    """Notebook 04's answer says how many back-pain cases it assumed: the value the run
    used (``{n_lbp_cases}`` in its template), not a number written into the sentence; an
    unknown field is refused by the metadata check."""
    from runspine.notebook_file import StudyNotebook
    from runspine.site import findings

    nb = StudyNotebook.read(ROOT / "notebooks" / "04_hip_tightness_and_back_pain.ipynb")
    assert nb.metadata_problem() == ""
    results = {nb.runspine["headline"]: {"value": 1.03, "unit": "SD"}}
    text = findings.answer(nb.runspine, results, {"n_lbp_cases": 15, "alpha": 0.05})
    assert "about 15 runners with back pain" in text and "at least 1 SD" in text
    assert "(not recorded)" in findings.answer(nb.runspine, results, {})
    bad = StudyNotebook.of({**nb.data, "metadata": {**nb.metadata, "runspine": {
        **nb.runspine, "answer": "{n_lbp_case} cases"}}})
    assert "names {n_lbp_case}" in bad.metadata_problem()


def test_the_default_answer_of_04_reads_its_default_cases(default_build):
    text = visible_text(dom(default_build / "04_hip_tightness_and_back_pain" / "report.html"))
    assert "With about 10 runners with back pain" in text and "very large" not in text
    assert re.search(r"at least \d+(\.\d+)? SD \(an SD, or standard deviation", text)
    assert "0.8 SD is usually called a large difference" in text
    card = visible_text(dom(default_build / "index.html"))  # the card's numbers, any run's
    assert "If 10 of the 45 runners had back pain (the paper gives no count" in card
    assert "with a 0.8 chance of detecting one that size" in card
