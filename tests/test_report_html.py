"""The report exporter skips nbconvert's closing BeautifulSoup pass and makes its changes
itself (empty heading anchors closed, alt text on images without one, focusable input and
output areas). The page must come out as the same document nbconvert's own HTMLExporter
makes, as a browser builds it: both are parsed with html5lib (the HTML5 parsing algorithm
browsers use), never by string or lenient parsing, which forgive what a browser does not."""

from __future__ import annotations

import base64

import html5lib
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from runspine.site import report

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


def notebook():
    code = new_code_cell("plot()", execution_count=1, outputs=[
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        new_output("display_data", data={"image/png": PNG}, metadata={}),
        new_output("display_data", data={
            "text/html": '<div class="jp-OutputArea-output">raw html</div>'
                         '<img src="x.png" alt="given">',
            "text/plain": "html"}),
        new_output("stream", name="stdout",
                   text='<img src=y> <div class="jp-Cell-inputWrapper">escaped</div>\n'),
        new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
    ])
    nb = new_notebook(cells=[new_markdown_cell("# Title\n\n![inline](data:image/png;base64,"
                                               + PNG + ")"), code,
                             new_markdown_cell("## A section\n\nText after the heading."),
                             new_code_cell("x = 1", execution_count=2)])
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


def test_reader_exporter_makes_the_same_document_as_nbconvert():
    nb = notebook()
    css, js = report._static()
    resources = {"runspine": {"css": css, "js": js, "params_html": "", "status_html": ""}}
    ours, _ = report._exporter().from_notebook_node(nb, resources=dict(resources))
    reference_exporter = HTMLExporter(extra_template_basedirs=[str(report.TEMPLATES)],
                                      template_name="runspine")
    reference_exporter.exclude_input_prompt = True
    reference_exporter.exclude_output_prompt = True
    reference_exporter.anchor_link_text = ""
    # the template renders displayed Markdown with the reader exporter's own filter (raw
    # HTML escaped; tests/test_report_safety.py): the reference is given the same one
    reference_exporter.register_filter("markdown_output2html",
                                       report._exporter().markdown_output2html)
    reference, _ = reference_exporter.from_notebook_node(nb, resources=dict(resources))

    assert browser_dom(ours) == browser_dom(reference)
    # what the heading anchors must not do: swallow the content after them
    body = html5lib.parse(ours, namespaceHTMLElements=False).find("body")
    for anchor in body.iter("a"):
        assert anchor.get("class") != "anchor-link" or len(anchor) == 0, "anchor holds content"
    ours_dom = BeautifulSoup(ours, "html.parser")
    # and the two changes really happened (so the comparison is not vacuous)
    placeholders = ours_dom.find_all(alt="No description has been provided for this image")
    assert len(placeholders) >= 2
    assert ours_dom.find("img", alt="given") is not None
    assert len(ours_dom.select("div.jp-OutputArea-output[tabindex='0']")) >= 4
    assert len(ours_dom.select("div.jp-Cell-inputWrapper[tabindex='0']")) >= 2
    assert "&lt;img src=y&gt;" in ours  # stream text stays escaped text


def browser_dom(page: str) -> list:
    """The tree a browser builds from ``page`` (HTML5 parsing algorithm), flattened to
    (depth, tag, sorted attributes, text, tail) rows so two documents compare exactly
    (the class attribute as its token list, as ``classList`` reads it)."""
    rows = []

    def walk(el, depth):
        attrs = {k: (" ".join(v.split()) if k == "class" else v) for k, v in el.attrib.items()}
        rows.append((depth, el.tag, sorted(attrs.items()), (el.text or "").strip(),
                     (el.tail or "").strip()))
        for child in el:
            walk(child, depth + 1)

    walk(html5lib.parse(page, namespaceHTMLElements=False), 0)
    return rows


def test_browser_dom_sees_an_unclosed_anchor():
    """The comparison must fail on the bug it exists for: ``<a ... />`` opens a link that
    swallows the rest of the page in a browser, though lenient parsers close it."""
    good = '<h2>S<a class="anchor-link" href="#S"></a></h2><p>text</p>'
    bad = '<h2>S<a class="anchor-link" href="#S" /></h2><p>text</p>'
    assert browser_dom(good) != browser_dom(bad)


def test_markup_in_code_is_shown_as_text():
    """A code cell's source reaches the page only as pygments' escaped text: markup in a
    string or a comment never becomes an element or an attribute."""
    payload = ('s = "</pre></div><script>alert(1)</script>"  '
               '# <img src=x onerror="alert(2)"> <a href="javascript:alert(3)">x</a>')
    nb = new_notebook(cells=[new_code_cell(payload, execution_count=1)])
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    css, js = report._static()
    page, _ = report._exporter().from_notebook_node(
        nb, resources={"runspine": {"css": css, "js": js}})
    body = html5lib.parse(page, namespaceHTMLElements=False).find("body")
    assert [s.text for s in body.iter("script")] == [js]  # the reports' own script only
    assert not body.findall(".//img") and not [a for a in body.iter("a")
                                                if "javascript" in (a.get("href") or "")]
    assert not [el for el in body.iter() if any(k.startswith("on") for k in el.attrib)]
    text = "".join(body.itertext())
    assert "<script>alert(1)</script>" in text and 'onerror="alert(2)"' in text
