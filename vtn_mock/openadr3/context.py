"""What every part of the 3.1 API shares: the core, the 3.1 documents, tokens, and notification fan-out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ven.openadr3.models import Notification, ObjectType, Operation, Subscription
from vtn_mock.core import VtnCore
from vtn_mock.openadr3.auth import Principal, Role, TokenIssuer
from vtn_mock.openadr3.notify import WebhookNotifier
from vtn_mock.openadr3.objects import Doc, ObjectStore

# Renders an object for one reader (and the targets it subscribed with); None when it may not see it.
Render = Callable[[Principal, tuple[str, ...] | None], Doc | None]


@dataclass
class Context:
    core: VtnCore
    objects: ObjectStore
    issuer: TokenIssuer
    notifier: WebhookNotifier
    new_id: Callable[[str], str]
    poll_interval: timedelta

    def now(self) -> datetime:
        return self.core.clock.now()

    def stamp(self, kind: ObjectType, object_id: str, created: str | None = None) -> dict[str, Any]:
        """objectMetadata for a new or modified object."""
        now = self.now().isoformat().replace("+00:00", "Z")
        return {
            "id": object_id,
            "createdDateTime": created or now,
            "modificationDateTime": now,
            "objectType": kind.value,
        }

    def client_vens(self, client_id: str) -> list[Doc]:
        return [v for v in self.objects.all(ObjectType.VEN) if v["clientID"] == client_id]

    def granted(self, principal: Principal) -> set[str]:
        """Targets granted to a VEN client: those of its ven objects and of their resources."""
        vens = self.client_vens(principal.client_id)
        ven_ids = {v["id"] for v in vens}
        granted = {t for v in vens for t in v.get("targets") or []}
        for resource in self.objects.all(ObjectType.RESOURCE):
            if resource["venID"] in ven_ids:
                granted.update(resource.get("targets") or [])
        return granted

    def owner_view(self, doc: Doc) -> Render:
        """Objects readable by BL and by the client whose clientID they carry."""

        def render(reader: Principal, _targets: tuple[str, ...] | None) -> Doc | None:
            return doc if reader.is_bl or doc.get("clientID") == reader.client_id else None

        return render

    def notify(self, kind: ObjectType, operation: Operation, render: Render, program_id: str | None) -> None:
        """POST a notification to every subscription that asked for it and may see the object."""
        for raw in self.objects.all(ObjectType.SUBSCRIPTION):
            subscription = Subscription.model_validate(raw)
            if subscription.program_id is not None and subscription.program_id != program_id:
                continue
            role = self.issuer.role_of(subscription.client_id) or Role.VEN
            reader = Principal(subscription.client_id, role)
            targets = tuple(subscription.targets) if subscription.targets else None
            shown = render(reader, targets)
            if shown is None:
                continue
            body = Notification(
                object_type=kind, operation=operation, object=shown, targets=shown.get("targets")
            ).wire()
            for wanted in subscription.object_operations:
                if kind in wanted.objects and operation in wanted.operations:
                    self.notifier.post(wanted.callback_url, wanted.bearer_token, body)
