"""ven.toml (CONTRACT.md, "VEN config"), validated once at the edge into typed, frozen settings.

Relative paths resolve against the config file's folder. A bad file raises InputError naming the file,
the field and (for TOML syntax errors) the line, so `ven run` exits 2 with one line.
"""

from __future__ import annotations

import csv
import ssl
import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ven.availability import RecurringWindow, Unavailability
from ven.errors import InputError
from ven.events.opt import DEFAULT_OPT_IN_SHARE
from ven.model.routine import parse_days, parse_time_of_day, parse_timezone
from ven.storage.retention import Retention
from ven.timeparse import coerce_duration


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


Duration = Annotated[timedelta, BeforeValidator(coerce_duration)]
HostPort = Annotated[str, Field(pattern=r"^$|^[^:\s]+:\d{1,5}$")]
OPENADR3_NAME_MAX = 128  # openadr3.yaml: venName


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _zone(value: object) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str):
        raise ValueError("expected an IANA time zone name such as America/New_York")  # noqa: TRY004 - pydantic reports ValueErrors
    try:
        return parse_timezone(value)
    except InputError as err:
        raise ValueError(str(err)) from None


Zone = Annotated[ZoneInfo, BeforeValidator(_zone)]


class VenSection(_Section):
    name: Annotated[str, Field(min_length=1)]
    vtn_url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    timezone: Zone = ZoneInfo("UTC")  # local times (fleet routines, opt windows) are in this zone
    # Market contexts (programmes) this VEN takes events for; events of any other are opted out. () = any.
    market_contexts: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    # The OpenADR edge: 2.0b (vtn_url ends in /OpenADR2/Simple/2.0b) or 3.1 (vtn_url is the VTN's base URL,
    # credentials in [oauth]).
    protocol: Literal["openadr2b", "openadr3"] = "openadr2b"
    # 3.1 only: HOST:PORT where the VEN takes the VTN's notifications ("" = polling only), and the URL the
    # VTN posts them to when that is not http://HOST:PORT (TLS termination in front of the VEN).
    webhook_listen: HostPort = ""
    webhook_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


class OAuthSection(_Section):
    """OAuth2 client credentials for an OpenADR 3.1 VTN; token_url default `<vtn_url>/auth/token`."""

    client_id: Annotated[str, Field(min_length=1)]
    client_secret: Annotated[str, Field(min_length=1)]
    token_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


class SecuritySection(_Section):
    cert: Path | None = None
    key: Path | None = None
    passphrase: str | None = None
    ca_file: Path | None = None
    vtn_fingerprint: str | None = None
    check_hostname: bool = True

    def https_context(self) -> ssl.SSLContext | None:
        """The 3.1 link's TLS: the utility's CA, a client certificate (mutual TLS); None: the system's CAs.
        InputError naming the files when they cannot be loaded."""
        if self.ca_file is None and self.cert is None:
            return None
        try:
            context = ssl.create_default_context(cafile=None if self.ca_file is None else str(self.ca_file))
            if self.cert is not None and self.key is not None:
                context.load_cert_chain(self.cert, self.key, self.passphrase)
        except (OSError, ssl.SSLError) as err:
            detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise InputError(
                f"security: cannot load the TLS files ({self.ca_file}, {self.cert}): {detail}"
            ) from None
        context.check_hostname = self.check_hostname
        return context


class FleetSection(_Section):
    file: Path


