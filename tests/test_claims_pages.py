"""What readers see of the popular claims: each claim quoted in its article's own words
under the article's reader label (the claims page and every report's claims table), the
weighing rule, and no change history, issue talk, test file names or BibTeX keys on any
published page."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import page_dom
from runspine import bibliography, claims, data

ROOT = Path(__file__).resolve().parents[1]


def _dom(path: Path):
    return page_dom(path)


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def _spaced(text: str) -> str:
    return " ".join(str(text).split())


def test_quoted_and_label_of_one_and_of_several_articles():
    table = claims.load_claims()
    labels = claims.load_articles()
    one = table.loc["runners-lower-risk"]
    assert claims.quoted(one) == ("\u201cyour overall risk for back pain as a runner is lower "
                                  "than if you weren't one\u201d")
    assert claims.article_label(one["article"], labels).startswith(
        "\"Is Running Putting Your Lower Back at Risk?")
    two = table.loc["cadence"]
    assert claims.quoted(two) == ("1. \u201ccadence around 170-180 steps per minute to reduce "
                                  "overstriding\u201d 2. \u201cuse longer strides, with a cadence "
                                  "between 170 and 190\u201d")
    assert claims.article_label(two["article"], labels) == (
        "1. clinic blog on post-run lower back pain (form, surfaces, footwear, prevention) "
        "2. orthopedic clinic page: why your lower back hurts when you run")
    # two articles with the same words: shown once, with both numbers
    assert claims.quoted(table.loc["shoes-mileage"]) == (
        "1 and 2. \u201c300-500 miles\u201d 3. \u201creplace running shoes every 250 miles "
        "or when they show significant wear\u201d")
    # no words recorded (a new study's first draft): the paraphrase, unquoted
    assert claims.quoted({"claim": "Toy training helps", "words": ""}) == "Toy training helps"
    assert claims.article_label("A9", labels) == "A9"  # an unknown key is shown as written


def test_a_claim_without_words_read_by_pandas_shows_its_paraphrase():
    """pandas reads an empty ``words`` cell of the string column as ``pd.NA``: the claim
    is shown in its paraphrase, never as the quoted text "<NA>" (it was before)."""
    import pandas as pd

    row = pd.Series({"claim": "Toy training helps", "words": pd.NA}, dtype="string")
    assert claims.quoted(row) == "Toy training helps"
    assert claims.article_keys(pd.NA) == [] and claims.article_keys(float("nan")) == []


def test_the_csv_readers_give_the_same_claims_and_labels_as_the_tables():
    """:func:`claims.claim_rows` and :func:`claims.article_labels` (csv module, what the
    reader pages use) read what the pandas tables hold."""
    table = claims.load_claims()
    rows = claims.claim_rows(ROOT / "data")
    assert [r["claim_id"] for r in rows] == list(table.index)
    assert [claims.quoted(r) for r in rows] == [claims.quoted(table.loc[c]) for c in table.index]
    assert claims.article_labels(ROOT / "data") == claims.load_articles()
    assert claims.claim_rows(ROOT / "no-such-dir") == []


def test_claims_page_quotes_every_claim_under_its_articles_label(default_build):
    page = _dom(default_build / "claims.html")
    table = claims.load_claims()
    labels = claims.load_articles()
    rows = {tr.get("id"): tr for tr in page.iter("tr") if tr.get("id")}
    assert set(rows) == set(table.index)
    for cid, row in table.iterrows():
        cells = {td.get("data-label"): _text(td) for td in rows[cid].iter("td")}
        for words in row["words"].split(" | "):
            assert f"\u201c{_spaced(words)}\u201d" in cells["claim"], cid
        for key in row["article"].split("; "):
            assert _spaced(labels[key]) in cells["article"], cid
    # the research claims are the research review's, not the ultra runner's blog post
    assert "Is Running Putting Your Lower Back at Risk?" in _text(rows["shrink-speed"])
    assert "ultra runner" not in _text(page.find(".//table"))
    both = {td.get("data-label"): _text(td) for td in rows["ten-percent"].iter("td")}
    assert both["article"].startswith("1. clinic blog on post-run lower back pain")
    assert "2. spine-information site" in both["article"]
    assert "2. \u201cDo not increase daily running totals" in both["claim"]


def test_each_reports_claims_table_quotes_the_article(default_build):
    table = claims.load_claims()
    labels = claims.load_articles()
    seen = set()
    for stem in sorted({s for s in table["notebook"] if isinstance(s, str) and s}):
        page = _dom(default_build / stem / "report.html")
        tables = [t for t in page.iter("table")
                  if "article" in [_text(th) for th in t.iter("th")]]
        assert len(tables) == 1, stem
        heads = [_text(th) for th in tables[0].iter("th")]
        for tr in tables[0].iter("tr"):
            cells = [_text(td) for td in tr.iter("td")]
            if not cells:
                continue
            row = dict(zip(heads, cells))
            cid = row["id"]
            seen.add(cid)
            assert row["claim"] == _spaced(claims.quoted(table.loc[cid])), cid
            assert row["article"] == _spaced(claims.article_label(table.loc[cid, "article"],
                                                                  labels)), cid
    assert seen == set(table.index)


# --------------------------------------------------------------------------- the rule
def test_weigh_follows_the_written_rule():
    L = claims.Line
    # direct for, none against: supported; direct both ways: partly
    assert claims.weigh([L("direct", "for", "a")]) == "supported"
    assert claims.weigh([L("direct", "for", "a"), L("direct", "against", "b")]) == \
        "partly supported"
    # one indirect line for never outweighs a direct line against (runners-lower-risk)
    assert claims.weigh([L("direct", "against", "Thoreson"), L("indirect", "for", "Videman"),
                         L("indirect", "against", "Fett")]) == "not supported"
    # only indirect for, or a weaker form: partly; only indirect against: not; nothing
    assert claims.weigh([L("indirect", "for", "a")]) == "partly supported"
    assert claims.weigh([L("direct", "partly", "a")]) == "partly supported"
    assert claims.weigh([L("indirect", "against", "a")]) == "not supported"
    assert claims.weigh([L("direct", "neither", "a")]) == "untestable"
    assert claims.weigh([]) == "untestable"
    # parts: one reading right, the other wrong (mri-two-dozen) -> partly; all parts hold
    assert claims.weigh([L("direct", "for", "each", part="per sport"),
                         L("direct", "against", "total", part="in all")]) == "partly supported"
    assert claims.weigh([L("direct", "for", "a", part="1"),
                         L("direct", "for", "b", part="2")]) == "supported"
    assert claims.weigh([L("direct", "against", "a", part="1"),
                         L("indirect", "against", "b", part="2")]) == "not supported"
    assert claims.lines_text([L("direct", "partly", "x"), L("indirect", "against", "y")]) == \
        "Direct evidence partly for: x; indirect evidence against: y"


def test_bibtex_keys_are_shown_as_author_and_year():
    labels = bibliography.citation_labels()
    assert labels["menezescosta2012"] == "Menezes Costa 2012"  # "da C Menezes Costa, L."
    assert labels["cali2013"] == "\u00c7ali 2013" and labels["kulling2014"] == "K\u00fclling 2014"
    assert labels["ostrc2012news"] == "Oslo Sports Trauma Research Center 2012"
    assert labels["heelcushion2010"] == "Footwear Science 2010"  # no author given
    assert bibliography.cite_text("k = 1: cuestavargas2012; woolf2002 vs walker2004.") == \
        "k = 1: Cuesta-Vargas 2012; Woolf 2002 vs Walker 2004."
    # not inside a file name, a path or a longer word
    assert bibliography.cite_text("woolf2002.csv, data/woolf2002, woolf2002x") == \
        "woolf2002.csv, data/woolf2002, woolf2002x"


# --------------------------------------------------------------------------- no history
_HISTORY = re.compile(r"Changed from|changed reasoning|reasoning changed|earlier version|"
                      r"\bissues?\b|\bretired\b", re.IGNORECASE)


def _published_pages(reports: Path) -> list[Path]:
    return sorted(p for p in reports.rglob("*.html") if ".cache" not in p.parts
                  and ".staging" not in p.parts and p.name != "failed.html")


def _visible(path: Path, markdown: bool = False) -> str:
    """The page's text as a reader sees it, without scripts, styles and code cells'
    input; ``markdown=True`` keeps the notebooks' markdown cells (rendered inside a
    jp-InputArea too)."""
    out = []

    def walk(el, hidden, in_markdown=False):
        cls = el.get("class") or ""
        in_markdown = in_markdown or (markdown and "jp-MarkdownCell" in cls)
        hidden = hidden or el.tag in ("script", "style") or (
            "jp-InputArea" in cls and not in_markdown)
        if not hidden and el.text:
            out.append(el.text)
        for child in el:
            walk(child, hidden, in_markdown)
            if not hidden and child.tail:
                out.append(child.tail)

    walk(_dom(path), False)
    return " ".join("".join(out).split())


def test_published_pages_carry_reasoning_not_history(default_build):
    pages = _published_pages(default_build)
    assert len(pages) >= 8  # index, claims page and every report
    test_files = sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    # names readers should never see as if they were words: BibTeX keys, and a claim's
    # internal id (``deakin-79``; "cadence" is a word)
    names = [("BibTeX key", key) for key in sorted(bibliography.bib_keys(), key=len, reverse=True)]
    names += [("claim id", c) for c in data.load_table("claims")["claim_id"] if "-" in c]
    for page in pages:
        text = _visible(page, markdown=True)  # the notebooks' prose too
        hit = _HISTORY.search(text)
        assert not hit, f"{page.relative_to(default_build)}: ...{text[max(0, hit.start() - 80):hit.end() + 80]}..."
        for name in test_files:
            assert name not in text and name[:-3] not in text, (page, name)
        for kind, name in names:
            found = re.search(rf"(?<![\w/.-]){re.escape(name)}(?![\w-])", text)
            assert not found, (f"{page.relative_to(default_build)}: {kind} {name!r}: "
                               f"...{text[max(0, found.start() - 80):found.end() + 80]}...")


def test_every_percentage_is_written_without_a_space(default_build):
    """A percentage reads one way on every page: "95% CI", "22.6%", "the 10% rule",
    "80% power" (pages wrote "95 % CI" and "95% CI" side by side), markdown included."""
    pages = _published_pages(default_build)
    assert len(pages) >= 8  # index, claims, glossary, consistency page and every report
    seen = ""
    for page in pages:
        text = _visible(page, markdown=True)
        seen += text
        spaced = [text[max(0, m.start() - 60):m.end() + 20]
                  for m in re.finditer(r"\d\s+%", text)]  # also no-break and thin spaces
        assert not spaced, f"{page.relative_to(default_build)}: {spaced[:5]}"
    # the pages do write percentages: the check above read them
    for written in ("95% CI", "22.6%", "the 10% rule", "80% power", "70-100% paces"):
        assert written in seen, written


# every claim's verdict by the written rule (README "How a verdict is reached"), as a
# reader sees it on the claims page; CHANGELOG.md says why each one that moved did
VERDICTS = {
    "shrink-quarter-inch": "partly supported", "shrink-speed": "supported",
    "shrink-distance": "supported", "shrink-lbp-independent": "partly supported",
    "athletes-n": "supported", "athletes-less-lbp": "partly supported",
    "mri-runners-normal": "partly supported", "mri-two-dozen": "partly supported",
    "hip-tight-runners": "partly supported", "hip-lbp-underpowered": "partly supported",
    "population-70": "supported", "runners-20": "supported",
    "runners-lower-risk": "not supported", "deakin-79": "supported",
    "deakin-discs": "supported", "cadence": "partly supported",
    "shoes-mileage": "partly supported", "ten-percent": "not supported",
    "recovery-2-6-weeks": "partly supported",
}
AEROBIC = ("aerobic-improves-clbp", "aerobic-41-31-35")  # weighed in notebook 03


def test_every_verdict_on_the_claims_page_and_what_would_change_it(default_build):
    page = _dom(default_build / "claims.html")
    rows = {tr.get("id"): {td.get("data-label"): _text(td) for td in tr.iter("td")}
            for tr in page.iter("tr") if tr.get("id")}
    assert set(rows) == set(VERDICTS) | set(AEROBIC)
    for cid, verdict in VERDICTS.items():
        assert rows[cid]["verdict"] == verdict, cid
        assert "What would change it" in rows[cid]["numbers"], cid
    for cid in AEROBIC:
        assert rows[cid]["verdict"] in claims.VERDICTS, cid


def test_disc_card_leads_with_the_main_outcomes(default_build):
    index = _dom(default_build / "index.html")
    card = next(a for a in index.iter("article")
                if a.get("id") == "05_disc_health_and_running_volume")
    finding = next(_text(p) for p in card.iter("p") if "finding" in (p.get("class") or ""))
    assert finding.startswith("Key finding: Runners' discs were better hydrated and "
                              "relatively taller on the paper's main MRI measures")
    assert "no disc variable" not in finding


def test_index_parameters_are_data_shown_as_code_without_glossary_links(default_build):
    """The index footer's parameters per study are JSON, shown as code: no glossary link
    lands inside a name such as ``"rho"`` (it did), and each still parses."""
    import json

    index = _dom(default_build / "index.html")
    items = [li for d in index.iter("details") for li in d.iter("li")]
    assert len(items) >= 5
    for li in items:
        code = li.find("code")
        assert code is not None and len(code) == 0, _text(li)  # text only: no link inside
        assert isinstance(json.loads(code.text), dict), code.text


def test_claims_page_explains_how_verdicts_are_weighed(default_build):
    page = _dom(default_build / "claims.html")
    intro = " ".join(_text(p) for p in page.iter("p"))
    assert "Each claim is quoted as its article put it." in intro
    assert "direct evidence (the claimed quantity, in the people the claim is about" in intro
    assert "one indirect line never outweighs a direct line against" in intro
    heads = [_text(th) for th in page.iter("th")]  # the claim first, in its words
    assert heads[:2] == ["claim, in the article's words", "verdict"]


# statistical words the reports write, each linked to its plain explanation where it
# stands: (page, the word as written, its glossary key)
LINKED_WORDS = [
    ("01_spinal_shrinkage_vs_pace/report.html", "ANOVA", "anova"),
    ("05_disc_health_and_running_volume/report.html", "ANOVA", "anova"),
    ("04_hip_tightness_and_back_pain/report.html", "Bonferroni", "bonferroni"),
    ("04_hip_tightness_and_back_pain/report.html", "point-biserial r", "point-biserial"),
    ("02_back_pain_prevalence_by_sport/report.html", "Fisher's exact test", "fisher-exact"),
    ("02_back_pain_prevalence_by_sport/report.html", "heterogeneity", "heterogeneity"),
    ("02_back_pain_prevalence_by_sport/report.html", "continuity correction",
     "continuity-correction"),
    ("03_activity_pain_reduction/report.html", "meta-regression", "meta-regression"),
    ("05_disc_health_and_running_volume/report.html", "meta-regression", "meta-regression"),
    ("claims.html", "meta-regression", "meta-regression"),
    ("03_activity_pain_reduction/report.html", "funnel plot", "funnel-plot"),
    ("03_activity_pain_reduction/report.html", "Egger's test", "egger"),
    ("06_running_rules_of_thumb/report.html", "sensitivity analysis", "sensitivity-analysis"),
    ("01_spinal_shrinkage_vs_pace/report.html", "random-intercept model", "mixed-model"),
    ("01_spinal_shrinkage_vs_pace/report.html", "mixed model", "mixed-model"),
    ("05_disc_health_and_running_volume/report.html", "fixed-effect", "fixed-effect"),
    ("01_spinal_shrinkage_vs_pace/report.html", "Greenhouse-Geisser", "greenhouse-geisser"),
    ("01_spinal_shrinkage_vs_pace/report.html", "least-squares", "least-squares"),
    ("06_running_rules_of_thumb/report.html", "least squares", "least-squares"),
    ("05_disc_health_and_running_volume/report.html", "Welch ANOVA", "welch-anova"),
    ("05_disc_health_and_running_volume/report.html", "Welch one-way ANOVA", "welch-anova"),
    ("02_back_pain_prevalence_by_sport/report.html", "logit scale", "logit"),
    ("02_back_pain_prevalence_by_sport/report.html", "normal-quantile", "quantile"),
    ("02_back_pain_prevalence_by_sport/report.html", "t quantile", "quantile"),
    ("03_activity_pain_reduction/report.html", "normal quantile", "quantile"),
    ("04_hip_tightness_and_back_pain/report.html", "t quantiles", "quantile"),
    ("05_disc_health_and_running_volume/report.html", "normal quantile", "quantile"),
    ("06_running_rules_of_thumb/report.html", "delta-method", "delta-method"),
    ("01_spinal_shrinkage_vs_pace/report.html", "t CI", "quantile"),
    ("06_running_rules_of_thumb/report.html", "t CI", "quantile"),
    ("03_activity_pain_reduction/report.html", "noncentral-t", "noncentral-t"),
]


def test_statistical_words_link_to_their_plain_explanation(default_build):
    """ANOVA, Bonferroni, point-biserial r, Fisher's exact test, heterogeneity, continuity
    correction, meta-regression, funnel plot, Egger's test, sensitivity analysis, mixed
    (random-intercept) model, fixed-effect, Greenhouse-Geisser, least squares, Welch's
    ANOVA (its own entry, not the t test's), logit scale, the normal and t quantiles (and
    a "t CI"), the delta method and the noncentral-t CI are links, where the page writes
    them, to their explanation: a report's "Words used" entry (which also gives it as the
    link's title), the claims page's glossary."""
    from runspine.site import glossary

    explained = {t.key: t.explanation for t in glossary.load(ROOT / "data")}
    missing = []
    for rel, word, key in LINKED_WORDS:
        page = _dom(default_build / rel)
        target = ("#gloss-" if rel.endswith("report.html") else "glossary.html#term-") + key
        links = [a for a in page.iter("a") if a.get("href") == target
                 and _text(a).lower() == word.lower()]
        if not links or links[0].get("title") != explained.get(key):
            missing.append((rel.split("/")[0], word))
        elif rel.endswith("report.html"):  # the "Words used" list has its entry
            assert any(dt.get("id") == f"gloss-{key}" for dt in page.iter("dt")), (rel, key)
    assert missing == [], f"not linked to their explanation: {missing}"


def test_glossary_references_without_a_year_read_cleanly(default_build):
    """A glossary source with no year (IUPAC's Gold Book, OpenStax, SciPy's reference)
    is named "IUPAC, Compendium of ...", not "IUPAC , Compendium of ..."."""
    page = _dom(default_build / "glossary.html")
    refs = [_text(s) for s in page.iter("span") if s.get("class") == "ref"]
    assert len(refs) >= 40
    assert [r for r in refs if " ," in r] == []
    assert any(r.startswith("Reference: OpenStax, Statistics, section 13.1") for r in refs)


def test_glossary_references_name_both_authors_of_a_two_author_work(default_build):
    """A glossary source by two authors names both ("Taylor and Kuyatt 1994",
    "DerSimonian and Laird 1986"); "et al." is kept for three or more (Riley, Higgins,
    Deeks 2011)."""
    page = _dom(default_build / "glossary.html")
    refs = [_text(s) for s in page.iter("span") if s.get("class") == "ref"]
    for who in ("Taylor and Kuyatt 1994", "DerSimonian and Laird 1986",
                "Higgins and Thompson 2002", "Riley et al. 2011"):
        assert any(r.startswith(f"Reference: {who}, ") for r in refs), who
    assert not any(r.startswith(("Reference: Taylor et al.", "Reference: DerSimonian et al."))
                   for r in refs)


def _prose(el) -> str:
    """The text a reader reads in ``el``: without scripts, styles and code (the code of a
    report's cells, folded away, is not its prose; their output is)."""
    parts = [el.text or ""]
    for child in el:
        cls = child.get("class") or ""
        if not (child.tag in {"script", "style", "pre", "code"} or "jp-CodeMirrorEditor" in cls):
            parts.append(_prose(child))
        parts.append(child.tail or "")
    return "".join(parts)


# jargon the reports once wrote where plain words do as well: (page, the word)
REPHRASED = [
    ("01_spinal_shrinkage_vs_pace/report.html", "residual"),  # runners' own scatter
    ("05_disc_health_and_running_volume/report.html", "omnibus"),  # across all 3 groups
    ("05_disc_health_and_running_volume/report.html", "z-based"),  # the normal quantile
    ("06_running_rules_of_thumb/report.html", "residual"),  # chi-square around the curve
]


def test_jargon_with_plain_words_is_written_in_plain_words(default_build):
    """'residual variance', 'residual SD', 'omnibus', 'z-based CI' and 'weighted residual
    chi-square' read as what they mean, in the reports' prose (text, tables, captions)."""
    found = []
    for rel, word in REPHRASED:
        text = " ".join(_prose(_dom(default_build / rel).find(".//body")).split())
        if word in text.lower():
            found.append((rel.split("/")[0], word))
    assert found == [], f"still written: {found}"
