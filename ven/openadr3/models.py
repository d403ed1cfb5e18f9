"""OpenADR 3.1.0 objects as they travel on the wire (camelCase JSON), written from openadr3.yaml.

Requests (what a client sends) and objects (what the VTN answers, with its metadata) are separate models, as
in the specification. Unknown properties are ignored (Definition, "Required and optional properties").
Durations stay ISO 8601 strings checked against the specification's pattern (`ven.openadr3.timing` turns
them into timedeltas); times are RFC 3339 date-times with an offset.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# The specification's patterns and bounds.
DURATION_PATTERN = (
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
INT32_MAX = 2**31 - 1

ObjectID = Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]*$", min_length=1, max_length=128)]
Name128 = Annotated[str, Field(min_length=1, max_length=128)]
ClientID = Name128
Target = Name128
Duration = Annotated[str, Field(pattern=DURATION_PATTERN)]
Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]


def _absolute_uri(value: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise ValueError("must be an absolute URI")
    return value


Uri = Annotated[str, Field(min_length=2, max_length=8000), AfterValidator(_absolute_uri)]


class ObjectType(StrEnum):
    PROGRAM = "PROGRAM"
    EVENT = "EVENT"
    REPORT = "REPORT"
    SUBSCRIPTION = "SUBSCRIPTION"
    VEN = "VEN"
    RESOURCE = "RESOURCE"


class Operation(StrEnum):
    CREATE = "CREATE"
    READ = "READ"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class Wire(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown properties ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", regex_engine="python-re"
    )

    def wire(self) -> dict[str, object]:
        """The JSON-ready dict, without properties left at null."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Metadata(Wire):
    """objectMetadata: provided by the VTN on creation and modification."""

    id: ObjectID
    created_date_time: AwareDatetime
    modification_date_time: AwareDatetime
    object_type: ObjectType


class Point(Wire):
    x: float
    y: float


Value = bool | int | float | str | Point


class ValuesMap(Wire):
    type: Name128
    values: list[Value]


class IntervalPeriod(Wire):
    start: AwareDatetime | None = None
    duration: Duration | None = None
    randomize_start: Duration | None = None


class Interval(Wire):
    id: Int32
    interval_period: IntervalPeriod | None = None
    payloads: list[ValuesMap]


class EventPayloadDescriptor(Wire):
    object_type: Literal["EVENT_PAYLOAD_DESCRIPTOR"] = "EVENT_PAYLOAD_DESCRIPTOR"
    payload_type: Name128
    units: Name128 | None = None
    currency: str | None = None


class ReportPayloadDescriptor(Wire):
    object_type: Literal["REPORT_PAYLOAD_DESCRIPTOR"] = "REPORT_PAYLOAD_DESCRIPTOR"
    payload_type: Name128
    reading_type: Name128 | None = None
    units: Name128 | None = None
    accuracy: float | None = None
    confidence: Annotated[int, Field(ge=0, le=100)] | None = None


PayloadDescriptor = Annotated[
    EventPayloadDescriptor | ReportPayloadDescriptor, Field(discriminator="object_type")
]


class ReportDescriptor(Wire):
    """Asks VENs for a report (Definition, reportDescriptor; User Guide 7.5)."""

    payload_type: Name128
    reading_type: Name128 | None = None
    units: Name128 | None = None
    targets: list[Target] | None = None
    aggregate: bool = False
    start_interval: Int32 = -1
    num_intervals: Int32 = -1
    historical: bool = True
    frequency: Int32 = -1
    repeat: Int32 = 1
    report_intervals: Literal["INTERVALS", "SUB_INTERVALS", "OPEN_INTERVALS"] = "INTERVALS"


class ProgramDescription(Wire):
    url: Uri = Field(alias="URL")


class ProgramRequest(Wire):
    program_name: Name128
    interval_period: IntervalPeriod | None = None
    program_descriptions: list[ProgramDescription] | None = None
    payload_descriptors: list[PayloadDescriptor] | None = None
    attributes: list[ValuesMap] | None = None
    targets: list[Target] | None = None


class Program(Metadata, ProgramRequest):
    pass