class ChargersSection(_Section):
    backend: Literal["simulated", "ocpp"] = "simulated"
    time_scale: Annotated[float, Field(gt=0)] = 1.0
    ocpp_listen: HostPort = "127.0.0.1:9000"
    ocpp_passwords_file: Path | None = None  # charger_id -> password (TOML or CSV): basic auth, profile 1
    ocpp_cert: Path | None = None  # the CSMS's TLS certificate (chain) and key: wss://, profile 2
    ocpp_key: Path | None = None
    ocpp_call_timeout: Duration = timedelta(seconds=5)  # per command and station
    seed: int = 0
    noise_kw: Annotated[float, Field(ge=0)] = 0.0
    # Every setpoint expires this long after it is sent: the charger then returns to baseline behaviour by
    # itself (docs/safety.md). None: two control periods. At least one control period.
    setpoint_ttl: Duration | None = None

    _check_call_timeout = field_validator("ocpp_call_timeout", "setpoint_ttl")(_positive)

    @model_validator(mode="after")
    def _ocpp_settings(self) -> ChargersSection:
        if (self.ocpp_cert is None) != (self.ocpp_key is None):
            raise ValueError("ocpp_cert and ocpp_key go together (the TLS certificate and its private key)")
        if self.backend == "ocpp" and not self.ocpp_listen:
            raise ValueError('ocpp_listen: the ocpp backend needs "HOST:PORT" to accept charge points on')
        if self.backend == "ocpp" and self.time_scale != 1.0:  # real stations live in real time
            raise ValueError("time_scale: only the simulated backend runs on a scaled clock")
        return self

    def ocpp_basic_auth(self) -> dict[str, str] | None:
        """charger_id -> password from `ocpp_passwords_file` (None: no basic auth); InputError when bad."""
        path = self.ocpp_passwords_file
        if path is None:
            return None
        return _read_passwords(path)

    def ocpp_ssl_context(self) -> ssl.SSLContext | None:
        """The CSMS's TLS server context (None: plain ws://); InputError naming the files when unusable."""
        if self.ocpp_cert is None or self.ocpp_key is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # OCPP security profile 2 requires TLS 1.2+
        try:
            context.load_cert_chain(self.ocpp_cert, self.ocpp_key)
        except (OSError, ssl.SSLError) as err:
            detail = err.strerror or str(err)
            raise InputError(
                f"chargers.ocpp_cert: cannot load {self.ocpp_cert} with key {self.ocpp_key}: {detail}"
            ) from None
        return context


class DispatchSection(_Section):
    policy: Annotated[str, Field(min_length=1)] = "optimal"
    control_period: Duration = timedelta(seconds=10)
    margin: Annotated[float, Field(ge=0)] = 0.05
    # Opt in only when the plan delivers at least this share of the requested energy (docs/events.md).
    opt_in_share: Annotated[float, Field(ge=0, le=1)] = DEFAULT_OPT_IN_SHARE
    quick_policy: Annotated[str, Field(min_length=1)] = "fair"  # immediate setpoints for large fleets
    quick_budget: Duration = timedelta(milliseconds=50)  # use quick_policy first when slower than this

    _check_period = field_validator("control_period", "quick_budget")(_positive)


class SimpleSignalSection(_Section):
    levels: dict[int, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: {1: 0.5, 2: 0.75, 3: 1.0}
    )

    @field_validator("levels")
    @classmethod
    def _levels_1_to_3(cls, levels: dict[int, float]) -> dict[int, float]:
        unknown = sorted(set(levels) - {1, 2, 3})
        if unknown:
            raise ValueError(f"SIMPLE levels are 1, 2 and 3, not {unknown}")
        return levels


class SignalsSection(_Section):
    simple: SimpleSignalSection = SimpleSignalSection()


class ReportsSection(_Section):
    sampling: Duration = timedelta(seconds=10)
    per_ev: bool = False  # offer `<ev_id>.usage` too
    backlog_batch: Annotated[int, Field(gt=0)] = 500  # samples per catch-up oadrUpdateReport

    _check_sampling = field_validator("sampling")(_positive)

    @field_validator("sampling")
    @classmethod
    def _whole_seconds(cls, value: timedelta) -> timedelta:
        if value.microseconds:  # openleadr and the 2.0b schema only carry whole seconds
            raise ValueError("must be a whole number of seconds")
        return value


def _days(value: object) -> frozenset[int]:
    if isinstance(value, frozenset):
        return value
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError('expected a list of days such as ["mon", "tue"] (or "weekdays")')
    try:
        return parse_days(",".join(names))
    except InputError as err:
        raise ValueError(str(err)) from None


def _time_of_day(value: object) -> time:
    if isinstance(value, time):
        return value
    try:
        return parse_time_of_day(str(value))
    except InputError as err:
        raise ValueError(str(err)) from None


class UnavailableSection(_Section):
    """`[[opt.unavailable]]`: a recurring local-time window out of service (end < start: overnight)."""

    days: Annotated[frozenset[int], BeforeValidator(_days)] = frozenset(range(7))
    start: Annotated[time, BeforeValidator(_time_of_day)]
    end: Annotated[time, BeforeValidator(_time_of_day)]

    def window(self) -> RecurringWindow:
        return RecurringWindow(self.start, self.end, self.days)


class OptSection(_Section):
    unavailable: tuple[UnavailableSection, ...] = ()
    enrollment_windows: bool = True  # also opt out where every enrolled EV is away
    lookahead: Duration = timedelta(hours=48)  # availability schedules cover this far ahead

    @field_validator("lookahead")
    @classmethod
    def _a_day_at_least(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=24):
            raise ValueError("must cover at least the next 24 h")
        return value


