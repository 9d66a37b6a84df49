"""Reader pages from Jinja templates (autoescape on), and the last pass over every page.

Every page the site writes (index, claims, glossary, consistency, sweep summaries, and
the blocks a study report opens and ends with) is a template under ``templates/pages``
(the consistency page's under ``templates/consistency``), rendered with autoescaping: a
data string is text unless a template says otherwise, and an address taken from data
goes through the ``url`` filter (http, https or a DOI; otherwise the template shows it
as text). :func:`finish` is applied to every finished page: addresses with other schemes
lose their attribute, numbers in scientific notation are written out, and the glossary's
terms are marked up with their explanations.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from runspine import numbers
from runspine.site import glossary, safety

TEMPLATES = Path(__file__).resolve().parent / "templates"


def sentence(text) -> str:
    """A phrase as a sentence: capital first letter, final full stop."""
    text = str(text or "").strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _verdict_class(verdict) -> str:
    return "v-" + str(verdict or "").replace(" ", "-")


@lru_cache(maxsize=1)
def environment():
    """The Jinja environment of the site's pages (autoescape on, strict undefined)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(
                                 [str(TEMPLATES / "pages"), str(TEMPLATES / "consistency")]),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(num=numbers.fmt_number, percent=numbers.percent,
                       url=safety.safe_url, doi_url=safety.doi_url,
                       verdict_class=_verdict_class, sentence=sentence)
    env.globals["site_css"] = site_css
    return env


@lru_cache(maxsize=1)
def site_css() -> str:
    return (TEMPLATES / "site.css").read_text(encoding="utf-8")


def render(name: str, **context) -> str:
    """The template ``name`` rendered with ``context`` (a fragment or a whole page)."""
    return environment().get_template(name).render(**context)


def finish(page: str, glossary_href: str | None, data_dir: Path | None = None,
           used: dict | None = None) -> str:
    """The last pass over a finished page: unsafe addresses removed, numbers written
    out, glossary terms linked to ``glossary_href + key`` (None: not marked up)."""
    page = safety.neutralize_urls(page)
    page = glossary.map_text(page, lambda t: numbers.plain_numbers(t, html=True),
                             skip=frozenset({"script", "style", "code", "pre"}))
    if glossary_href is not None:
        page = glossary.mark_terms(page, glossary.load(data_dir), glossary_href, used)
    return page


def page(name: str, glossary_href: str | None = "glossary.html#term-",
         data_dir: Path | None = None, **context) -> str:
    """A whole page: the template rendered, then :func:`finish`."""
    html = render(name, csp=safety.csp(), **context)
    return finish(html, glossary_href, data_dir)


def files_key(h, files, base: Path | None = None) -> str:
    """The hex digest of ``h`` (a hashlib object) once it has taken each of ``files``:
    its name (relative to ``base``, else its file name) and the hash of its bytes, or a
    dash for one that is not read (missing, a directory, a named pipe or a device, which
    would block or never end). The pages' keys (``reports/.cache/<page>.key``) are made
    with it."""
    from runspine.files import read_regular

    for path in files:
        h.update(os.fsencode(path.relative_to(base) if base else path.name) + b"\0")
        try:
            h.update(hashlib.sha256(read_regular(path)).digest())
        except OSError:
            h.update(b"-")
    return h.hexdigest()
