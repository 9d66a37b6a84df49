"""Nothing from data reaches a page as live script.

Every link or image address a page writes from data (the bibliography, claims, notebook
metadata, parameters, results) goes through :func:`safe_url`: only ``http``, ``https``
or a DOI (written as its ``https://doi.org/`` link) become a link; anything else is shown
as text. :func:`neutralize_urls` is the last pass over every finished page: an ``href``,
``src`` or other address attribute with any other scheme (``javascript:``, ``data:`` other
than an image, ``vbscript:``, ``file:`` ...) loses the attribute, so what it pointed at
stays visible as text and nothing runs. Every page also carries a Content-Security-Policy
(:func:`csp`): no script runs but the page's own, allowed by its hash; inline event
handlers, ``javascript:`` links and remote scripts are refused by the browser.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from urllib.parse import quote, urlsplit

_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
# what a browser strips from a URL before reading its scheme
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_QUOTES = re.compile(r"[\"'<>`]")
_IMAGE_DATA = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,", re.IGNORECASE)


def doi_url(doi) -> str | None:
    """``https://doi.org/<doi>`` for a DOI (``10.xxxx/...``, ``doi:...`` or a doi.org
    link), or None when the text is not a DOI."""
    m = _DOI.match(str(doi or "").strip())
    if not m:
        return None
    return "https://doi.org/" + quote(m.group(1), safe="/:;()._-[]")


def safe_url(value) -> str | None:
    """The address itself when it is an ``http``/``https`` URL with a host, the doi.org
    link of a DOI, else None (the caller shows the text instead of a link). Quotes, angle
    brackets and backticks in it are percent-encoded: written into an attribute, even
    unescaped, it cannot close it."""
    text = str(value or "").strip()
    if not text:
        return None
    doi = doi_url(text)
    if doi:
        return doi
    cleaned = _URL_JUNK.sub("", html.unescape(text))
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and cleaned == text:
        return _QUOTES.sub(lambda q: f"%{ord(q.group()):02X}", text)
    return None


def local_url_ok(value: str, image: bool = False) -> bool:
    """An address attribute's value a page may keep: no scheme (a relative link or a
    fragment, as the site writes them), http/https, or, for an image, an inline PNG,
    JPEG, GIF or WebP."""
    raw = _URL_JUNK.sub("", html.unescape(value)).replace("\\", "/")
    if raw.startswith("//"):
        return False  # a scheme-relative address ("//host", "/\\host") is a remote one
    m = _SCHEME.match(raw)
    if not m:
        return True
    scheme = m.group(1).lower()
    if scheme in ("http", "https"):
        return True
    return image and bool(_IMAGE_DATA.match(raw))


_ADDRESS = frozenset({"href", "src", "srcset", "action", "formaction", "xlink:href", "poster",
                      "background", "data", "ping"})
_DESCRIPTOR = re.compile(r"^\d+(?:\.\d+)?[wxh],?$")
# a tag as the HTML tokenizer reads it (WHATWG 13.2.5): whitespace is these five only,
# and "/" also separates attributes; a name runs to whitespace, "/", ">" or "="; a value
# is quoted, or runs to whitespace or ">"; after a quoted value the next name may follow
# with nothing between ('href="x"onclick=y' is two attributes)
_SEP = re.compile(r"[\t\n\f\r /]*")
_ATTR = re.compile(r"""([^\t\n\f\r />][^\t\n\f\r />=]*)[\t\n\f\r ]*"""
                   r"""(?:=[\t\n\f\r ]*("[^"]*"?|'[^']*'?|[^\t\n\f\r >]*))?""")
_OPEN = re.compile(r"<(?:([A-Za-z][^\t\n\f\r />]*)|/([A-Za-z][^\t\n\f\r />]*)|(!--)|([!?/]))")
_COMMENT_END = re.compile(r"-->|--!>")
# the rest of most tags: plain names, double-quoted values; read whole unless a name may
# be one :func:`_attribute_ok` looks at
_PLAIN_REST = re.compile(r"""(?:[\t\n\f\r ]+[A-Za-z][-A-Za-z0-9_.:]*(?:="[^"]*")?)*"""
                         r"""[\t\n\f\r ]*/?>""")
_LOOKED_AT = re.compile(r"[\t\n\f\r ](?:on|srcdoc|attributename|" + "|".join(
    sorted(_ADDRESS)) + r")", re.IGNORECASE)
# elements whose text a browser reads as text up to their end tag (outside svg and math)
_RAW_TEXT = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE)
             for name in ("script", "style")}


