"""The works a report cites: ``data/references.bib`` parsed once (pybtex), the keys a
text cites (by key, by DOI, or as "Surname ... year") and the reference list, formatted
by pybtex's unsrt style with only safe links (:mod:`runspine.site.safety`). The study
reports end with it; the glossary page reads the bibliography for its sources.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from pathlib import Path

from runspine.files import cached_per_version
from runspine.site import safety
from runspine.text import esc


def _fold(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


@cached_per_version(4)
def _load(path: str):
    """``path`` parsed, and its :func:`_citation_index`; once per version of the file."""
    from pybtex.database import parse_file

    bib = parse_file(path)
    return bib, _citation_index(bib)


def _citation_index(bib) -> tuple[tuple[str, str, str, str], ...]:
    """Per entry of ``bib``: its key, year, DOI, and its first author's surname folded
    ("" unless the first author has exactly one last name)."""
    index = []
    for key, entry in bib.entries.items():
        authors = entry.persons.get("author", [])
        names = authors[0].rich_last_names if authors else []
        surname = _fold(" ".join(str(n) for n in names)) if len(names) == 1 else ""
        index.append((key, entry.fields.get("year", ""), entry.fields.get("doi", ""),
                      surname))
    return tuple(index)


#: an embedded file (a figure's ``data:`` URI): its base64 payload cites nothing
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]*")


def bibliography(data_dir: Path | None = None):
    """The project's ``references.bib``, parsed (once per version of the file)."""
    return _load(_bib_path(data_dir))[0]


def _bib_path(data_dir: Path | None = None) -> str:
    if data_dir is None:
        from runspine.project import Project

        data_dir = Project.current().data_dir
    return str(Path(data_dir) / "references.bib")


def _bibliography():
    return bibliography()


def cited_keys(text: str, doi: str = "") -> list[str]:
    """Keys of ``references.bib`` a text cites: by key, by DOI, or as "Surname ... year"
    (first author's surname, then the year within a few words, perhaps in parentheses:
    "Garbutt et al. (1990)"; accents ignored)."""
    text = _DATA_URI.sub("", text)
    folded = _fold(text)
    keys = []
    for key, year, edoi, surname in _load(_bib_path())[1]:
        # plain substring tests first: the regular expressions run only where they can match
        if ((key in text and re.search(rf"\b{re.escape(key)}\b", text))
                or (edoi and (edoi == doi or edoi in text))
                or (surname and year and surname in folded and year in folded
                    and re.search(rf"\b{re.escape(surname)}\b[^;()\n]{{0,40}}?\(?\b{year}\b",
                                  folded))):
            keys.append(key)
    return keys


def references_html(keys: list[str]) -> str:
    """The reference list of ``keys``, formatted by pybtex (unsrt style, HTML backend),
    DOIs as links. Where-read notes and access urls of the bib file are left out; a url
    is kept for an entry without a DOI."""
    if not keys:
        return ""
    from markupsafe import Markup
    from pybtex.plugin import find_plugin

    from runspine.site import pages

    bib = _bibliography()
    entries, as_text = [], {}
    for key in keys:
        entry = copy.deepcopy(bib.entries[key])
        for field in ("note", "pmid", "pmcid", "howpublished"):
            entry.fields.pop(field, None)
        if entry.fields.get("doi"):
            entry.fields.pop("url", None)
        # only an http(s) address or a real DOI becomes a link; anything else is text
        shown = []
        if entry.fields.get("doi") and not safety.doi_url(entry.fields["doi"]):
            shown.append("doi: " + entry.fields.pop("doi"))
        if entry.fields.get("url") and not safety.safe_url(entry.fields["url"]):
            shown.append(entry.fields.pop("url"))
        as_text[key] = shown
        entries.append(entry)
    style = find_plugin("pybtex.style.formatting", "unsrt")()
    backend = _safe_backend()
    items = []
    for number, entry in enumerate(entries, 1):
        try:
            text = style.format_entry(str(number), entry).text.render(backend)
        except Exception:  # noqa: BLE001 - an entry pybtex cannot format (e.g. no author)
            text = _plain_reference(entry)
        items.append({"key": entry.key, "html": Markup(text), "as_text": as_text[entry.key]})
    return pages.render("references.html.j2", items=items)


def _safe_backend():
    """pybtex's HTML backend, whose links (a DOI, url, eprint or pubmed field) are made
    only for an address :func:`safety.safe_url` allows, escaped: pybtex writes the field
    into ``href`` as it is, so a quote in it would add an attribute. Anything else is
    the link's text alone."""
    from pybtex.backends.html import Backend

    class SafeBackend(Backend):
        def format_href(self, url, text, external=False):
            href = safety.safe_url(url)
            return f'<a href="{esc(href)}">{text}</a>' if href and text else text

    return SafeBackend()


def _plain_reference(entry) -> str:
    """An entry pybtex's style rejects (a web page without an author, say): its author or
    publisher, title, year and DOI or url, escaped."""
    authors = " and ".join(str(p) for p in entry.persons.get("author", []))
    fields = entry.fields
    parts = [authors or fields.get("organization") or fields.get("publisher", ""),
             fields.get("title", entry.key), fields.get("journal", ""), fields.get("year", "")]
    text = ". ".join(esc(p.replace("{", "").replace("}", "")) for p in parts if p) + "."
    if fields.get("doi") and safety.doi_url(fields["doi"]):
        text += (f' <a href="{esc(safety.doi_url(fields["doi"]))}">'
                 f'doi:{esc(fields["doi"])}</a>.')
    elif fields.get("url") and safety.safe_url(fields["url"]):
        url = esc(fields["url"])
        text += f' <a href="{url}">{url}</a>'
    return text
