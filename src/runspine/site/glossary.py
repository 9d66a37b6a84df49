"""The reader's glossary: one source (``data/glossary.csv``) for every page.

Each row is a technical term, the forms pages use (``aliases``), a plain explanation and
the reference it follows. :func:`mark_terms` finds those forms in the text of a finished
page (never inside tags, links, code, headings' anchors, scripts or styles) and makes
each one a link to its explanation, with the explanation as the link's title: a mouse
shows it on hover, a keyboard user on focus (see the CSS), a touch reader follows the
link to the "Words used" section of the same page (reports) or to ``glossary.html``
(index and claims pages), which prints as well.
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from runspine.files import cached_per_version


@dataclass(frozen=True)
class Term:
    term: str
    key: str
    aliases: tuple[str, ...]
    explanation: str
    source: str
    location: str


def glossary_path(data_dir: Path | None = None) -> Path:
    if data_dir is None:
        from runspine.project import Project

        data_dir = Project.current().data_dir
    return Path(data_dir) / "glossary.csv"


@cached_per_version(4, missing=lambda path: ())
def _load(path: Path) -> tuple[Term, ...]:
    """``path``'s terms, read once per version of the file."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        return ()
    return tuple(Term(r["term"], r["key"], tuple(a.strip() for a in r["aliases"].split("|")
                                                   if a.strip()),
                      r["explanation"], r.get("source", ""), r.get("location", ""))
                 for r in rows)


def load(data_dir: Path | None = None) -> tuple[Term, ...]:
    """The glossary's terms (none when the project has no ``glossary.csv``)."""
    return _load(glossary_path(data_dir))


def _alias_pattern(alias: str) -> str:
    body = re.escape(alias)
    body = body.replace(r"\ ", r"\s+").replace("'", "(?:'|\u2019|&\\#x27;|&\\#39;)")
    flags = "" if (alias != alias.lower() or not alias.isascii()) else "(?i:"
    wrapped = f"{flags}{body})" if flags else body
    return rf"{wrapped}(?![\w²/]|\.\w)"


#: a form starts a word: not after a letter, digit, hyphen, slash or dot, nor inside a
#: character reference (``&rho;``, ``&#39;``: its name or number after ``&`` or ``#``)
_WORD_START = r"(?<![\w\-/.&#])"


@lru_cache(maxsize=4)
def _matcher(terms: tuple[Term, ...]):
    forms = sorted(((a, t) for t in terms for a in t.aliases), key=lambda p: -len(p[0]))
    if not forms:
        return None, {}
    groups = {f"t{i}": t for i, (_, t) in enumerate(forms)}
    pattern = "|".join(f"(?P<t{i}>{_alias_pattern(a)})" for i, (a, _) in enumerate(forms))
    # the start test once for all forms, not once per form at every position (5x
    # faster), and the forms tried only where a word starts with one of their first
    # letters (most words start with none: 2x faster with 50 terms)
    first = "".join(sorted({c for a, _ in forms for c in {a[0].lower(), a[0].upper()}}))
    return re.compile(f"{_WORD_START}(?=[{re.escape(first)}])(?:{pattern})"), groups


# elements whose text is never marked up (a link inside them would be invalid or noisy)
SKIP = frozenset({"a", "abbr", "button", "code", "pre", "script", "style", "summary", "title",
         "textarea", "option", "select", "svg", "math", "kbd", "samp", "var", "label"})
_TOKEN = re.compile(r"(<!--.*?-->|<[^<>]*>)", re.DOTALL)
_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9:-]*)")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "param", "source", "track", "wbr"}


def map_text(page: str, fn, skip: frozenset = SKIP, body_only: bool = True) -> str:
    """``page`` with ``fn`` applied to the text between its tags (not to tags, comments,
    the head, nor to the text of elements in ``skip`` or of code editors)."""
    out, stack = [], []
    in_body = not body_only
    for piece in _TOKEN.split(page):
        if not piece:
            continue
        if piece.startswith("<"):
            out.append(piece)
            if piece.startswith("<!--"):
                continue
            m = _NAME.match(piece)
            if not m:
                continue
            name = m.group(1).lower()
            closing = piece.startswith("</")
            if name == "body":
                in_body = not closing
            if name in _VOID or piece.endswith("/>"):
                continue
            if stack and name == stack[-1]:
                if closing:
                    stack.pop()
                else:
                    stack.append(name)  # the same element nested (a div in a div)
            elif not closing and (name in skip or 'class="jp-CodeMirrorEditor' in piece):
                stack.append(name)
            continue
        out.append(piece if (not in_body or stack) else fn(piece))
    return "".join(out)


def mark_terms(page: str, terms: tuple[Term, ...], href: str,
               used: dict[str, Term] | None = None, body_only: bool = True) -> str:
    """``page`` with every glossary form in its text made a link to ``href + key``
    (``"#gloss-"`` for a report's own "Words used" section, ``"glossary.html#term-"``
    for the index and claims pages), titled with the plain explanation. ``used``
    collects the terms found (key -> Term)."""
    pattern, groups = _matcher(tuple(terms))
    if pattern is None:
        return page

    def link(m: re.Match) -> str:
        term = groups[m.lastgroup]
        if used is not None:
            used[term.key] = term
        return (f'<a class="term" href="{html.escape(href + term.key)}" '
                f'title="{html.escape(term.explanation)}">{m.group(0)}</a>')

    return map_text(page, lambda text: pattern.sub(link, text), body_only=body_only)


def words_used_html(used: dict[str, Term], glossary_href: str) -> str:
    """The "Words used in this report" list: each term found, its plain explanation,
    and a link to the whole glossary."""
    if not used:
        return ""
    items = "".join(
        f'<dt id="gloss-{html.escape(t.key)}">{html.escape(t.term)}</dt>'
        f"<dd>{html.escape(t.explanation)}</dd>"
        for t in sorted(used.values(), key=lambda t: t.term.lower()))
    return ('<section class="runspine-words" aria-labelledby="words-used">'
            '<h2 id="words-used">Words used in this report</h2>'
            f'<dl class="runspine-glossary">{items}</dl>'
            f'<p>All terms, with their sources: <a href="{html.escape(glossary_href)}">the '
            "glossary</a>.</p></section>")
