"""Hostile VTN answers, built from a real signed answer of the test VTN."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
from lxml import etree

from ven.security.keys import Credentials
from ven.security.signing import OADR_NS, MessageSigner, wrap
from ven.security.verify import DS_NS

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">&lol9;</oadr:oadrPayload>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">&xxe;</oadr:oadrPayload>'
)
GARBAGE = b"<<<>>> \xff\xfe not xml &&& </oadrPayload"
TWENTY_MB = 20 * 1024 * 1024


def xml(body: bytes, status: int = 200) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def answer(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, content_type="application/xml")

    return answer


async def twenty_mb_declared(_request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"<a>" + b" " * TWENTY_MB + b"</a>", content_type="application/xml")


async def twenty_mb_chunked(request: web.Request) -> web.StreamResponse:
    """20 MB without a Content-Length: the VEN must stop reading at its limit."""
    response = web.StreamResponse(headers={"Content-Type": "application/xml"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        await response.write(b"<a>")
        for _ in range(20):
            await response.write(b" " * (1024 * 1024))
        await response.write_eof()
    except (ConnectionError, aiohttp.ClientConnectionResetError):
        pass  # the VEN hung up once over its limit: expected
    return response


async def slow_drip(request: web.Request) -> web.StreamResponse:
    """One byte every 0.1 s for 5 s: only a total timeout ends it."""
    response = web.StreamResponse(headers={"Content-Type": "application/xml"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for _ in range(50):
            await response.write(b" ")
            await asyncio.sleep(0.1)
    except (ConnectionError, aiohttp.ClientConnectionResetError):
        pass
    return response


def _tree(signed: bytes) -> etree._Element:
    return etree.fromstring(signed)


def unsigned(signed: bytes) -> bytes:
    tree = _tree(signed)
    signature = tree.find(f"{{{DS_NS}}}Signature")
    assert signature is not None
    tree.remove(signature)
    return bytes(etree.tostring(tree, xml_declaration=True, encoding="utf-8"))


def tampered(signed: bytes) -> bytes:
    """The same signed answer with one payload value changed: the digest no longer matches."""
    assert b"<ei:value>-500.0</ei:value>" in signed
    return signed.replace(b"<ei:value>-500.0</ei:value>", b"<ei:value>-9999.0</ei:value>")


def signed_by(signed: bytes, credentials: Credentials) -> bytes:
    """The same answer, validly signed, but by other credentials than the pinned VTN's."""
    signed_object = _tree(signed).find(f"{{{OADR_NS}}}oadrSignedObject")
    assert signed_object is not None
    text = etree.tostring(signed_object).decode("utf-8")
    return wrap(text, MessageSigner(credentials).signature(text)).encode("utf-8")
