"""Refuse hostile XML before any parser sees it.

openleadr validates every incoming message with lxml, and lxml 6.1.3 / libxml2 2.14.6 segfault on nested
entity declarations ("billion laughs"). OpenADR 2.0b messages never carry a DOCTYPE, so any markup
declaration is refused outright, as are bodies over a size limit and encodings that could hide one.
"""

from __future__ import annotations

import re

DEFAULT_MAX_BYTES = 1_000_000

# `<!` opens a comment, CDATA, or a markup declaration (DOCTYPE, ENTITY, ELEMENT, ATTLIST, NOTATION).
_MARKUP = re.compile(rb"<!(?!--|\[CDATA\[)")
_PROCESSING = re.compile(rb"<\?(?!xml[\s?])", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ALLOWED_ENCODINGS = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
_UTF8_BOM = b"\xef\xbb\xbf"


class HostileXMLError(ValueError):
    """The body was refused unparsed; `reason` says why in a form safe to log."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def check_xml(body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Raise HostileXMLError unless `body` is a plausible, declaration-free UTF-8 XML document."""
    if len(body) > max_bytes:
        raise HostileXMLError(f"body of {len(body)} bytes exceeds the {max_bytes}-byte limit")
    if not body.strip():
        raise HostileXMLError("empty body")
    body = body.removeprefix(_UTF8_BOM)
    # UTF-16/32 (NUL bytes) would let a declaration slip past a byte-level scan.
    if b"\x00" in body:
        raise HostileXMLError("NUL bytes: only UTF-8 XML is accepted")
    declared = _XML_DECL_ENCODING.match(body)
    if declared and declared.group(1).lower() not in _ALLOWED_ENCODINGS:
        raise HostileXMLError(f"encoding {declared.group(1).decode('ascii')!r} not accepted (UTF-8 only)")
    if _MARKUP.search(body):
        raise HostileXMLError("DOCTYPE or entity declaration present (never part of OpenADR 2.0b)")
    if _PROCESSING.search(body):
        raise HostileXMLError("processing instruction present")
    if not body.lstrip().startswith(b"<"):
        raise HostileXMLError("not XML")
