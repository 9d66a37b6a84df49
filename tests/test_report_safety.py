"""Nothing from data reaches a page as live script (issue 22, class 1).

A payload goes into every field that reaches a reader page: the claims table (claim,
article, note), the bibliography (a ``javascript:`` url, a DOI that is not one), the
glossary, a notebook's metadata (title, citation, DOI, figure alt text, answer and
headline), its results.json (descriptions, units), its verdicts (id, verdict, evidence),
the manifest (a failure message, parameters) and a sweep's points (names, grid values,
result keys). The pages are rendered in process and parsed as a browser parses them
(html5lib): no element or attribute a payload wrote exists, every link and image address
is http, https, a DOI link, a page-relative path or an inline image, no element has an
inline event handler, and each page carries a Content-Security-Policy that lets no script
run but the page's own (by hash). Each payload's text is still shown, as text.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest

from runspine.site import index, safety

ROOT = Path(__file__).resolve().parents[1]
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
JS_URL = "javascript:alert(3)"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "data", root / "data")
    data = root / "data"
    with open(data / "claims.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    rows[0]["claim"] = "Claim " + XSS
    rows[0]["article"] = XSS
    rows.append({**{k: "" for k in fields}, "claim_id": "x-claim", "claim": XSS,
                 "article": "000", "note": XSS, "notebook": "", "source": "claims_sheet",
                 "location": "x", "provenance": "reported"})
    with open(data / "claims.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with open(data / "references.bib", "a", encoding="utf-8") as fh:
        fh.write("\n@misc{evil2026,\n  title = {Evil " + XSS.replace("{", "") + "},\n"
                 "  year = {2026},\n  url = {" + JS_URL + "},\n  doi = {" + JS_URL + "}\n}\n")
    with open(data / "glossary.csv", "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["evilterm", "evil", "Evilterm", XSS, "evil2026", XSS, "assumed", "x"])
    monkeypatch.setenv("RUNSPINE_ROOT", str(root))
    return root


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==")


def built_study(reports: Path, stem: str = "01_evil") -> Path:
    out = reports / stem
    (out / "tables").mkdir(parents=True)
    meta = {"citation": XSS, "doi": JS_URL, "figure_alt": XSS, "headline": "k",
            "headline_text": "Found " + XSS + " {value}", "answer": "Plainly " + XSS}
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Title " + XSS},
                    {"cell_type": "code", "metadata": {"tags": ["parameters"]},
                     "source": "x: float = 1.0\n", "outputs": [], "execution_count": 1}],
          "metadata": {"runspine": meta}, "nbformat": 4, "nbformat_minor": 5}
    (out / "executed.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (out / "report.html").write_text("<p>report</p>", encoding="utf-8")
    (out / "figure.png").write_bytes(PNG)
    (out / "results.json").write_text(json.dumps(
        {"k": {"value": 0.5, "ci_low": 0.1, "ci_high": 0.9, "unit": XSS,
               "description": XSS}}), encoding="utf-8")
    with open(out / "tables" / "claims.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["claim_id", "verdict", "evidence", "claim"])
        writer.writerow(["x-claim", XSS, XSS, XSS])
        writer.writerow([XSS, "supported", JS_URL, XSS])
    return out


def manifest(stem: str = "01_evil") -> dict:
    return {"notebooks": {stem: {"status": "failed", "message": XSS,
                                 "parameters": {"x": XSS}, "package_versions": {XSS: XSS}}},
            "sweeps": {stem: {"points": XSS, "failed": XSS}}}


def assert_no_live_script(page: str, own_scripts: int = 0) -> None:
    root = html5lib.parse(page, namespaceHTMLElements=False)
    scripts = [el for el in root.iter("script")]
    assert len(scripts) == own_scripts, [s.text for s in scripts]
    csp = [el.get("content") for el in root.iter("meta")
           if (el.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(csp) == 1, "no Content-Security-Policy"
    policy = dict(part.strip().split(" ", 1) for part in csp[0].split(";") if part.strip())
    allowed = policy["script-src"].split()
    assert "'unsafe-inline'" not in allowed and "*" not in allowed
    assert all(src == "'none'" or src.startswith("'sha256-") for src in allowed), allowed
    for script in scripts:  # the page's own script is allowed by its exact hash
        digest = base64.b64encode(hashlib.sha256((script.text or "").encode()).digest())
        assert f"'sha256-{digest.decode()}'" in allowed
    assert not [el for el in root.iter("img") if el.get("src") == "x"]
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        handlers = [a for a in el.attrib if a.lower().startswith("on")]
        assert handlers == [], (el.tag, handlers)
        for attr in ("href", "src", "srcset", "action", "formaction"):
            value = el.get(attr)
            if value is None:
                continue
            scheme = urlsplit(value.strip()).scheme.lower()
            ok = scheme in ("", "http", "https") or (
                el.tag == "img" and value.startswith("data:image/png;base64,"))
            assert ok and not value.lstrip().startswith("//"), (el.tag, attr, value[:60])
    text = " ".join("".join(root.itertext()).split())
    assert "alert(1)" in text  # the payload is shown, as text


def test_index_claims_and_glossary_pages(project, tmp_path):
    reports = tmp_path / "reports"
    built_study(reports)
    (reports / "01_evil" / "sweep").mkdir()
    (reports / "01_evil" / "sweep" / "summary.html").write_text("x")
    for page in (index.render_index(manifest(), reports),
                 index.render_claims_page(manifest(), reports),
                 index.render_glossary_page()):
        assert_no_live_script(page)
    claims = index.render_claims_page(manifest(), reports)
    assert 'id="x-claim"' in claims and "javascript:" not in re.sub(r"<[^>]*>", "", claims) \
        or JS_URL in claims  # the evidence shows the url as text, never as a link
    assert f'href="{JS_URL}"' not in claims
    glossary = index.render_glossary_page()
    assert 'href="javascript' not in glossary


def test_sweep_summary(project, tmp_path):
    from runspine.site.sweep_summary import render_summary

    sweep = tmp_path / "reports" / "01_evil" / "sweep"
    points = []
    for i, name in enumerate(("a=1", XSS.replace("/", "_"))):
        (sweep / name).mkdir(parents=True)
        (sweep / name / "report.html").write_text("x")
        points.append({"name": name, "grid": {XSS: XSS, "n": i}, "status": XSS,
                       "results": {XSS: {"value": i + 0.5, "description": XSS, "unit": XSS},
                                   "k": {"value": 1e-9 * (i + 1)}}})
    page = render_summary(sweep, points)
    assert_no_live_script(page)
    assert "../report.html" not in page  # the default report was never built: no link
    assert not re.search(r"\d[eE]-\d", re.sub(r"<[^>]*>", "", page))


def test_study_report(project, tmp_path):
    """A whole report through nbconvert: its one script is allowed by hash, and the
    payloads in metadata, results, verdicts and the bibliography are text."""
    from nbformat.v4 import new_markdown_cell, new_notebook

    from runspine.site.report import render_report

    out = built_study(tmp_path / "reports")
    nb = new_notebook(cells=[
        new_markdown_cell("# Title\n\n**Question.** Is it " + XSS.replace("<", "&lt;") + "?"),
        new_markdown_cell("## Claims\n\n<a id=\"claims\"></a>As evil2026 said, a SMD.")])
    nb.metadata["runspine"] = json.loads((out / "executed.ipynb").read_text())["metadata"][
        "runspine"]
    nb.metadata["language_info"] = {"name": "python"}
    page = render_report(nb, {"x": XSS}, {"x": 1.0}, "Title " + XSS, output_dir=out)
    assert_no_live_script(page, own_scripts=1)
    assert "Plainly" in page and 'id="ref-evil2026"' in page
    assert f'href="{JS_URL}"' not in page and "Words used in this report" in page


def test_neutralize_urls_and_safe_url():
    page = ('<a href=" JaVa\tScript:alert(1)">a</a><a href="&#106;avascript:x">b</a>'
            '<img src="data:text/html,x"><a href="//evil.example/x">c</a>'
            '<a href="https://ok.example/">d</a><a href="#frag">e</a>'
            '<img src="data:image/png;base64,AAAA" alt="">'
            '<p title="a > b" onclick="x()">f</p>'
            '<source srcset="data:image/png;base64,BBBB"><source srcset="a.png 1x, javascript:x 2x">')
    out = safety.neutralize_urls(page)
    assert out.count("data-removed-href") == 3 and "data-removed-src" in out
    assert 'href="https://ok.example/"' in out and 'href="#frag"' in out
    assert 'srcset="data:image/png;base64,BBBB"' in out and out.count("data-removed-srcset") == 1
    assert 'src="data:image/png;base64,AAAA"' in out and "onclick" not in out.replace(
        "data-removed-onclick", "")
    assert safety.safe_url(JS_URL) is None and safety.safe_url("ftp://x/y") is None
    assert safety.safe_url("10.1000/182") == "https://doi.org/10.1000/182"
    assert safety.safe_url("https://doi.org/10.1/x") == "https://doi.org/10.1/x"
    assert safety.safe_url('https://x.example/a"b<c>\'`') == "https://x.example/a%22b%3Cc%3E%27%60"
    assert safety.doi_url("10.1002/<1::A>") == "https://doi.org/10.1002/%3C1::A%3E"


def test_every_built_page_has_a_content_security_policy(default_build):
    """Every HTML page of the default build (index, claims, glossary, consistency and
    each report) carries the policy, and no page lets inline or remote script run."""
    pages = sorted(default_build.rglob("*.html"))
    assert len(pages) >= 9, pages
    for path in pages:
        root = html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)
        csp = [el.get("content") for el in root.iter("meta")
               if (el.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(csp) == 1, path.name
        script_src = next(p for p in csp[0].split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "http" not in script_src, path.name


def assert_attributes_safe(page: str) -> None:
    """``page`` as a browser parses it (html5lib): no element has an inline event handler,
    a ``srcdoc`` or a ``<base>`` address, and every address attribute is http, https, a
    page-relative path (never ``//host`` nor ``/\\host``, which a browser reads as another
    host) or an inline image."""
    root = html5lib.parse(page, namespaceHTMLElements=False)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        bad = [a for a in el.attrib if a.lower().startswith("on") or a.lower() == "srcdoc"
               or (el.tag == "base" and a.lower() == "href")]
        assert bad == [], (el.tag, bad, dict(el.attrib))
        for attr in ("href", "src", "srcset", "action", "formaction", "data", "xlink:href"):
            value = el.get(attr)
            if value is None:
                continue
            raw = re.sub(r"[\x00-\x20\x7f]", "", value).replace("\\", "/")
            scheme = urlsplit(raw).scheme.lower()
            ok = scheme in ("", "http", "https") or (
                el.tag == "img" and raw.startswith("data:image/png;base64,"))
            assert ok and not raw.startswith("//"), (el.tag, attr, value[:60])


def test_neutralize_urls_reads_tags_as_a_browser_does():
    """Attributes a browser reads although no space separates them (after a quoted value,
    or a ``/``), a backslash a browser reads as a slash, ``srcdoc`` and ``<base href>``:
    each removed. A script's text is not markup and is left as it is (its hash)."""
    script = "<script>var a = '<a href=\"javascript:x\" onclick=\"y\">';</script>"
    page = ('<a href="https://ok.example/"onclick="alert(1)">a</a>'
            '<a/href="javascript:alert(2)">b</a><img/src=x/onerror=alert(3)>'
            '<a href="/\\evil.example/">c</a><a href="\\\\evil.example">d</a>'
            '<iframe srcdoc="&lt;script&gt;alert(4)&lt;/script&gt;"></iframe>'
            '<base href="https://evil.example/"><a href="x.html"/onmouseover=alert(5)>e</a>'
            '<svg><a xlink:href="javascript:alert(6)"><text>f</text></a></svg>'
            '<!-- <a href="javascript:x"> -->' + script)
    out = safety.neutralize_urls(page)
    assert_attributes_safe(out)
    assert 'href="https://ok.example/"' in out and 'href="x.html"' in out
    assert script in out
    for letter in "abcdef":
        assert f">{letter}<" in out  # every element's text is still shown


