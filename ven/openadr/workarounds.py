"""Every workaround for openleadr 0.5.36 bugs, in one place. Each has a test in
tests/openadr/test_workarounds.py named after the bug.

| bug in openleadr 0.5.36                                     | workaround (here unless noted)             |
|-------------------------------------------------------------|--------------------------------------------|
| validate_xml_schema segfaults on entity declarations        | `_perform_request`: xmlguard first         |
| parse_datetime accepts only '...Z' timestamps; a zone-less  | models refuses the string it leaves: 454   |
|   one (schema-valid) stays a string                         |   (offsets never pass the 2.0b schema)     |
| outgoing durations are truncated to whole seconds, and a    | wire.format_duration: whole seconds only,  |
|   zero duration is written "P" (not a valid duration)       |   zero is PT0S                             |
| an empty VTN answer gives None where callers unpack a tuple | `_perform_request` returns (None, {})      |
| reports share one `requested_r_ids` list (wrong timing,     | openleadr's report machinery is not used:  |
|   "No callback found"); add_report(scale=...) mutates the   |   reports.py / reporting.py offer, answer  |
|   shared enums.MEASUREMENTS; one report per sampling period |   and schedule them (reportBackDuration,   |
|   whatever the reportBackDuration; cancel_report sleeps 1 s |   granularity, 452/454/461 refusals)       |
| oadrUpdateReport renders only payloadFloat: no              | wire.py renders the report and opt         |
|   oadrPayloadResourceStatus for TELEMETRY_STATUS            |   messages with lxml; `send_signed` signs  |
|                                                             |   and posts them                           |
| create_opt keeps opts in memory only (cancel_opt after a    | client.create_opt / cancel_opt with wire,  |
|   restart refused locally), takes any answer with an optID  |   acknowledged only on 200 and our optID;  |
|   as success (error codes too); cancel_opt sends an empty   |   optIDs kept in the store (runtime)       |
|   requestID                                                 |                                            |
| a lowercase-only vtnID makes the VEN answer 452             | openleadr's `_on_event` is never used:     |
|                                                             |   `_on_event` forwards to `event_sink`     |
| an exception in on_event silently becomes optOut            | same: events.EventResponder decides        |
| tolerance.startafter parsed, never applied                  | DrEvent.startafter (runtime)               |
| the VEN never reaches status 'near' (ramp_up_period lookup) | none needed: the runtime owns statuses     |
| no implied cancellation                                     | Distribution.event_ids (runtime)           |
| run() stops polling for good when re-registration fails     | client.VenClient drives registration,      |
|   and starts a second report worker on each re-registration |   polling and re-registration itself       |
| RSA signing costs ~76 ms/message (PEM key parsed twice and  | `_create_message` is a security.signing    |
|   validated on every message)                               |   MessageFactory: key loaded once          |
| signature check reads ReplayProtect from anywhere in the    | `_parse_answer` uses security.verify       |
|   document and keeps nonces in one process-wide set with a  |   (signed ReplayProtect only, a guard per  |
|   5 s window                                                |   client)                                  |
| ca_file ignored without a client certificate; TypeError     | `_ensure_client_session`: one TLS≥1.2      |
|   with a certificate and no ca_file; no total timeout       |   context from Security, total timeout     |
| the whole answer is read into memory whatever its size      | `_read_limited` stops at max_body_bytes    |
| templates render values unescaped: `&` or `<` in any value  | templates.ESCAPING_TEMPLATES (escaped,     |
|   (an echoed eventID, a description) breaks the XML         |   security.signing renders only with it)   |
"""

from __future__ import annotations

import logging
import ssl
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import aiohttp
from openleadr.client import OpenADRClient
from openleadr.messaging import parse_message, validate_xml_schema

from ven.openadr.models import ResponseCode
from ven.openadr.xmlguard import DEFAULT_MAX_BYTES, HostileXMLError, check_xml
from ven.security.settings import Security
from ven.security.signing import MessageFactory, wrap
from ven.security.verify import FingerprintMismatchError, SignatureError
from ven.simtime import connector_options, network_exchange

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

Answer = tuple[str | None, dict[str, Any]]
# openleadr sets only sock_read=10 s: a VTN trickling a byte every 9 s would hold a request forever.
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=5, sock_read=10)


def _refusal(content: bytes, max_bytes: int) -> str | None:
    try:
        check_xml(content, max_bytes)
    except HostileXMLError as err:
        return err.reason
    return None


