"""The 3.1 API's parts wired together over one `VtnCore`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ven.openadr3.models import ObjectType
from vtn_mock.core import VtnCore
from vtn_mock.openadr3.auth import OAuthClient, TokenIssuer
from vtn_mock.openadr3.context import Context
from vtn_mock.openadr3.events import Events
from vtn_mock.openadr3.notify import WebhookNotifier
from vtn_mock.openadr3.objects import ObjectStore
from vtn_mock.openadr3.parties import Parties
from vtn_mock.openadr3.programs import Programs
from vtn_mock.openadr3.reports import Reports, Subscriptions


class Service:
    def __init__(
        self,
        core: VtnCore,
        clients: list[OAuthClient],
        new_id: Callable[[str], str],
        poll_interval: timedelta,
    ) -> None:
        self.issuer = TokenIssuer(clients, core.clock)
        self.notifier = WebhookNotifier()
        self.ctx = Context(
            core, ObjectStore(core.store.connection), self.issuer, self.notifier, new_id, poll_interval
        )
        self.programs = Programs(self.ctx)
        self.events = Events(self.ctx, self.programs)
        self.parties = Parties(self.ctx)
        self.reports = Reports(self.ctx, self.events)
        self.subscriptions = Subscriptions(self.ctx, self.programs)
        self.base_url: str | None = None  # set once the port is bound; /auth/server names the token URL

    def prune_reports(self, before: datetime) -> int:
        """[retention] readings applies to 3.1 reports too: those last modified before `before` go (their
        readings go by measurement time with the core's); no notification, as no client deleted them."""
        return len(self.ctx.objects.prune(ObjectType.REPORT, before))

    async def close(self) -> None:
        await self.notifier.close()