class EventRequest(Wire):
    program_id: ObjectID = Field(alias="programID")
    event_name: str | None = None
    duration: Duration | None = None
    priority: Annotated[int, Field(ge=0, le=INT32_MAX)] | None = None
    targets: list[Target] | None = None
    report_descriptors: list[ReportDescriptor] | None = None
    payload_descriptors: list[EventPayloadDescriptor] | None = None
    interval_period: IntervalPeriod | None = None
    intervals: list[Interval] | None = None


class Event(Metadata, EventRequest):
    pass


class ReportResource(Wire):
    resource_name: Name128
    interval_period: IntervalPeriod | None = None
    intervals: list[Interval]


class ReportRequest(Wire):
    event_id: ObjectID = Field(alias="eventID")
    client_name: Name128
    report_name: str | None = None
    payload_descriptors: list[ReportPayloadDescriptor] | None = None
    resources: list[ReportResource]


class Report(Metadata, ReportRequest):
    client_id: ClientID = Field(alias="clientID")


class ObjectOperation(Wire):
    objects: list[ObjectType]
    operations: list[Operation]
    callback_url: Uri
    bearer_token: str | None = None


class SubscriptionRequest(Wire):
    client_name: Name128
    program_id: ObjectID | None = Field(None, alias="programID")
    object_operations: list[ObjectOperation]
    targets: list[Target] | None = None


class Subscription(Metadata, SubscriptionRequest):
    client_id: ClientID = Field(alias="clientID")


class VenVenRequest(Wire):
    """A VEN describing itself: it may not grant itself targets."""

    object_type: Literal["VEN_VEN_REQUEST"]
    ven_name: Name128
    attributes: list[ValuesMap] | None = None


class BlVenRequest(Wire):
    """Business logic creating a ven object for a client, with the targets it grants."""

    object_type: Literal["BL_VEN_REQUEST"]
    client_id: ClientID = Field(alias="clientID")
    targets: list[Target] | None = None
    ven_name: Name128
    attributes: list[ValuesMap] | None = None


VenRequest = Annotated[VenVenRequest | BlVenRequest, Field(discriminator="object_type")]


class Ven(Metadata):
    client_id: ClientID = Field(alias="clientID")
    targets: list[Target] | None = None
    ven_name: Name128
    attributes: list[ValuesMap] | None = None


class VenResourceRequest(Wire):
    object_type: Literal["VEN_RESOURCE_REQUEST"]
    resource_name: Name128
    ven_id: ObjectID = Field(alias="venID")
    attributes: list[ValuesMap] | None = None


class BlResourceRequest(Wire):
    object_type: Literal["BL_RESOURCE_REQUEST"]
    client_id: ClientID = Field(alias="clientID")
    targets: list[Target] | None = None
    resource_name: Name128
    ven_id: ObjectID = Field(alias="venID")
    attributes: list[ValuesMap] | None = None


ResourceRequest = Annotated[VenResourceRequest | BlResourceRequest, Field(discriminator="object_type")]


class Resource(Metadata):
    client_id: ClientID = Field(alias="clientID")
    targets: list[Target] | None = None
    resource_name: Name128
    ven_id: ObjectID = Field(alias="venID")
    attributes: list[ValuesMap] | None = None


AnyObject = Program | Event | Report | Subscription | Ven | Resource


class Notification(Wire):
    """What the VTN posts to a subscription's callbackUrl (and publishes on message-queue notifiers)."""

    object_type: ObjectType
    operation: Operation
    object: dict[str, object]
    targets: list[Target] | None = None


class Problem(Wire):
    """The error body of every 4xx/5xx answer (RFC 7807, as the specification adopts it)."""

    type: Uri = "about:blank"
    title: str | None = None
    status: Annotated[int, Field(ge=100, lt=600)] | None = None
    detail: str | None = None
    instance: str | None = None


class NotifiersResponse(Wire):
    webhook: bool = Field(default=True, alias="WEBHOOK")


class AuthServerInfo(Wire):
    token_url: Uri = Field(alias="tokenURL")


class ClientCredentialResponse(BaseModel):
    """/auth/token's answer: snake_case, as RFC 6749 has it."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (the token type, not a secret)
    expires_in: int | None = None
    scope: str | None = None


class AuthError(BaseModel):
    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "invalid_scope",
        "unauthorized_client",
        "unsupported_grant_type",
    ]
    error_description: str | None = None
