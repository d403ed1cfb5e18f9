"""openleadr's message templates, rendered so that no value can break the XML (openleadr 0.5.36 bug).

openleadr renders its Jinja templates with autoescaping off: a vtnComment "R&D heat wave", a marketContext
with `&`, a resourceID with `<`, an eventID or a response description echoing what a peer sent, all go into
the document raw and make it not well-formed. `ESCAPING_TEMPLATES` is the same template set with every
value escaped as XML character data: `&`, `<`, `>` and quotes become references, so `]]>` cannot end
anything; line breaks and tabs become character references (openleadr flattens documents line by line and
would otherwise drop them); characters XML 1.0 cannot carry at all (control characters, lone surrogates,
U+FFFE/U+FFFF) become U+FFFD. Pre-rendered XML (the signed object and its signature in the oadrPayload
envelope) is marked safe by the templates themselves and passes unchanged. Both sides (our VEN and the mock
VTN) render only through this (ven.security.signing).
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape
from openleadr.messaging import TEMPLATES

# Everything XML 1.0 allows in a document (its Char production); the rest cannot even be referenced.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAKS = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_BREAK = re.compile("[\t\n\r]")


def xml_text(value: str) -> Markup:
    """`value` as XML character data: escaped, line breaks as references, unrepresentable characters
    replaced by U+FFFD."""
    escaped = str(escape(_NOT_XML.sub("\ufffd", value)))
    return Markup(_BREAK.sub(lambda m: _BREAKS[m.group()], escaped))  # noqa: S704 - escaped just above


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup | int | float):  # XML the template marked safe; numbers, booleans
        return value
    return xml_text(str(value))


ESCAPING_TEMPLATES: Environment = TEMPLATES.overlay(autoescape=True, finalize=_finalize)
