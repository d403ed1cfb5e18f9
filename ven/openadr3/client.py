"""An OpenADR 3.1 VEN client over aiohttp: OAuth2 client credentials, the VEN's ven and resources, programs,
events and reports (openadr3.yaml).

Every answer the VTN gives that is not 2xx becomes a typed error (VtnHttpError with the problem's detail,
VtnUnreachableError for a connection that failed or timed out, VtnAnswerError for a 2xx body that is no
JSON we can read); nothing here raises anything else on a VTN's behalf. The bearer token is fetched before
the first request, renewed before it expires (`TOKEN_MARGIN`) and once more when the VTN answers 401 (a
restarted VTN forgets the tokens it issued).
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from pydantic import ValidationError

from ven.errors import V2XError
from ven.openadr3.models import (
    ClientCredentialResponse,
    ObjectOperation,
    ObjectType,
    Operation,
    Problem,
    Program,
    Report,
    ReportRequest,
    Resource,
    Subscription,
    SubscriptionRequest,
    Ven,
)

logger = logging.getLogger(__name__)

TOKEN_MARGIN_S = 60.0  # renew a token this long before it expires (or at half its life if shorter)
PAGE = 50  # openadr3.yaml's largest `limit`
MAX_OBJECTS = 10_000  # per search: far beyond one VEN's programs, events or reports
TIMEOUT = aiohttp.ClientTimeout(total=15)
MAX_ANSWER_BYTES = 4_000_000  # a VTN answer beyond this is refused unread
M = TypeVar("M", Ven, Resource, Report, Subscription)


class OpenADR3Error(V2XError):
    """The 3.1 VTN could not be used for one request."""


class VtnUnreachableError(OpenADR3Error):
    """No answer: the connection failed or timed out."""


class VtnAnswerError(OpenADR3Error):
    """A 2xx answer whose body we cannot read as what was asked for."""


class VtnHttpError(OpenADR3Error):
    """A 4xx/5xx answer; `detail` from its problem body where it has one."""

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"{method} {path}: HTTP {status}: {detail}")


class AuthRefusedError(VtnHttpError):
    """The token endpoint refused our client credentials."""


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    client_id: str
    client_secret: str
    token_url: str


@dataclass(frozen=True, slots=True)
class Exchange:
    """One API request and its answer, for observers (tests check them against openadr3.yaml); token
    requests are not shown (they carry the client secret and the token)."""

    method: str
    url: str
    request_body: bytes | None
    request_type: str
    status: int
    body: bytes
    content_type: str
    bearer: bool  # whether it carried our bearer token (never the token itself)


Observer = Callable[[Exchange], None]


@dataclass
class _Token:
    value: str
    renew_at: float  # time.monotonic()


class Vtn3Client:
    """One client session with a 3.1 VTN at `base_url` (…/openadr3/3.1.0)."""

    def __init__(
        self,
        base_url: str,
        oauth: OAuthSettings,
        *,
        observer: Observer | None = None,
        timeout: aiohttp.ClientTimeout = TIMEOUT,
        monotonic: Callable[[], float] = time.monotonic,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._oauth = oauth
        self.observer = observer
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._token: _Token | None = None
        self._monotonic = monotonic  # token lifetimes (tests inject their own)
        self._ssl = ssl_context  # None: the system's CAs for https

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- plumbing ---------------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else True)
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session

    async def _exchange(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None,
        content_type: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes, str]:
        sent = dict(headers)
        if body is not None:
            sent["Content-Type"] = content_type
        try:
            async with self._http().request(
                method, url, data=body, headers=sent, params=params, allow_redirects=False
            ) as resp:
                raw = await _read_capped(resp, MAX_ANSWER_BYTES)
                status, answered_type, final_url = resp.status, resp.content_type, str(resp.url)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise VtnUnreachableError(f"{method} {url}: {type(err).__name__}: {err}") from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise VtnAnswerError(f"{method} {url}: answer over {MAX_ANSWER_BYTES} bytes")
        if self.observer is not None and url != self._oauth.token_url:  # never the credentials or token
            bearer = "Authorization" in headers
            self.observer(Exchange(method, final_url, body, content_type, status, raw, answered_type, bearer))
        return status, raw, answered_type

    async def _bearer(self, *, renew: bool = False) -> str:
        token = self._token
        if renew or token is None or self._monotonic() >= token.renew_at:
            token = self._token = await self._fetch_token()
        return token.value

    async def _fetch_token(self) -> _Token:
        oauth = self._oauth
        encoded = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": oauth.client_id,
                "client_secret": oauth.client_secret,
            }
        ).encode()
        status, raw, _ = await self._exchange(
            "POST",
            oauth.token_url,
            body=encoded,
            content_type="application/x-www-form-urlencoded",
            headers={"Accept": "application/json"},
        )
        if status >= 300:
            raise AuthRefusedError("POST", oauth.token_url, status, _detail(raw))
        try:
            answer = ClientCredentialResponse.model_validate_json(raw)
        except ValidationError as err:
            raise VtnAnswerError(
                f"POST {oauth.token_url}: not a token answer ({err.error_count()} errors)"
            ) from None
        lifetime_s = float(answer.expires_in) if answer.expires_in and answer.expires_in > 0 else 3600.0
        margin_s = min(TOKEN_MARGIN_S, lifetime_s / 2)
        return _Token(answer.access_token, self._monotonic() + lifetime_s - margin_s)

    async def call(
        self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None
    ) -> Any:
        """The parsed JSON answer of one API request; a 401 renews the token and tries once more."""
        data = None if body is None else json.dumps(body).encode()
        url = self.base_url + path
        for attempt in (0, 1):
            headers = {"Authorization": f"Bearer {await self._bearer(renew=attempt > 0)}"}
            status, raw, _ = await self._exchange(
                method, url, body=data, content_type="application/json", headers=headers, params=params
            )
            if status != 401:
                break
            logger.info("%s %s: 401, renewing the token", method, path)
        if status >= 300:
            raise VtnHttpError(method, path, status, _detail(raw))
        try:
            return json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise VtnAnswerError(f"{method} {path}: the answer is not JSON") from None

    async def _list(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
        """Every object of a search, page by page."""
        found: list[Any] = []
        while True:
            page = await self.call(
                "GET", path, params={**(params or {}), "skip": str(len(found)), "limit": str(PAGE)}
            )
            if not isinstance(page, list):
                raise VtnAnswerError(f"GET {path}: expected a list")
            found.extend(page)
            if len(page) < PAGE:
                return found
            if len(found) >= MAX_OBJECTS:  # a VTN that ignores `skip` would page for ever
                raise VtnAnswerError(f"GET {path}: more than {MAX_OBJECTS} objects")

    # -- the API ----------------------------------------------------------------------------------

    async def register(self, ven_name: str) -> Ven:
        """This client's ven object named `ven_name`: found, else created."""
        for raw in await self._list("/vens", {"venName": ven_name}):
            ven = _parsed(Ven, raw, "/vens")
            if ven.ven_name == ven_name:
                return ven
        created = await self.call("POST", "/vens", {"objectType": "VEN_VEN_REQUEST", "venName": ven_name})
        return _parsed(Ven, created, "/vens")

    async def ensure_resources(self, ven_id: str, names: tuple[str, ...]) -> dict[str, str]:
        """resourceName → resource id for each of `names` under our ven (created where missing)."""
        known = {
            r.resource_name: r.id
            for raw in await self._list("/resources", {"venID": ven_id})
            if (r := _parsed(Resource, raw, "/resources")).ven_id == ven_id
        }
        for name in names:
            if name not in known:
                body = {"objectType": "VEN_RESOURCE_REQUEST", "resourceName": name, "venID": ven_id}
                known[name] = _parsed(Resource, await self.call("POST", "/resources", body), "/resources").id
        return {name: known[name] for name in names}

    async def programs(self) -> list[Program]:
        """Programs we may read; one the VEN cannot parse is logged and left out."""
        out = []
        for raw in await self._list("/programs"):
            try:
                out.append(Program.model_validate(raw))
            except ValidationError as err:
                logger.warning(
                    "program %r left out: %s", _raw_id(raw), err.errors(include_url=False)[0]["msg"]
                )
        return out

    async def events(self) -> list[Any]:
        """Events targeted at us, as parsed JSON: each is converted (or refused) on its own."""
        return await self._list("/events")

    async def subscribe(self, client_name: str, callback_url: str, bearer_token: str) -> str:
        """Replace our subscriptions with one for every change of programs and events; its id."""
        for raw in await self._list("/subscriptions", {"clientName": client_name}):
            old = _parsed(Subscription, raw, "/subscriptions")
            if old.client_name == client_name:
                await self.call("DELETE", f"/subscriptions/{old.id}")
        body = SubscriptionRequest(
            client_name=client_name,
            object_operations=[
                ObjectOperation(
                    objects=[ObjectType.PROGRAM, ObjectType.EVENT],
                    operations=[Operation.CREATE, Operation.UPDATE, Operation.DELETE],
                    callback_url=callback_url,
                    bearer_token=bearer_token,
                )
            ],
        )
        created = await self.call("POST", "/subscriptions", body.wire())
        return _parsed(Subscription, created, "/subscriptions").id

    async def find_report(self, event_id: str, client_name: str) -> str | None:
        """The id of our report about `event_id`, if the VTN has one."""
        for raw in await self._list("/reports", {"eventID": event_id, "clientName": client_name}):
            report = _parsed(Report, raw, "/reports")
            if report.event_id == event_id and report.client_name == client_name:
                return report.id
        return None

    async def create_report(self, report: ReportRequest) -> str:
        created = await self.call("POST", "/reports", report.wire())
        return _parsed(Report, created, "/reports").id

    async def update_report(self, report_id: str, report: ReportRequest) -> None:
        await self.call("PUT", f"/reports/{report_id}", report.wire())


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, or the first `limit` + 1 bytes of one that is longer (the caller refuses it)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1]


def _parsed(model: type[M], raw: Any, path: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise VtnAnswerError(f"{path}: not a {model.__name__} ({where}: {first['msg']})") from None


def _raw_id(raw: Any) -> object:
    return raw.get("id") if isinstance(raw, dict) else None


def _detail(raw: bytes) -> str:
    """What a refusal says: its problem's detail or title, an RFC 6749 error, else the start of the body."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return raw[:200].decode("utf-8", "replace") or "(no body)"
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            return str(data.get("error_description") or data["error"])
        try:
            problem = Problem.model_validate(data)
        except ValidationError:
            return str(data)[:200]
        return problem.detail or problem.title or "(no detail)"
    return str(data)[:200]