_KEPT = Retention()


class RetentionSection(_Section):
    """[storage.retention]: how long each kind of record is kept (docs/storage.md: defaults and sizing)."""

    telemetry: Duration = _KEPT.telemetry  # samples the VTN acknowledged (unacknowledged ones: always)
    dispatch: Duration = _KEPT.dispatch
    baselines: Duration = _KEPT.baselines
    performance: Duration = _KEPT.performance
    events: Duration = _KEPT.events  # completed or cancelled events

    _check = field_validator("telemetry", "dispatch", "baselines", "performance", "events")(_positive)

    def retention(self) -> Retention:
        return Retention(self.telemetry, self.dispatch, self.baselines, self.performance, self.events)


class StorageSection(_Section):
    url: str = "sqlite:///ven.db"  # or postgresql://user@host:port/db (many VENs on one database)
    retention: RetentionSection = RetentionSection()
    prune_every: Duration = timedelta(hours=1)

    _check_prune = field_validator("prune_every")(_positive)


class HttpSection(_Section):
    listen: HostPort = ""
    token_file: Path | None = None  # bearer token for the dashboard and APIs (required off loopback)


class VenConfig(_Section):
    """The whole file; `base_dir` is the folder relative paths were resolved against."""

    ven: VenSection
    oauth: OAuthSection | None = None
    security: SecuritySection = SecuritySection()
    fleet: FleetSection
    chargers: ChargersSection = ChargersSection()
    dispatch: DispatchSection = DispatchSection()
    signals: SignalsSection = SignalsSection()
    opt: OptSection = OptSection()
    reports: ReportsSection = ReportsSection()
    storage: StorageSection = StorageSection()
    http: HttpSection = HttpSection()
    base_dir: Path = Path()

    @property
    def setpoint_ttl(self) -> timedelta:
        """How long a charger keeps a setpoint: `[chargers] setpoint_ttl`, by default two control periods."""
        return self.chargers.setpoint_ttl or 2 * self.dispatch.control_period

    @property
    def token_url(self) -> str:
        """Where the 3.1 VEN fetches its bearer tokens."""
        given = self.oauth.token_url if self.oauth is not None else None
        return given or self.ven.vtn_url.rstrip("/") + "/auth/token"

    @model_validator(mode="after")
    def _oauth_for_openadr3(self) -> VenConfig:
        if self.ven.protocol != "openadr3":
            return self
        if self.oauth is None:
            raise ValueError('protocol "openadr3" needs an [oauth] section with client_id and client_secret')
        if len(self.ven.name) > OPENADR3_NAME_MAX:
            raise ValueError(f"ven.name: OpenADR 3.1 venNames have at most {OPENADR3_NAME_MAX} characters")
        return self

    @model_validator(mode="after")
    def _resolve_paths(self) -> VenConfig:
        base = self.base_dir
        security = self.security.model_copy(
            update={
                name: base / value
                for name in ("cert", "key", "ca_file")
                if (value := getattr(self.security, name)) is not None and not value.is_absolute()
            }
        )
        chargers = self.chargers.model_copy(
            update={
                name: base / value
                for name in ("ocpp_passwords_file", "ocpp_cert", "ocpp_key")
                if (value := getattr(self.chargers, name)) is not None and not value.is_absolute()
            }
        )
        fleet_file = self.fleet.file if self.fleet.file.is_absolute() else base / self.fleet.file
        token_file = self.http.token_file
        if token_file is not None and not token_file.is_absolute():
            object.__setattr__(self, "http", self.http.model_copy(update={"token_file": base / token_file}))
        object.__setattr__(self, "security", security)
        object.__setattr__(self, "chargers", chargers)
        object.__setattr__(self, "fleet", self.fleet.model_copy(update={"file": fleet_file}))
        return self


def unavailability(config: VenConfig) -> Unavailability:
    """The configured windows and settings as the availability core takes them."""
    opt = config.opt
    return Unavailability(
        config.ven.timezone,
        tuple(w.window() for w in opt.unavailable),
        derive_away=opt.enrollment_windows,
        lookahead=opt.lookahead,
    )