def _attribute_ok(tag: str, name: str, value: str) -> bool:
    if name.startswith("on") or name == "srcdoc" or (tag == "base" and name == "href"):
        return False
    if tag in ("animate", "set") and name == "attributename":
        return value.strip().lower() not in ("href", "xlink:href")
    if name not in _ADDRESS:
        return True
    image = tag in ("img", "source") and name in ("src", "srcset")
    if name == "srcset":  # candidates: a URL (no spaces), then optional descriptors
        urls = [t.rstrip(",") for t in value.split() if not _DESCRIPTOR.match(t)]
        return all(local_url_ok(u, image) for u in urls if u)
    return local_url_ok(value, image)


def _tag(page: str, pos: int, tag: str | None, out: list) -> int:
    """Copy the rest of a tag, from ``page[pos]`` (just after its name) to its ``>``,
    to ``out`` without the attributes :func:`_attribute_ok` refuses (``tag`` None: an end
    tag, copied as it is); the index after it."""
    plain = _PLAIN_REST.match(page, pos)
    if plain and (tag is None or (tag != "base" and not _LOOKED_AT.search(plain.group()))):
        out.append(plain.group())
        return plain.end()
    while True:
        sep = _SEP.match(page, pos)
        pos = sep.end()
        if pos >= len(page) or page[pos] == ">":
            out.append(page[sep.start():pos + 1])
            return pos + 1
        m = _ATTR.match(page, pos)
        name, value = m.group(1).lower(), m.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        if tag is None or _attribute_ok(tag, name, value):
            out.append(page[sep.start():m.end()])
        else:
            out.append(" data-removed-" + re.sub(r"[^a-z0-9:-]", "", name) + '=""')
        pos = m.end()


def neutralize_urls(page: str) -> str:
    """``page`` with every address attribute that could run script or leave the
    allowed schemes removed, and every inline event handler (``onclick=`` ...),
    ``srcdoc`` and ``<base href>``: the element and its text stay. Tags are read as a
    browser's tokenizer reads them (``<a/href=x>``, ``href="x"onclick=y``); comments and
    the text of a ``script`` or ``style`` element are left as they are."""
    out, pos, foreign = [], 0, 0
    while True:
        m = _OPEN.search(page, pos)
        if m is None:
            out.append(page[pos:])
            return "".join(out)
        out.append(page[pos:m.start()])
        pos = m.end()
        if m.group(1) or m.group(2):  # a start or an end tag
            name = (m.group(1) or m.group(2)).lower()
            out.append(page[m.start():pos])
            pos = _tag(page, pos, name if m.group(1) else None, out)
            if name in ("svg", "math"):  # foreign content: no raw-text elements
                foreign = max(0, foreign + (-1 if m.group(2) else page[pos - 2] != "/"))
            if m.group(1) and name in _RAW_TEXT and not foreign:
                end = _RAW_TEXT[name].search(page, pos)
                stop = end.start() if end else len(page)
                out.append(page[pos:stop])
                pos = stop
            continue
        if m.group(3):  # a comment: to "-->" ("<!-->" and "<!--->" are empty ones)
            empty = re.compile("->|>").match(page, pos)
            end = empty or _COMMENT_END.search(page, pos)
        elif m.group(4) == "/" and page.startswith(">", pos):  # "</>": nothing
            end = re.compile(">").match(page, pos)
        else:  # "<!x", "<?x", "</1": a bogus comment, to the next ">"
            end = re.compile(">").search(page, pos)
        stop = end.end() if end else len(page)
        out.append(page[m.start():stop])
        pos = stop


def script_hash(script: str) -> str:
    """The CSP source of an inline script: ``'sha256-<base64>'`` of its exact text."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def csp(*scripts: str) -> str:
    """The Content-Security-Policy of a page whose only scripts are ``scripts`` (inline,
    exact text): nothing else may run, load or submit anywhere. Styles may be inline
    (they cannot run script); images are the page's own files or inline."""
    script_src = " ".join(script_hash(s) for s in scripts) or "'none'"
    return ("default-src 'none'; script-src " + script_src + "; style-src 'unsafe-inline'; "
            "img-src 'self' file: data:; base-uri 'none'; form-action 'none'; "
            "object-src 'none'")


def csp_meta(*scripts: str) -> str:
    """The ``<meta http-equiv="Content-Security-Policy">`` element for :func:`csp`."""
    return ('<meta http-equiv="Content-Security-Policy" content="'
            + html.escape(csp(*scripts), quote=True) + '"/>')
