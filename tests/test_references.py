"""The works a report cites (runspine.site.references): found by key, DOI or "Surname ...
year" in the report's text, never inside an embedded file; the bibliography and the
glossary read again when their file changes."""

from __future__ import annotations

import base64
import os

from runspine.site import references


def test_a_citation_inside_an_embedded_figure_is_not_one():
    """Base64 of a figure can spell anything; only the text around it cites."""
    payload = base64.b64encode(b"\x00" * 7).decode() + "+garbutt1990/Garbutt/1990+A"
    figure = f'<img src="data:image/png;base64,{payload}" alt="Figure 1">'
    assert references.cited_keys(figure) == []
    assert references.cited_keys(figure + " as Garbutt et al. 1990 measured") == [
        "garbutt1990"]
    assert references.cited_keys("see garbutt1990.") == ["garbutt1990"]
    assert references.cited_keys("Garbutt and colleagues; in 1990") == []  # ';' ends it


def test_a_year_in_parentheses_cites():
    """The usual author-year forms: "Garbutt et al. (1990)", "Garbutt (1990)"; a
    parenthesis that holds something else still ends the span."""
    assert references.cited_keys("as Garbutt et al. (1990) measured") == ["garbutt1990"]
    assert references.cited_keys("Garbutt (1990)") == ["garbutt1990"]
    assert references.cited_keys("Garbutt (see the appendix) 1990") == []


def test_an_edited_bibliography_is_read_again(tmp_path):
    """A process that builds twice (a test session, a researcher's loop) sees the entries
    of the file as it is now, not as it was first read."""
    bib = tmp_path / "references.bib"
    bib.write_text("@article{one2001, author = {One, A.}, title = {T}, year = {2001}}\n",
                   encoding="utf-8")
    assert list(references.bibliography(tmp_path).entries) == ["one2001"]
    bib.write_text(bib.read_text(encoding="utf-8")
                   + "@article{two2002, author = {Two, B.}, title = {U}, year = {2002}}\n",
                   encoding="utf-8")
    st = bib.stat()
    os.utime(bib, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a coarse clock
    assert list(references.bibliography(tmp_path).entries) == ["one2001", "two2002"]


def test_an_edited_glossary_is_read_again(tmp_path):
    """The same for the glossary's terms (data/glossary.csv)."""
    from runspine.site import glossary

    path = tmp_path / "glossary.csv"
    header = "term,key,aliases,explanation,source,location\n"
    path.write_text(header + "odds,odds,odds,a chance as for:against,x,y\n", encoding="utf-8")
    assert [t.key for t in glossary.load(tmp_path)] == ["odds"]
    path.write_text(path.read_text(encoding="utf-8") + "bias,bias,bias,a lean,x,y\n",
                    encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert [t.key for t in glossary.load(tmp_path)] == ["odds", "bias"]
