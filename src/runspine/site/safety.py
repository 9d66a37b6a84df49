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
_IMAGE_DATA = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,", re.IGNORECASE)


def doi_url(doi) -> str | None:
    """``https://doi.org/<doi>`` for a DOI (``10.xxxx/...``, ``doi:...`` or a doi.org
    link), or None when the text is not a DOI."""
    m = _DOI.match(str(doi or "").strip())
    if not m:
        return None
    return "https://doi.org/" + quote(m.group(1), safe="/:;()._-<>[]")


def safe_url(value) -> str | None:
    """The address itself when it is an ``http``/``https`` URL with a host, the doi.org
    link of a DOI, else None (the caller shows the text instead of a link)."""
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
        return text
    return None


def local_url_ok(value: str, image: bool = False) -> bool:
    """An address attribute's value a page may keep: no scheme (a relative link or a
    fragment, as the site writes them), http/https, or, for an image, an inline PNG,
    JPEG, GIF or WebP."""
    raw = _URL_JUNK.sub("", html.unescape(value))
    if raw.startswith("//"):
        return False  # a scheme-relative address is a remote one
    m = _SCHEME.match(raw)
    if not m:
        return True
    scheme = m.group(1).lower()
    if scheme in ("http", "https"):
        return True
    return image and bool(_IMAGE_DATA.match(raw))


_ADDRESS = re.compile(
    r"""(\s)(href|src|srcset|action|formaction|xlink:href|poster|background|data|ping)"""
    r"""(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
_DESCRIPTOR = re.compile(r"^\d+(?:\.\d+)?[wxh],?$")
_HANDLER = re.compile(r"""(\s)(on[a-z]+)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
_TAG = re.compile(r"""<[A-Za-z][A-Za-z0-9:-]*(?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*\s*/?>""")


def neutralize_urls(page: str) -> str:
    """``page`` with every address attribute that could run script or leave the
    allowed schemes removed, and every inline event handler (``onclick=`` ...): the
    element and its text stay."""

    def attribute(m: re.Match, tag: str) -> str:
        name, value = m.group(2).lower(), m.group(4)
        if value[:1] in "\"'":
            value = value[1:-1]
        image = tag in ("img", "source") and name in ("src", "srcset")
        if name == "srcset":  # candidates: a URL (no spaces), then optional descriptors
            urls = [t.rstrip(",") for t in value.split() if not _DESCRIPTOR.match(t)]
            ok = all(local_url_ok(u, image) for u in urls if u)
        else:
            ok = local_url_ok(value, image)
        return m.group(0) if ok else m.group(1) + "data-removed-" + name + '=""'

    def tag(m: re.Match) -> str:
        text = m.group(0)
        name = re.match(r"<([A-Za-z][A-Za-z0-9:-]*)", text).group(1).lower()
        text = _HANDLER.sub(lambda h: h.group(1) + "data-removed-" + h.group(2) + '=""', text)
        return _ADDRESS.sub(lambda a: attribute(a, name), text)

    return _TAG.sub(tag, page)


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
