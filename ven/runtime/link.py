"""What the runtime needs of a VTN link, whichever protocol it speaks (2.0b VenClient, 3.1 OpenADR3Link)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import timedelta

    from ven.openadr.wire import OptMessage


class LinkRegistration(Protocol):
    """This VEN as the VTN knows it (3.1 has no registrationID: the ven object's id stands in)."""

    @property
    def ven_id(self) -> str: ...

    @property
    def registration_id(self) -> str: ...

    @property
    def poll_interval(self) -> timedelta: ...


class LinkState(Protocol):
    @property
    def registration(self) -> LinkRegistration | None: ...

    @property
    def link_up(self) -> bool: ...

    @property
    def last_poll_age_s(self) -> float | None: ...


class OptLink(LinkState, Protocol):
    """Availability schedules go out through these (3.1 has no opt message: its link takes them as given)."""

    async def create_opt(self, opt: OptMessage) -> bool: ...

    async def cancel_opt(self, opt_id: str) -> bool: ...


class VtnLink(OptLink, Protocol):
    async def start(self) -> LinkRegistration: ...

    async def wait(self) -> None: ...

    async def stop(self) -> None: ...
