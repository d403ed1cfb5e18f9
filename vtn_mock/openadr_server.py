"""The one module that wraps openleadr's OpenADRServer (0.5.36), with its workarounds.

We keep openleadr for what it does well — schema validation, parsing, message templates, XML signatures, TLS
client authentication — and route its messages into `VtnCore`:

- Polling is 'external' (`on_poll`): openleadr's own event queues lose modifications and never call
  `on_created_event` for events added with `add_event`; our core decides what each VEN gets.
- `oadrCreatedEvent`, `oadrRegisterReport`, `oadrUpdateReport` and `oadrCreatedReport` get our own message
  handlers: openleadr's public hooks drop the ven_id (full-mode `on_register_report`, `on_update_report`),
  `on_update_report` is silent once any report callback exists, and its `oadrCreatedReport` handler
  raises KeyError (HTTP 500) for report requests it did not make itself.
- openleadr's Opt service is a stub with no route (404) whose handlers return nothing; we add an EiOpt
  endpoint whose oadrCreateOpt / oadrCancelOpt handlers keep the VENs' opt schedules (vtn_mock.opts).
- openleadr keeps settings (`ven_lookup`, signing, signature checks) on the VTNService *class*: one
  endpoint per process. The serve command runs one; tests start servers as subprocesses.
- We build the aiohttp app ourselves so the XML guard middleware sits in front of every openleadr handler.
- Signing: openleadr parses (and validates) the PEM key for every message it signs (~76 ms with RSA); every
  service here gets a `ven.security.signing.MessageFactory` with the key loaded once.
- Signature checks: openleadr checks them only on messages that carry a venID (never on registration), reads
  ReplayProtect from anywhere in the document and keeps nonces in a process-wide set. Its check is off; over
  TLS each message's signature is verified here first (`ven.security.verify`, one replay guard per endpoint):
  signed by the client's TLS certificate, valid, fresh and never seen before — else oadrResponse 463.
"""

from __future__ import annotations

import logging
import ssl
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from lxml import etree
from openleadr import OpenADRServer, errors, utils
from openleadr.enums import STATUS_CODES
from openleadr.messaging import validate_xml_schema
from openleadr.service import OptService

from ven.security.keys import load_credentials
from ven.security.signing import OADR_NS, MessageFactory, MessageSigner
from ven.security.verify import SignatureError, SignatureVerifier
from vtn_mock.config import TlsSection
from vtn_mock.core import RegistrationRefusedError, VtnCore
from vtn_mock.guard import xml_guard
from vtn_mock.opts import OptPayloadError, opt_from_openleadr
from vtn_mock.parsed import as_list

logger = logging.getLogger("vtn_mock.openadr")

