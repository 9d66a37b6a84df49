"""The project's bibliography (``data/references.bib``): its citation keys, checked by
pybtex (which formats the reports' references), and how readers are shown each work
("Author year"), in text that names works by their BibTeX keys.

It imports no analysis library: a notebook's kernel formats every recorded result's
description through :func:`cite_text`.
"""

from __future__ import annotations

import re
from pathlib import Path

from runspine.inputs import DataError, outside, read_utf8
from runspine.project import Project


def bib_keys(bib_path: Path | None = None) -> set[str]:
    """Return the citation keys defined in a BibTeX file, after checking that pybtex (which
    formats the reports' references) reads it: a file it cannot read (a repeated key, an
    unclosed entry, an undefined ``@string``, braces nested too deeply) is a
    :class:`DataError` naming it, before any notebook runs, not a failure of every report
    after each has run."""
    bib_path = Path(bib_path or Project.current().references_bib)
    if not bib_path.exists():
        return set()
    if outside(bib_path, bib_path.parent):
        raise DataError(f"{bib_path.name}: resolves outside {bib_path.parent.name}/ (a "
                        "symbolic link?); nothing outside it is read as data")
    text = read_utf8(bib_path, bib_path.name)
    from pybtex.database.input.bibtex import Parser
    from pybtex.exceptions import PybtexError

    from runspine.text import one_line

    try:
        Parser().parse_string(text)
    except (PybtexError, RecursionError) as exc:
        why = str(exc) if isinstance(exc, PybtexError) else "nested too deeply"
        raise DataError(f"{bib_path.name}: not readable as BibTeX ({one_line(why):.200})"
                        ) from None
    return set(_BIB_ENTRY.findall(text))


#: A BibTeX entry's key: ``@type{key,``. ``@comment``, ``@preamble`` and ``@string`` are
#: not entries (``@comment{key,`` names no work), and neither is an ``@`` inside a word.
_BIB_ENTRY = re.compile(r"(?<![\w@])@(?!(?:comment|preamble|string)\b)[A-Za-z]\w*\s*"
                        r"\{\s*([^,\s{}]+)\s*,", re.IGNORECASE)


_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "~": "\u0303", "^": "\u0302",
            "c": "\u0327", "v": "\u030c", "=": "\u0304"}
_LETTERS = {"o": "\u00f8", "O": "\u00d8", "ae": "\u00e6", "aa": "\u00e5", "ss": "\u00df",
            "l": "\u0142", "i": "\u0131"}


def _latex_to_text(value: str) -> str:
    """BibTeX text (accents such as ``{\\"u}``, ``{\\c{C}}``, ``{\\o}``) as plain Unicode."""
    import unicodedata

    def accent(m: re.Match) -> str:
        return m.group(2) + _ACCENTS[m.group(1)]

    text = re.sub(r"\\(['`\"~^=]|c|v)\s*\{?([A-Za-z])\}?", accent, value)
    text = re.sub(r"\\(o|O|ae|aa|ss|l|i)\b", lambda m: _LETTERS[m.group(1)], text)
    return unicodedata.normalize("NFC", text.replace("{", "").replace("}", ""))


def _bib_entries(bib_path: Path) -> dict[str, dict[str, str]]:
    text = read_utf8(bib_path, bib_path.name) if bib_path.exists() else ""
    entries = {}
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, re.DOTALL):
        fields = {f.group(1).lower(): f.group(2)
                  for f in re.finditer(r"^\s*(\w+)\s*=\s*\{(.*)\},?\s*$", m.group(2),
                                       re.MULTILINE)}
        entries[m.group(1)] = fields
    return entries


def citation_labels(bib_path: Path | None = None) -> dict[str, str]:
    """How readers are shown each work of the bibliography: "first author's surname year"
    ("Menezes Costa 2012", "Oslo Sports Trauma Research Center 2012"); a work with no
    author by its journal or publisher ("Footwear Science 2010"), else its title."""
    bib_path = Path(bib_path or Project.current().references_bib)
    labels = {}
    for key, f in _bib_entries(bib_path).items():
        year = f.get("year", "")
        author = f.get("author", "")
        if re.fullmatch(r"\{\{[^{}]*\}\}", author):  # an organisation: {{Name}}
            name = _latex_to_text(author)
        elif author:
            first = _latex_to_text(author.split(" and ")[0])
            surname = first.split(",")[0].strip()
            words = surname.split()
            while len(words) > 1 and (words[0].islower() or len(words[0]) == 1):
                words = words[1:]  # "da C Menezes Costa" -> "Menezes Costa"
            name = " ".join(words)
        elif f.get("journal") or f.get("howpublished"):  # no author given: where it appeared
            name = re.split(r"\s*\d", _latex_to_text(f.get("journal") or f["howpublished"]))[0]
        else:
            name = _latex_to_text(f.get("title", key))
        labels[key] = f"{name} {year}".strip()
    return labels


def cite_text(text: str, labels: dict[str, str] | None = None) -> str:
    """``text`` with every BibTeX key in it replaced by its reader label
    (:func:`citation_labels`): "woolf2002 12-month" -> "Woolf 2002 12-month"."""
    labels = citation_labels() if labels is None else labels
    if not labels or not isinstance(text, str):
        return text
    keys = sorted(labels, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, keys)) + r")(?![\w-]|\.\w)")
    return pattern.sub(lambda m: labels[m.group(1)], text)