def test_bibliography_fields_add_no_attribute(project, tmp_path):
    """A quote in a bibliography field that becomes an address (doi, url, eprint,
    pubmed) cannot close the link's ``href`` and add an attribute: pybtex writes those
    addresses unescaped. Each is a link to its escaped address, or text."""
    from nbformat.v4 import new_markdown_cell, new_notebook

    from runspine.site.references import references_html
    from runspine.site.report import render_report

    quote = 'x"onmouseover="alert(1)'
    with open(project / "data" / "references.bib", "a", encoding="utf-8") as fh:
        fh.write("\n@article{qdoi,\n author = {Doe, Jane}, title = {Qd}, journal = {J},\n"
                 " year = {2019}, doi = {10.1234/" + quote + "}\n}\n"
                 "@article{qurl,\n author = {Doe, Jane}, title = {Qu}, journal = {J},\n"
                 " year = {2018}, url = {https://ok.example/" + quote + "}\n}\n"
                 "@article{qeprint,\n author = {Doe, Jane}, title = {Qe}, journal = {J},\n"
                 " year = {2017}, eprint = {" + quote + "}, pubmed = {" + quote + "}\n}\n")
    keys = ["qdoi", "qurl", "qeprint"]
    fragment = html5lib.parseFragment(references_html(keys), namespaceHTMLElements=False)
    hrefs = sorted(a.get("href") for a in fragment.iter("a"))
    assert hrefs == ["https://arxiv.org/abs/x%22onmouseover=%22alert(1)",
                     "https://doi.org/10.1234/x%22onmouseover%3D%22alert(1)",
                     "https://ok.example/x%22onmouseover=%22alert(1)",
                     "https://www.ncbi.nlm.nih.gov/pubmed/x%22onmouseover=%22alert(1)"], hrefs
    out = built_study(tmp_path / "reports")
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_markdown_cell(
        "## Sources\n\nqdoi, qurl and qeprint, and " + JS_URL)])
    nb.metadata["runspine"] = {"citation": "x"}
    page = render_report(nb, {}, {}, "Title", output_dir=out)
    assert_no_live_script(page, own_scripts=1)
    assert_attributes_safe(page)
    assert all(f'id="ref-{k}"' in page for k in keys)


