"""OAuth2 client credentials for the 3.1 API: clients, roles, scopes and the bearer tokens we issue.

Two roles, as openadr3.yaml's scopes describe them: a VEN client reads what is targeted at it and its own
objects and writes reports, subscriptions, vens and resources; a business-logic (BL) client reads
everything and writes programs, events, subscriptions, vens and resources. Tokens are random, held in
memory, and expire after `TOKEN_LIFETIME` (a restarted VTN makes clients fetch new ones: 401).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ven.clock import Clock
from ven.http.auth import is_loopback

TOKEN_LIFETIME = timedelta(hours=1)
DEFAULT_CLIENTS = (("ven", "ven-secret", "ven"), ("bl", "bl-secret", "bl"))


class Role(StrEnum):
    VEN = "ven"
    BL = "bl"


SCOPES: dict[Role, tuple[str, ...]] = {
    Role.VEN: (
        "read_targets",
        "read_ven_objects",
        "write_reports",
        "write_subscriptions",
        "write_vens",
    ),
    Role.BL: (
        "read_all",
        "read_bl",
        "write_programs",
        "write_events",
        "write_subscriptions",
        "write_vens",
    ),
}


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    secret: str
    role: Role


@dataclass(frozen=True)
class Principal:
    """Who made a request: the client id its token was issued to, and that client's role."""

    client_id: str
    role: Role

    @property
    def is_bl(self) -> bool:
        return self.role is Role.BL


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in_s: int
    scope: str


class CredentialsError(Exception):
    """Unknown client or wrong secret."""


def parse_client(text: str, role: Role) -> OAuthClient:
    """`ID:SECRET` as given on the command line; raises ValueError."""
    client_id, sep, secret = text.partition(":")
    if not sep or not client_id or not secret:
        raise ValueError(f"{text!r} is not ID:SECRET")
    return OAuthClient(client_id, secret, role)


class TokenIssuer:
    def __init__(self, clients: list[OAuthClient], clock: Clock) -> None:
        self._clients = {c.client_id: c for c in clients}
        self._clock = clock
        self._tokens: dict[str, tuple[Principal, datetime]] = {}

    def issue(self, client_id: str, secret: str) -> IssuedToken:
        client = self._clients.get(client_id)
        # Compare against something even for an unknown id, so timing does not tell which ids exist.
        expected = client.secret if client else secrets.token_hex(16)
        if not hmac.compare_digest(secret.encode(), expected.encode()) or client is None:
            raise CredentialsError
        now = self._clock.now()
        self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}  # drop expired ones
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (Principal(client.client_id, client.role), now + TOKEN_LIFETIME)
        return IssuedToken(token, int(TOKEN_LIFETIME.total_seconds()), " ".join(SCOPES[client.role]))

    def role_of(self, client_id: str) -> Role | None:
        client = self._clients.get(client_id)
        return client.role if client else None

    def principal(self, authorization: str | None) -> Principal | None:
        """The principal of an `Authorization: Bearer …` header, or None (missing, unknown or expired)."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        found = self._tokens.get(authorization.removeprefix("Bearer ").strip())
        if found is None or found[1] <= self._clock.now():
            return None
        return found[0]


def resolve_clients(given: list[OAuthClient], host: str) -> list[OAuthClient]:
    """The configured clients; with none, on loopback only, the documented test clients."""
    if given:
        return given
    if not is_loopback(host):
        raise ValueError(
            f"the OpenADR 3.1 API on {host} needs credentials: --oauth-client ID:SECRET "
            "(VEN clients) and/or --oauth-bl-client ID:SECRET (business-logic clients)"
        )
    return [OAuthClient(client_id, secret, Role(role)) for client_id, secret, role in DEFAULT_CLIENTS]