async def _read_limited(response: aiohttp.ClientResponse, max_bytes: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed `max_bytes` (declared or while reading)."""
    if response.content_length is not None and response.content_length > max_bytes:
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body.extend(chunk)
        if len(body) > max_bytes:
            return None
    return bytes(body)


class PatchedClient(OpenADRClient):  # type: ignore[misc]  # openleadr ships no type information
    """openleadr's OpenADRClient with the workarounds above; VenClient is its only user."""

    client_session: aiohttp.ClientSession | None

    def __init__(
        self,
        ven_name: str,
        vtn_url: str,
        *,
        ven_id: str | None = None,
        security: Security | None = None,
        max_body_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        # No cert/key to openleadr: it would keep the key bytes to re-parse per message; we sign ourselves.
        super().__init__(ven_name, vtn_url, ven_id=ven_id, show_fingerprint=False)
        security = security or Security()
        self.vtn_fingerprint = security.vtn_fingerprint
        self._create_message = MessageFactory(security.signer())
        self._verifier = security.verifier()
        self._ssl_context = security.ssl_context() if vtn_url.startswith("https:") else None
        self.max_body_bytes = max_body_bytes
        self.event_sink: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        self.refused_answers = 0
        self.untrusted_answers = 0
        self.last_status: int | None = None  # the HTTP status of the last answer (None: no answer)
        self._failure: str | None = None  # why the VTN gave no answer, while it gives none
        self._failed_requests = 0

    async def _ensure_client_session(self) -> aiohttp.ClientSession:
        if self.client_session is None:
            connector = aiohttp.TCPConnector(ssl=self._ssl_context or True, **connector_options())
            self.client_session = aiohttp.ClientSession(
                connector=connector, headers={"Content-Type": "application/xml"}, timeout=REQUEST_TIMEOUT
            )
        return self.client_session

    async def _perform_request(self, service: str, message: str) -> Answer:
        """POST one message; every VTN answer passes check_xml before any XML parser sees it."""
        session = await self._ensure_client_session()
        url = f"{self.vtn_url}/{service}"
        self.last_status = None
        try:
            with network_exchange():  # a simulated-time loop waits for the answer before moving on
                async with session.post(url, data=message) as response:
                    status = self.last_status = response.status
                    ok = status == HTTPStatus.OK
                    content = await _read_limited(response, self.max_body_bytes) if ok else b""
        except (aiohttp.ClientError, TimeoutError, ssl.SSLError) as err:
            self._failed(
                "unreachable", f"VTN unreachable at {self.vtn_url}: {type(err).__name__}: {err}", service
            )
            return None, {}
        if status != HTTPStatus.OK:
            self._failed(f"HTTP {status}", f"VTN answered HTTP {status}", service)
            return None, {}
        self._answered()
        if content is None:
            self.refused_answers += 1
            logger.error("refused the VTN's answer to %s unread: over %d bytes", service, self.max_body_bytes)
            return None, {}
        if not content.strip():
            return None, {}
        return self._parse_answer(service, content)

    def _failed(self, kind: str, why: str, service: str) -> None:
        """Log a VTN that gives no answer once when it starts (or the kind of failure changes), the
        repeats at DEBUG: one line per outage at WARNING, not one per request."""
        self._failed_requests += 1
        if kind != self._failure:
            logger.warning("%s (to %s); further failures like it are logged at DEBUG", why, service)
        else:
            logger.debug("%s (to %s)", why, service)
        self._failure = kind

    def _answered(self) -> None:
        if self._failure is not None:
            logger.warning(
                "VTN at %s answers again after %d failed requests", self.vtn_url, self._failed_requests
            )
        self._failure, self._failed_requests = None, 0

    def _parse_answer(self, service: str, content: bytes) -> Answer:
        refusal = _refusal(content, self.max_body_bytes)
        if refusal is not None:
            self.refused_answers += 1
            logger.error("refused the VTN's answer to %s unparsed: %s", service, refusal)
            return None, {}
        try:
            tree = validate_xml_schema(content)
            if self._verifier is not None:
                self._verifier.verify(tree, self.vtn_fingerprint)
            message_type, payload = parse_message(content)
        except SignatureError as err:
            self.untrusted_answers += 1
            what = "not from the pinned VTN" if isinstance(err, FingerprintMismatchError) else "untrusted"
            logger.error("ignored the VTN's answer to %s, %s: %s", service, what, err)  # noqa: TRY400
            return None, {}
        # Untrusted input: lxml, signxml and openleadr's normaliser raise many unrelated exception types
        # on bad documents; each is logged with its type and the message is dropped, as the spec allows.
        except Exception as err:  # noqa: BLE001
            logger.warning("dropped the VTN's answer to %s: %s: %s", service, type(err).__name__, err)
            return None, {}
        code = (payload.get("response") or {}).get("response_code")
        if code not in (None, ResponseCode.OK):
            logger.warning("VTN answered %s to %s with response code %s", message_type, service, code)
        return message_type, payload

    async def _on_event(self, message: dict[str, Any]) -> None:
        """openleadr's own handler answers 452 to lowercase vtnIDs and opts out on any error: never used."""
        if self.event_sink is not None:
            await self.event_sink(message)

    async def send_signed(self, service: str, signed_object: str) -> Answer:
        """POST a message rendered here (ven.openadr.wire), signed like every other one."""
        signer = self._create_message.signer
        signature = signer.signature(signed_object) if signer is not None else None
        return await self._perform_request(service, wrap(signed_object, signature))