def test_markdown_a_notebook_displays_is_text(project, tmp_path):
    """Markdown a notebook displays (``helpers.md``, which fills in data strings and
    parameter values) is rendered without its raw HTML: a tag in a data string is shown as
    text; the Markdown itself (bold, code, links with allowed addresses) still works."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from runspine.site.report import render_report

    payload = XSS + "<img/src=y/onerror=alert(4)><svg onload=alert(5)>[c](javascript:alert(6))"
    shown = new_output("display_data", data={"text/markdown": (
        f"**Label:** {payload} and `a<b` [ok](https://ok.example/)\n\n"
        "```\nx <b>y</b>\n```\n")})
    # where a pattern for code spans would disagree with the Markdown parser: a backtick
    # before a blank line, an escaped backtick, backticks that open no fence
    tricky = new_output("display_data", data={"text/markdown": (
        "`x\n\n<img src=x onerror=alert(7)>\n\n`\n\n\\`<img src=y onerror=alert(8)>`"
        "\n\n```x``` <img src=x onerror=alert(9)> ```")})
    cell = new_code_cell("nb.md(label)", outputs=[shown, tricky])
    nb = new_notebook(cells=[new_markdown_cell("# Title"), cell])
    nb.metadata["runspine"] = {"citation": "x"}
    page = render_report(nb, {}, {}, "Title", output_dir=built_study(tmp_path / "reports"))
    assert_no_live_script(page, own_scripts=1)
    assert_attributes_safe(page)
    root = html5lib.parse(page, namespaceHTMLElements=False)
    assert not [el for el in root.iter("img") if el.get("src") in ("x", "y")]
    assert not list(root.iter("svg"))
    text = " ".join("".join(root.itertext()).split())
    assert "<img src=x onerror=alert(2)>" in text and "<svg onload=alert(5)>" in text
    assert "Label:" in [el.text for el in root.iter("strong")]
    assert "a<b" in [el.text for el in root.iter("code")]
    assert "x <b>y</b>" in text
    assert all(f"alert({i})" in text for i in (7, 8, 9))
    assert [a.get("href") for a in root.iter("a") if a.text == "ok"] == ["https://ok.example/"]


def test_a_glossary_form_is_never_found_inside_a_character_reference():
    """A form that is also an entity's name or number (``rho``, ``amp``, ``39``) is not
    linked inside ``&rho;``, ``&amp;`` or ``&#39;``: the page still reads "ρ", "&", "'"."""
    from runspine.site import glossary

    terms = tuple(glossary.Term(t, t, (t,), "x", "", "") for t in ("rho", "amp", "39", "x27"))
    page = "<body><p>rho &rho; Q &amp; A, it&#39;s &#x27;39&#x27;</p></body>"
    out = glossary.mark_terms(page, terms, "#gloss-")
    text = "".join(html5lib.parse(out, namespaceHTMLElements=False).itertext())
    assert text == "rho ρ Q & A, it's '39'", text
    assert out.count('class="term"') == 2  # the word rho and the number 39


