"""vtn.toml, validated once at the edge into typed settings (relative paths resolve against the file)."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ven.errors import InputError
from ven.timeparse import coerce_duration

DEFAULT_VTN_ID = (
    "V2X-MOCK-VTN"  # upper case on purpose: an all-lowercase vtnID makes openleadr VENs answer 452
)


TOKEN_ENV = "VTN_MOCK_ADMIN_TOKEN"  # noqa: S105 (the variable's name, not a secret)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VtnSection(_Strict):
    vtn_id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9._:-]+$")] = DEFAULT_VTN_ID
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    poll_interval: timedelta = timedelta(seconds=10)
    database: str = "vtn-mock.sqlite"
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_000_000
    report_sampling: timedelta = timedelta(seconds=10)
    report_back_duration: timedelta | None = None  # how often VENs send each report; default: sampling
    respect_opt_outs: bool = False  # leave VENs out of events overlapping their optOut windows
    status_sampling: timedelta | None = None  # TELEMETRY_STATUS granularity (default: report_sampling)
    request_forecast: bool = True  # ask VENs that offer it for their flexibility forecast
    request_status: bool = True  # ask VENs for TELEMETRY_STATUS

    @field_validator(
        "poll_interval", "report_sampling", "report_back_duration", "status_sampling", mode="before"
    )
    @classmethod
    def _duration(cls, value: object) -> timedelta | None:
        return None if value is None else coerce_duration(value)

    @field_validator("vtn_id")
    @classmethod
    def _not_all_lowercase(cls, value: str) -> str:
        if value.isalpha() and value.islower():
            raise ValueError(
                "an all-lowercase vtn_id makes openleadr VENs refuse events (452); add capitals or digits"
            )
        return value


class AdminSection(_Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8081
    token_file: str | None = None  # read at start; the VTN_MOCK_ADMIN_TOKEN environment variable also works


class EnrolledVen(_Strict):
    name: Annotated[str, Field(min_length=1)]
    fingerprint: Annotated[str, Field(pattern=r"^([0-9A-Fa-f]{2}:){9}[0-9A-Fa-f]{2}$")]
    ven_id: str | None = None

    @field_validator("fingerprint")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()  # openleadr compares upper-case fingerprints


class EnrollmentSection(_Strict):
    mode: Literal["open", "enrolled"] = "open"
    vens: list[EnrolledVen] = []

    @model_validator(mode="after")
    def _unique(self) -> EnrollmentSection:
        names = [v.name for v in self.vens]
        if len(names) != len(set(names)):
            raise ValueError("VEN names in [[enrollment.vens]] must be unique")
        return self


class TlsSection(_Strict):
    cert: str  # the VTN's certificate (TLS server and message signing)
    key: str
    ca_file: str  # client certificates are checked against this CA
    sign_messages: bool = True
    verify_signatures: bool = True


class RetentionSection(_Strict):
    """[retention]: how long the mock VTN keeps report readings and VEN registration history."""

    readings: timedelta = timedelta(days=30)
    registrations: timedelta = timedelta(days=400)
    prune_every: timedelta = timedelta(hours=1)

    @field_validator("readings", "registrations", "prune_every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        duration = coerce_duration(value)
        if duration <= timedelta(0):
            raise ValueError("must be longer than zero")
        return duration


class VtnConfig(_Strict):
    vtn: VtnSection = VtnSection()
    retention: RetentionSection = RetentionSection()
    admin: AdminSection = AdminSection()
    enrollment: EnrollmentSection = EnrollmentSection()
    tls: TlsSection | None = None

    @model_validator(mode="after")
    def _enrolled_needs_tls(self) -> VtnConfig:
        if self.enrollment.mode == "enrolled" and self.tls is None:
            raise ValueError("enrollment mode 'enrolled' needs a [tls] section (cert, key, ca_file)")
        return self


def resolve(base: Path, path: str) -> str:
    """A path from a config file, relative to that file's directory."""
    candidate = Path(path)
    return str(candidate if candidate.is_absolute() else base / candidate)


def describe(err: ValidationError) -> str:
    """The first pydantic error as `where: what` on one line."""
    first = err.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"


def load_config(path: Path) -> VtnConfig:
    """Read and validate vtn.toml; relative file paths are made absolute against its directory."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err})") from None
    try:
        config = VtnConfig.model_validate(raw)
    except ValidationError as err:
        raise InputError(f"{path}: {describe(err)}") from None
    base = path.resolve().parent
    updates: dict[str, object] = {
        "vtn": config.vtn.model_copy(update={"database": resolve(base, config.vtn.database)})
    }
    if config.admin.token_file:
        updates["admin"] = config.admin.model_copy(
            update={"token_file": resolve(base, config.admin.token_file)}
        )
    if config.tls:
        tls = config.tls
        updates["tls"] = tls.model_copy(
            update={
                "cert": resolve(base, tls.cert),
                "key": resolve(base, tls.key),
                "ca_file": resolve(base, tls.ca_file),
            }
        )
    return config.model_copy(update=updates)
