"""Create (and sign) OpenADR 2.0b messages with openleadr's templates and a key loaded once.

`MessageFactory` is a drop-in for openleadr's `create_message` partial (`_create_message(message_type,
**payload)`, on OpenADRClient and VTNService) and signs exactly as openleadr does — detached XML-DSig over
`#oadrSignedObject` plus an oadr ReplayProtect (timestamp + nonce) property, inclusive C14N, RSA-SHA256 or
ECDSA-SHA256 by key type — so stock openleadr peers verify our messages. What differs: the key, certificate
and signer are prepared once, not per message, and time and nonces are injected.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from lxml import etree
from openleadr import utils
from openleadr.preflight import preflight_message
from signxml import methods
from signxml.signer import XMLSigner

from ven.clock import Clock, SystemClock
from ven.openadr.templates import ESCAPING_TEMPLATES
from ven.security.keys import Credentials

logger = logging.getLogger(__name__)

OADR_NS = "http://openadr.org/oadr-2.0b/2012/07"
DSP_NS = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"
INCLUSIVE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
SIGNED_OBJECT_REF = "#oadrSignedObject"


def _new_nonce() -> str:
    return uuid.uuid4().hex


def render_signed_object(message_type: str, **payload: Any) -> str:
    """openleadr's template for `message_type`, preflighted, every value escaped (ven.openadr.templates),
    flattened: the oadrSignedObject element."""
    payload = preflight_message(message_type, payload)
    template = ESCAPING_TEMPLATES.get_template(f"{message_type}.xml")
    return str(utils.flatten_xml(template.render(**payload)))


def wrap(signed_object: str, signature: str | None) -> str:
    """The oadrPayload envelope around a signed object and its (optional) signature."""
    envelope = ESCAPING_TEMPLATES.get_template("oadrPayload.xml")
    return str(envelope.render(signature=signature, signed_object=signed_object))


class MessageSigner:
    """Signs oadrSignedObject elements with one set of credentials."""

    def __init__(
        self,
        credentials: Credentials,
        clock: Clock | None = None,
        nonce: Callable[[], str] = _new_nonce,
    ) -> None:
        self._credentials = credentials
        self._clock = clock or SystemClock()
        self._nonce = nonce
        self._sign_alg = credentials.algorithm
        self._cert_chain = [credentials.cert]  # a parsed certificate: signxml need not read PEM again

    @property
    def fingerprint(self) -> str:
        return self._credentials.fingerprint

    def signature(self, signed_object: str) -> str:
        """The detached ds:Signature element (with ReplayProtect) for this oadrSignedObject."""
        signer = XMLSigner(method=methods.detached, c14n_algorithm=INCLUSIVE_C14N)
        signer.namespaces["oadr"] = OADR_NS
        signer.sign_alg = self._sign_alg
        tree = etree.fromstring(signed_object.encode("utf-8"))
        signed = signer.sign(
            tree,
            key=self._credentials.key,
            cert=self._cert_chain,
            reference_uri=SIGNED_OBJECT_REF,
            signature_properties=self._replay_protect(),
        )
        return str(etree.tostring(signed).decode("utf-8"))

    def _replay_protect(self) -> etree._Element:
        protect = etree.Element(
            f"{{{DSP_NS}}}ReplayProtect", nsmap={"dsp": DSP_NS}, attrib={"Id": "myid", "Target": "#mytarget"}
        )
        etree.SubElement(protect, f"{{{DSP_NS}}}timestamp").text = utils.datetimeformat(self._clock.now())
        etree.SubElement(protect, f"{{{DSP_NS}}}nonce").text = self._nonce()
        return protect


class MessageFactory:
    """`factory(message_type, **payload)` -> the XML text, signed when a signer is given."""

    def __init__(self, signer: MessageSigner | None = None) -> None:
        self.signer = signer

    def __call__(self, message_type: str, **payload: Any) -> str:
        signed_object = render_signed_object(message_type, **payload)
        signature = self.signer.signature(signed_object) if self.signer is not None else None
        return wrap(signed_object, signature)
