"""Render reader HTML: one report per executed notebook, and the index.

Reports use the ``runspine`` nbconvert template (``templates/runspine``), which extends
JupyterLab's and removes every script fetched from a CDN, so a report opens offline and
can be copied elsewhere on its own. Its only script (the code toggle and contents list)
is allowed by its hash in the page's Content-Security-Policy; nothing else can run. Code
is hidden behind a toggle; the title and "What we found" come first, the parameters used
are in the appendix. The blocks runspine adds are Jinja templates (autoescaped), and the
finished page goes through :func:`runspine.site.pages.finish` (unsafe addresses removed,
numbers written out, glossary terms explained).
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nbformat costs ~1 s to import; a no-change rebuild never needs it
    import nbformat

TEMPLATES = Path(__file__).resolve().parent / "templates"


_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")
# nbconvert serialises an empty heading anchor as ``<a ... />``; an HTML parser never
# closes an ``<a>`` that way, so the link would swallow the rest of the page.
_SELF_CLOSING_A = re.compile(r"<a\b([^<>]*?)\s*/>")
_FOCUSABLE = re.compile(r'(<div (?:id="[^"]*" )?class="[^"]*'
                        r'\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b[^"]*")(?! tabindex)')


def _reader_exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReaderExporter(HTMLExporter):
        """nbconvert's HTMLExporter without its closing BeautifulSoup pass.

        That pass re-parses the whole page (base64 figures included: 0.1-0.4 s a
        report) only to give images without alt text a placeholder and make input and
        output areas focusable. Both are done here on the template's output, whose
        markup comes from nbconvert's own templates; notebook data strings are escaped
        before they reach it, so the patterns cannot match inside them.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            body, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            body = _SELF_CLOSING_A.sub(r"<a\1></a>", body)
            body = _IMG_WITHOUT_ALT.sub(
                '<img alt="No description has been provided for this image"', body)
            return _FOCUSABLE.sub(r'\1 tabindex="0"', body), resources

        def default_filters(self):
            yield from super().default_filters()
            yield ("markdown_output2html", self.markdown_output2html)

        def markdown_output2html(self, source: str) -> str:
            """Markdown a notebook displayed (``helpers.md`` fills in data strings and
            parameter values), rendered by nbconvert's own parser with raw HTML escaped:
            a tag in a data string is text; emphasis, code and links work. (Markdown
            cells, which the author writes, keep theirs: ``markdown2html``.) Two
            renderer paths that bypass the escaping are closed: a fenced ``mermaid``
            block (written as it is) is an escaped code block, and an ``attachment:``
            image (raising for one the output lacks) keeps its address, which the page's
            last pass removes."""
            from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

            class TextRenderer(IPythonRenderer):
                def block_mermaidjs(self, code: str) -> str:
                    return "<pre><code>" + self.escape_html(code) + "</code></pre>\n"

                def _embed_image_or_attachment(self, src: str) -> str:
                    return src

            renderer = TextRenderer(escape=True, allow_harmful_protocols=False,
                                    anchor_link_text=self.anchor_link_text,
                                    exclude_anchor_links=self.exclude_anchor_links,
                                    **self.lexer_options)
            return MarkdownWithMath(renderer=renderer).render(source)

    return ReaderExporter


@lru_cache(maxsize=1)
def _exporter():
    """The HTML exporter, created once per process (templates load once)."""
    exporter = _reader_exporter_class()(extra_template_basedirs=[str(TEMPLATES)],
                                        template_name="runspine")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    return exporter


@lru_cache(maxsize=1)
def _static() -> tuple[str, str]:
    return ((TEMPLATES / "report.css").read_text(encoding="utf-8"),
            (TEMPLATES / "report.js").read_text(encoding="utf-8"))


def prepare() -> None:
    """Load what the first report of a process otherwise loads while it renders (the
    exporter and its compiled templates, the glossary, the bibliography: about half a
    second of CPU) by rendering a one-cell notebook. A build does this as it starts,
    while its first kernels start (:func:`runspine.engine.driver.drive`)."""
    from nbformat import v4

    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Report"), v4.new_code_cell("1")])
    render_report(nb, {}, {}, "Report")


def reader_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy of an executed notebook without the parameters and injected-parameters cells
    and without run-specific metadata (so the HTML is deterministic)."""
    nb = copy.deepcopy(nb)
    drop = {"parameters", "injected-parameters"}
    nb.cells = [c for c in nb.cells if not drop & set(c.get("metadata", {}).get("tags", []))]
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    return nb


def render_report(nb: nbformat.NotebookNode, values: dict, defaults: dict, title: str,
                  sweep_point: bool = False,
                  output_dir: Path | None = None) -> str:
    """HTML of one study report (``sweep_point``: one point of a parameter sweep, three
    directories below ``reports/``).

    ``output_dir`` holds what the notebook recorded (``results.json``,
    ``tables/claims.csv``): the report then opens with a "What we found" block built from
    them and ends with an appendix of the recorded results (rounded) and the references.
    """
    from runspine.site import findings, glossary, pages, safety

    css, js = _static()
    reader = reader_notebook(nb)
    reader.metadata["title"] = title
    results = findings.read_results(output_dir)
    verdicts = findings.read_verdicts(output_dir)
    reader.cells = findings.arrange(reader, values, defaults, results, verdicts)
    toc_in_header = not any(c.get("id") == "runspine-findings" for c in reader.cells)
    resources = {"runspine": {"css": css, "js": js, "csp": safety.csp(js),
                              "toc_in_header": toc_in_header,
                              "root": "../../../" if sweep_point else "../",
                              "sweep_point": sweep_point}}
    body, _ = _exporter().from_notebook_node(reader, resources=resources)
    body = findings.number_captions(body)
    used: dict = {}
    body = pages.finish(body, "#gloss-", used=used)
    root = "../../../" if sweep_point else "../"
    return body.replace("<!--runspine-words-used-->",
                        glossary.words_used_html(used, root + "glossary.html"), 1)


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """A report's title: the notebook's own (:attr:`runspine.notebook_file.StudyNotebook.title`),
    else ``fallback``."""
    from runspine.notebook_file import StudyNotebook

    return StudyNotebook.of(nb).title or fallback


def card_figure(nb: nbformat.NotebookNode) -> bytes | None:
    """The index card's figure (``<stem>/figure.png``, published beside the report): the
    one the notebook marked for the card (``helpers.figure(..., card=True)``; its
    phone-sized rendering when it has one), else the notebook's first PNG figure."""
    import base64

    pattern = re.compile(r'data:image/png;base64,([A-Za-z0-9+/=]+)')
    outputs = [out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])]
    marked = [d for d in outputs if "data-runspine-card" in str(d.get("text/html", ""))]
    for data in marked + outputs:
        if "image/png" in data:
            return base64.b64decode(data["image/png"])
        match = pattern.search(str(data.get("text/html", "")))
        if match:
            return base64.b64decode(match.group(1))
    return None