def test_markdown_a_notebook_displays_has_no_raw_html_in_a_diagram_or_an_attachment(
        project, tmp_path):
    """A data string in ``helpers.md`` that opens a fenced ``mermaid`` block (nbconvert's
    renderer writes its text unescaped) or names an ``attachment:`` image (nbconvert
    raises for one the output does not carry, failing the whole report): the block's text
    is shown as text, the image is a missing image, and the report is rendered."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from runspine.site.report import render_report

    shown = new_output("display_data", data={"text/markdown": (
        "Note: ![figure](attachment:nope.png) ok\n\n```mermaid\n<img src=x onerror=alert(1)>"
        "<meta http-equiv=refresh content='0;url=https://evil.example'>"
        "<form action=https://evil.example><input name=q></form>\n```\n")})
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell(
        "nb.md(note)", outputs=[shown])])
    nb.metadata["runspine"] = {"citation": "x"}
    page = render_report(nb, {}, {}, "Title", output_dir=built_study(tmp_path / "reports"))
    assert_no_live_script(page, own_scripts=1)
    assert_attributes_safe(page)
    root = html5lib.parse(page, namespaceHTMLElements=False)
    assert not [el for el in root.iter("img") if el.get("src") == "x"]
    assert not list(root.iter("form")) and not list(root.iter("input"))
    assert [m.get("http-equiv") for m in root.iter("meta")] == [
        None, None, "Content-Security-Policy"], "a data string wrote a <meta>"
    text = " ".join("".join(root.itertext()).split())
    assert "<img src=x onerror=alert(1)>" in text and "Note:" in text