PATH_PREFIX = "/OpenADR2/Simple/2.0b"
Reply = tuple[str, dict[str, Any]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class OpenADREndpoint:
    """The OpenADR 2.0b side of the mock VTN."""

    def __init__(
        self,
        core: VtnCore,
        vtn_id: str,
        poll_interval: timedelta,
        tls: TlsSection | None = None,
        max_body_bytes: int = 1_000_000,
    ) -> None:
        self._core = core
        self._max_body_bytes = max_body_bytes
        sign = tls is not None and tls.sign_messages
        with (
            warnings.catch_warnings()
        ):  # openleadr stores a str key in its aiohttp app; we do not serve that app
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            self._server = self._make_server(vtn_id, poll_interval)
        server = self._server
        server.add_handler("on_create_party_registration", self._on_create_party_registration)
        server.add_handler("on_cancel_party_registration", self._on_cancel_party_registration)
        server.add_handler("on_poll", self._on_poll)
        server.add_handler("on_request_event", self._on_request_event)
        services = server.services
        services["event_service"].handlers["oadrCreatedEvent"] = self._created_event
        report_service = services["report_service"]
        report_service.handlers["oadrRegisterReport"] = self._register_report
        report_service.handlers["oadrUpdateReport"] = self._update_report
        report_service.handlers["oadrCreatedReport"] = self._created_report
        self._opt_service = OptService(vtn_id)
        self._opt_service.handlers["oadrCreateOpt"] = self._create_opt
        self._opt_service.handlers["oadrCancelOpt"] = self._cancel_opt
        signer = MessageSigner(load_credentials(tls.cert, tls.key)) if tls and sign else None
        self._factory = MessageFactory(signer)
        for service in self._services():
            service._create_message = self._factory  # noqa: SLF001  # instead of openleadr's per-message parse
        self._verifier = SignatureVerifier() if tls and tls.verify_signatures else None

    def _services(self) -> list[Any]:
        return [*self._server.services.values(), self._opt_service]

    def _make_server(self, vtn_id: str, poll_interval: timedelta) -> OpenADRServer:
        return OpenADRServer(
            vtn_id=vtn_id,
            show_fingerprint=False,
            requested_poll_freq=poll_interval,
            ven_lookup=self._ven_lookup,
            verify_message_signatures=False,  # verified in `_signature_refusal` instead
            http_path_prefix=PATH_PREFIX,
        )

    def build_app(self) -> web.Application:
        """The aiohttp app: openleadr's service handlers behind the XML guard, under /OpenADR2/Simple/2.0b."""
        app = web.Application(
            client_max_size=self._max_body_bytes,
            middlewares=[xml_guard(self._max_body_bytes, PATH_PREFIX + "/")],
        )
        for service in self._services():
            app.router.add_post(f"{PATH_PREFIX}/{service.__service_name__}", self._verified(service.handler))
        return app

    def _verified(self, handler: Handler) -> Handler:
        """`handler` behind the signature check (over TLS, when signatures are verified)."""

        async def handle(request: web.Request) -> web.StreamResponse:
            if self._verifier is not None and request.secure:
                refusal = await self._signature_refusal(request, self._verifier)
                if refusal is not None:
                    return refusal
            return await handler(request)

        return handle

    async def _signature_refusal(
        self, request: web.Request, verifier: SignatureVerifier
    ) -> web.Response | None:
        """oadrResponse 463 for an unsigned, badly signed or replayed message, or one signed by a certificate
        other than the TLS client's; None to let openleadr handle it (schema errors: openleadr's 400)."""
        try:
            tree = validate_xml_schema(await request.read())  # the guard has already refused hostile bodies
        except etree.XMLSyntaxError:
            return None
        client = utils.get_cert_fingerprint_from_request(request)
        try:
            verifier.verify(tree, expected_fingerprint=client)
        except SignatureError as err:
            message = tree.find(f"{{{OADR_NS}}}oadrSignedObject/*")
            message_type = etree.QName(message).localname if message is not None else "?"
            ven_id = tree.findtext(".//{http://docs.oasis-open.org/ns/energyinterop/201110}venID")
            logger.warning(f"refused {message_type} from {request.remote} ({client}): {err}")
            text = self._factory(
                "oadrResponse",
                response={
                    "response_code": STATUS_CODES.NOT_REGISTERED_OR_AUTHORIZED,
                    "response_description": f"signature refused: {err}",
                    "request_id": None,
                },
                ven_id=ven_id,
            )
            return web.Response(text=text, content_type="application/xml")
        return None

    # Registration
    def _ven_lookup(self, ven_id: str) -> dict[str, Any] | None:
        """Asked on every message: unknown VENs must re-register; over TLS, the fingerprint is checked."""
        ven = self._core.ven(ven_id)
        if ven is None:
            return None
        return {
            "ven_id": ven.ven_id,
            "ven_name": ven.ven_name,
            "registration_id": ven.registration_id,
            "fingerprint": self._core.expected_fingerprint(ven),
        }

    async def _on_create_party_registration(self, payload: dict[str, Any]) -> tuple[str, str]:
        name = payload.get("ven_name")
        if not name:
            raise errors.InvalidDataError("venName is required")
        try:
            ven = self._core.register(str(name), payload.get("fingerprint"))
        except RegistrationRefusedError as err:
            logger.warning(f"registration refused: {err}")
            raise errors.NotRegisteredOrAuthorizedError(str(err)) from None
        return ven.ven_id, str(ven.registration_id)

    async def _on_cancel_party_registration(self, payload: dict[str, Any]) -> Reply:
        ven_id = str(payload.get("ven_id"))
        self._core.cancel_registration(ven_id)
        return "oadrCanceledPartyRegistration", {
            "registration_id": payload.get("registration_id"),
            "ven_id": ven_id,
        }

    # Events
    async def _on_poll(self, ven_id: str) -> Reply | None:
        events = self._core.on_poll(ven_id)
        return ("oadrDistributeEvent", {"events": events}) if events else None

    async def _on_request_event(self, ven_id: str) -> list[dict[str, Any]] | None:
        return self._core.distribution(ven_id) or None

    async def _created_event(self, payload: dict[str, Any]) -> Reply:
        ven_id = str(payload.get("ven_id"))
        for response in as_list(payload.get("event_responses")):
            known = self._core.record_opt(
                ven_id,
                str(response.get("event_id")),
                response.get("modification_number"),
                str(response.get("opt_type")),
                via="oadrCreatedEvent",
            )
            if not known:
                logger.warning(f"VEN {ven_id} answered unknown event {response.get('event_id')!r}")
        return "oadrResponse", {}

    async def _create_opt(self, payload: dict[str, Any]) -> Reply:
        """Keep the opt schedule (availability windows, or an opt about one event)."""
        try:
            schedule = opt_from_openleadr(payload, self._core.clock.now())
        except OptPayloadError as err:
            raise errors.InvalidDataError(str(err)) from None
        self._core.record_opt_schedule(schedule)
        return "oadrCreatedOpt", {"opt_id": schedule.opt_id}

    async def _cancel_opt(self, payload: dict[str, Any]) -> Reply:
        ven_id, opt_id = str(payload.get("ven_id")), str(payload.get("opt_id"))
        if not self._core.cancel_opt_schedule(ven_id, opt_id):
            raise errors.InvalidIdError(f"VEN {ven_id} has no live opt {opt_id!r}")
        return "oadrCanceledOpt", {"opt_id": opt_id}

    # Reports
    async def _register_report(self, payload: dict[str, Any]) -> Reply:
        requests = self._core.register_reports(str(payload.get("ven_id")), as_list(payload.get("reports")))
        return "oadrRegisteredReport", {"report_requests": requests}

    async def _update_report(self, payload: dict[str, Any]) -> Reply:
        ven_id = str(payload.get("ven_id"))
        for report in as_list(payload.get("reports")):
            self._core.record_report(ven_id, report)
        return "oadrUpdatedReport", {}

    async def _created_report(self, payload: dict[str, Any]) -> Reply:
        pending = [r.get("report_request_id") for r in as_list(payload.get("pending_reports"))]
        logger.info(f"VEN {payload.get('ven_id')} has report requests {pending} pending")
        return "oadrResponse", {}


def server_ssl_context(tls: TlsSection, require_client_cert: bool) -> ssl.SSLContext:
    """TLS for the OpenADR port; client certificates are checked against the configured CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=tls.ca_file)
    context.load_cert_chain(tls.cert, tls.key)
    context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return context