def load_config(path: str | Path) -> VenConfig:
    """Read and validate a ven.toml; InputError (one line, naming file, field and line) when bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read the config: {err.strerror or err}") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> VenConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:  # its message carries "(at line L, column C)"
        raise InputError(f"{path}: not valid TOML: {err}") from None
    if "base_dir" in raw:
        raise InputError(f"{path}: unknown top-level key 'base_dir'")
    try:
        config = VenConfig.model_validate({**raw, "base_dir": path.resolve().parent})
    except ValidationError as err:
        first = err.errors()[0]
        loc = [str(part) for part in first["loc"]]
        field = ".".join(loc) or "(top level)"
        line = _line_of(text, loc)
        where = f"{path}, line {line}" if line else str(path)
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise InputError(f"{where}: {field}: {first['msg']}{more}") from None
    lapse = setpoint_ttl_problem(config)
    if lapse is not None:
        line = _line_of(text, ["chargers", "setpoint_ttl"])
        where = f"{path}, line {line}" if line else str(path)
        raise InputError(f"{where}: {lapse}")
    if config.ven.protocol == "openadr3":  # unreadable TLS files fail here, not at startup
        try:
            config.security.https_context()
        except InputError as err:
            raise InputError(f"{path}: {err}") from None
    if config.chargers.backend == "ocpp":  # unreadable passwords or certificates fail here, not at startup
        try:
            config.chargers.ocpp_basic_auth()
            config.chargers.ocpp_ssl_context()
        except InputError as err:
            raise InputError(f"{path}: {err}") from None
    return config


def _read_passwords(path: Path) -> dict[str, str]:
    """A TOML file of `charger_id = "password"` lines, or a CSV with header `charger_id,password`."""
    field = "chargers.ocpp_passwords_file"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        detail = err.strerror if isinstance(err, OSError) else str(err)
        raise InputError(f"{field}: cannot read {path}: {detail or err}") from None
    if path.suffix.lower() == ".toml":
        rows = _toml_passwords(text, path, field)
    elif path.suffix.lower() == ".csv":
        rows = _csv_passwords(text, path, field)
    else:
        raise InputError(f"{field}: {path}: expected a .toml or .csv file")
    passwords: dict[str, str] = {}
    for where, charger_id, password in rows:
        if not charger_id or not password:
            raise InputError(f"{field}: {where}: charger_id and password must not be empty")
        if charger_id in passwords:
            raise InputError(f"{field}: {where}: charger_id {charger_id!r} is listed twice")
        passwords[charger_id] = password
    if not passwords:
        raise InputError(f"{field}: {path}: no passwords (an empty list would refuse every charger)")
    return passwords


def _toml_passwords(text: str, path: Path, field: str) -> list[tuple[str, str, str]]:
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{field}: {path}: not valid TOML: {err}") from None
    rows = []
    for charger_id, password in table.items():
        if not isinstance(password, str):
            raise InputError(f"{field}: {path}: the password of {charger_id!r} must be a string")
        rows.append((f"{path}, key {charger_id!r}", charger_id, password))
    return rows


def _csv_passwords(text: str, path: Path, field: str) -> list[tuple[str, str, str]]:
    reader = csv.reader(text.splitlines())
    header = [name.strip() for name in next(reader, [])]
    if header != ["charger_id", "password"]:
        raise InputError(f"{field}: {path}, line 1: the header must be charger_id,password")
    rows = []
    for row in reader:
        where = f"{path}, line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{field}: {where}: expected 2 columns, found {len(row)}")
        rows.append((where, row[0].strip(), row[1]))
    return rows


def setpoint_ttl_problem(config: VenConfig) -> str | None:
    """Why `[chargers] setpoint_ttl` is refused, or None: shorter than a control period, every setpoint
    would lapse before the next one and the chargers would go back to full-rate charging in between."""
    ttl = config.chargers.setpoint_ttl
    period = config.dispatch.control_period
    if ttl is None or ttl >= period:
        return None
    return (
        f"chargers.setpoint_ttl: must be at least dispatch.control_period ({period.total_seconds():g} s), "
        f"not {ttl.total_seconds():g} s"
    )


def _line_of(text: str, loc: list[str]) -> int | None:
    """The line of `[section]` + `key = ...` a validation error points at (tomllib keeps no positions)."""
    if not loc:
        return None
    section, key = loc[0], (loc[1] if len(loc) > 1 else None)
    in_section = False
    header = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.strip("[] ") == section
            header = number if in_section else header
        elif in_section and key is not None and stripped.split("=", 1)[0].strip() == key:
            return number
    return header
