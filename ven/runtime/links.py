"""The VTN link `[ven] protocol` asks for: OpenADR 2.0b (ven.openadr.client.VenClient) or 3.1
(ven.openadr3.link.OpenADR3Link), each wired to the same event flow, book, store and report sources."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ven.openadr.client import Registration, Security, VenClient
from ven.openadr3.client import OAuthSettings, Vtn3Client
from ven.openadr3.convert import resource_names
from ven.openadr3.link import OpenADR3Link
from ven.openadr3.link import Registration as Registration3
from ven.openadr3.reporting import Reporter3
from ven.openadr3.webhook import WebhookReceiver
from ven.storage import Registration as StoredRegistration

if TYPE_CHECKING:
    from ven.clock import Clock
    from ven.events import EventBook
    from ven.openadr.reports import ReportSources
    from ven.runtime.config import VenConfig
    from ven.runtime.eventflow import EventFlow
    from ven.runtime.link import VtnLink
    from ven.storage import Store


def vtn_link(
    config: VenConfig,
    store: Store,
    flow: EventFlow,
    *,
    sources: ReportSources,
    book: EventBook,
    clock: Clock,
) -> VtnLink:
    if config.ven.protocol == "openadr3":
        return _openadr3(config, store, flow, sources=sources, book=book, clock=clock)
    return _openadr2b(config, store, flow, sources=sources, book=book, clock=clock)


def _openadr3(
    config: VenConfig,
    store: Store,
    flow: EventFlow,
    *,
    sources: ReportSources,
    book: EventBook,
    clock: Clock,
) -> OpenADR3Link:
    oauth = config.oauth
    if oauth is None:  # the config refuses openadr3 without [oauth]
        raise ValueError("openadr3 needs [oauth]")
    client = Vtn3Client(
        config.ven.vtn_url,
        OAuthSettings(oauth.client_id, oauth.client_secret, config.token_url),
        ssl_context=config.security.https_context(),
    )

    def persist(new: Registration3) -> None:
        book.ven_id = new.ven_id
        store.registration.save(
            StoredRegistration(
                new.ven_id, new.registration_id, vtn_id="", poll_freq_s=new.poll_interval.total_seconds()
            )
        )

    listen = config.ven.webhook_listen
    webhook = WebhookReceiver(listen, config.ven.webhook_url) if listen else None
    return OpenADR3Link(
        config.ven.name,
        client,
        on_distribution=flow.on_distribution,
        on_event=flow.on_event,
        reporter=Reporter3(sources.usage, config.ven.name),
        resources=resource_names(sources.sites),
        clock=clock,
        on_registration=persist,
        report_tick=config.reports.sampling / config.chargers.time_scale,
        webhook=webhook,
    )


def _openadr2b(
    config: VenConfig,
    store: Store,
    flow: EventFlow,
    *,
    sources: ReportSources,
    book: EventBook,
    clock: Clock,
) -> VenClient:
    stored = store.registration.load()
    registration = (
        None
        if stored is None
        else Registration(
            stored.ven_id, stored.registration_id, timedelta(seconds=stored.poll_freq_s or 10.0)
        )
    )

    async def persist(new: Registration) -> None:
        book.ven_id = new.ven_id  # before the first oadrDistributeEvent: events target our venID
        store.registration.save(
            StoredRegistration(
                new.ven_id, new.registration_id, vtn_id="", poll_freq_s=new.poll_interval.total_seconds()
            )
        )

    security = config.security
    return VenClient(
        config.ven.name,
        config.ven.vtn_url,
        on_event=flow.on_event,
        on_distribution=flow.on_distribution,
        on_registration=persist,
        reports=sources,
        registration=registration,
        security=Security(
            cert=None if security.cert is None else str(security.cert),
            key=None if security.key is None else str(security.key),
            passphrase=security.passphrase,
            ca_file=None if security.ca_file is None else str(security.ca_file),
            vtn_fingerprint=security.vtn_fingerprint,
            check_hostname=security.check_hostname,
        ),
        answered=flow.answered,
        on_answered=flow.on_answered,
        clock=clock,
        report_tick=config.reports.sampling / config.chargers.time_scale,
        report_batch=config.reports.backlog_batch,
    )
