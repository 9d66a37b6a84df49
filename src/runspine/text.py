"""Text that quotes user-supplied input (a data cell, a notebook or parameter name) made
safe for one terminal line: control characters, newlines and escape sequences are shown
escaped (``\\n``, ``\\x1b``), never interpreted by the terminal; :func:`warn` prints one
such line as a warning."""

from __future__ import annotations

import html
import re
import sys

# control characters, line and paragraph separators, the bidirectional marks,
# embeddings, overrides and isolates (U+202E shows the rest of a line reversed), and lone
# surrogates (a file name's bytes that are not UTF-8: a UTF-8 stream cannot write them)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
                      r"\ud800-\udfff]")


def utf8_text(text: str) -> bool:
    """``text`` can be written as UTF-8: it holds no lone surrogate (how Python gives the
    bytes of a name or an argument that are not UTF-8, ``\udcff``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def one_line(text: object) -> str:
    """``text`` as one line with every control character escaped.

    >>> one_line("a\\nb\\x1b]0;title\\x07")
    'a\\\\nb\\\\x1b]0;title\\\\x07'
    """
    def esc(m: re.Match) -> str:
        ch = m.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{ord(ch):02x}"
                                                           if ord(ch) < 256 else f"\\u{ord(ch):04x}")

    return _CONTROL.sub(esc, str(text))


def esc(value: object) -> str:
    """``value`` as HTML-escaped text, safe inside an element or a quoted attribute."""
    return html.escape(str(value), quote=True)


def warn(message: str) -> None:
    """One warning line on stderr (bookkeeping problems that do not stop a build)."""
    print(f"runspine: warning: {one_line(message)}", file=sys.stderr, flush=True)
