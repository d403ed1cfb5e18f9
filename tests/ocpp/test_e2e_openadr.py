"""`ven run` with `[chargers] backend = "ocpp"` end to end: a real openleadr VTN, the VEN as CSMS, and
simulated stations (half OCPP 2.1, half 2.0.1) over loopback websockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from tests.ocpp.certs import make_tls_pair
from tests.openadr.conftest import free_port
from tests.runtime.conftest import RecordingVtn, Running, write_config
from tests.waiting import until
from ven.chargers.cpsim import Behaviour, Limit, Setpoint, SimStation, close_all, ev_spec, start_all
from ven.chargers.ocpp import OcppGateway, OcppVersion
from ven.cli.main import main
from ven.errors import InputError
from ven.model.enrollment import load_fleet
from ven.runtime.app import VenApp
from ven.runtime.config import load_config

# The enrollment claims V2G everywhere; the stations know better: the *201 ones speak OCPP 2.0.1 (V1G only),
# c21's EV discharges at most 6 kW, and d21's leaves in 20 minutes wanting 95 % (so it may not be curtailed).
FLEET_CSV = """ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,target_soc
a21,depot,60,0.5,11,10,0.2,1.0
b21,depot,60,0.5,11,10,0.2,1.0
c21,depot,60,0.5,11,10,0.2,1.0
d21,depot,60,0.5,11,10,0.2,1.0
a201,depot,60,0.5,11,10,0.2,1.0
b201,depot,60,0.5,11,10,0.2,1.0
c201,depot,60,0.5,11,10,0.2,1.0
d201,depot,60,0.5,11,10,0.2,1.0
"""
V21 = ("a21", "b21", "c21", "d21")
V201 = ("a201", "b201", "c201", "d201")
BASELINE_KW = 88.0  # eight EVs charging at 11 kW
REDUCE_KW = 90.0  # beyond the 88 kW baseline: the fleet exports (it can give 103 kW)
# "fair" spreads the request over every EV that can give (optimal's LP may leave one V2G EV idle and another
# at its limit), so each V2G station discharges and has room to take up a failed one's share.
DISPATCH = 'policy = "fair"\ncontrol_period = "1s"'
WAIT = 8.0
OCPP_CHARGERS = 'backend = "ocpp"\nocpp_listen = "127.0.0.1:0"'
TLS_FILES = 'ocpp_cert = "csms.crt"\nocpp_key = "csms.key"'  # written by tests.ocpp.certs.make_tls_pair
NO_VTN = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"  # for configs that are never run against a VTN
HTTP_UNAUTHORIZED = 401
EXIT_BAD_INPUT = 2


@pytest.fixture
async def vtn() -> AsyncIterator[RecordingVtn]:
    server = RecordingVtn(free_port())
    await server.start()
    yield server
    with contextlib.suppress(Exception):
        await server.stop()


def ocpp_config(
    folder: Path, vtn_url: str, chargers: str = f'{OCPP_CHARGERS}\nocpp_call_timeout = "2s"'
) -> Path:
    path = write_config(folder, vtn_url, chargers=chargers, dispatch=DISPATCH)
    (folder / "fleet.csv").write_text(FLEET_CSV)
    return path


def csms_of(running: Running) -> OcppGateway:
    gateway = running.app.gateway
    assert isinstance(gateway, OcppGateway)
    return gateway


def make_stations(
    folder: Path, url: str, *, passwords: Mapping[str, str] | None = None, **options: object
) -> dict[str, SimStation]:
    """One station per enrolled EV, reporting what its EV really is (see FLEET_CSV)."""
    fleet = load_fleet(folder / "fleet.csv")
    departure = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    specs = {ev.ev_id: ev_spec(ev) for ev in fleet.evs}
    specs["c21"] = replace(specs["c21"], max_discharge_kw=6.0)
    specs["d21"] = replace(specs["d21"], departure=departure, departure_soc=0.95)
    return {
        ev_id: SimStation(
            ev_id,
            url,
            OcppVersion.V21 if ev_id in V21 else OcppVersion.V201,
            spec,
            meter_interval_s=1.0,
            password=None if passwords is None else passwords[ev_id],
            **options,  # type: ignore[arg-type]
        )
        for ev_id, spec in specs.items()
    }


def setpoint_kw(station: SimStation) -> float:
    control = station.control
    assert isinstance(control, Setpoint), f"{station.charger_id}: {control!r}"
    return control.power_kw


async def test_delta_event_discharges_v21_curtails_v201_and_redispatches_around_failures(
    vtn: RecordingVtn, tmp_path: Path, start_app: Callable[[Path], Awaitable[Running]]
) -> None:
    """A LOAD_DISPATCH delta becomes signed setpoints on 2.1 stations and limits ≥ 0 on 2.0.1 ones,
    planned from what the stations reported; meter values reach the VTN as TELEMETRY_USAGE; a station
    that drops its profile and rejects new ones, then one that drops off the network, are planned around
    (the others make up what they no longer give, as far as their limits allow); at the end every station
    is released."""
    running = await start_app(ocpp_config(tmp_path, vtn.url))
    ven_id = await running.registered()  # the CSMS is listening once the VEN talks to its VTN
    csms, app = csms_of(running), running.app
    stations = make_stations(tmp_path, f"ws://127.0.0.1:{csms.port}")
    try:
        await start_all(list(stations.values()))
        await until(lambda: all(ev.plugged_in for ev in csms.fleet().evs), WAIT)
        reported = {ev.ev_id: ev for ev in csms.fleet().evs}
        assert all(reported[ev_id].max_discharge_kw == 0.0 for ev_id in V201)
        assert reported["c21"].max_discharge_kw == pytest.approx(6.0)

        ends = datetime.now(UTC) + timedelta(seconds=2 + 5 * 2)  # at the latest
        opted = vtn.event(ven_id, "e1", [-REDUCE_KW] * 5, seconds=2)
        assert await asyncio.wait_for(opted, WAIT) == "optIn"
        await until(lambda: all(s.profiles_received for s in stations.values()), WAIT)
        before = first_dispatch(stations)
        # Meter values flow back over OCPP: what the CSMS reads converges on what the stations draw.
        drawn_kw = sum(s.power_kw for s in stations.values())
        await until(lambda: abs(sum(csms.station(i).power_kw for i in stations) - drawn_kw) < 0.5, WAIT)
        assert (await csms.read()).total_power_kw < 0  # the fleet exports
        # TELEMETRY_USAGE at the VTN: the export as `usage`, about the request as `deltaUsage`.
        await until(lambda: any(v < 0 for _, v in vtn.readings.get("usage", [])), WAIT)
        await until(lambda: any(v > REDUCE_KW * 0.9 for _, v in vtn.readings.get("deltaUsage", [])), WAIT)
        assert max(v for _, v in vtn.readings["baseline"]) == pytest.approx(BASELINE_KW, abs=1.0)

        # A local override: a21's station falls back to unmanaged charging and refuses new profiles. Its
        # measured draw stays in the accounting, so b21 and c21 make up its share, as far as they can.
        assert before["b21"] > -9.0  # room to take up: its limit is -10 kW
        assert before["c21"] > -5.0  # and -6 kW
        stations["a21"].behaviour = Behaviour.REJECT
        stations["a21"].profile_cleared()
        await until(lambda: csms.station("a21").fault is not None, WAIT)
        await until(lambda: _latest_without(app, "a21", after=0), WAIT)
        await until(lambda: setpoint_kw(stations["b21"]) == pytest.approx(-10.0), WAIT)
        assert setpoint_kw(stations["c21"]) == pytest.approx(-6.0)
        rejected_at = len(app.store.dispatch.for_event("e1"))

        await stations["b21"].hang_up()  # network gone mid-event
        await until(lambda: not csms.station("b21").online, WAIT)
        await until(lambda: _latest_without(app, "b21", after=rejected_at), WAIT)
        assert setpoint_kw(stations["c21"]) == pytest.approx(
            -6.0
        )  # still at its limit: the rest is shortfall

        check_decisions(app, gone={"a21", "b21"})

        left_s = (ends - datetime.now(UTC)).total_seconds()
        await until(lambda: app.controller.executing is None, left_s + WAIT)  # over: the fleet is released
        live = [s for ev_id, s in stations.items() if ev_id not in {"a21", "b21"}]
        await until(lambda: all(s.control is None for s in live), WAIT)
        assert app.store.events.is_answered("e1", 0)
    finally:
        await close_all(stations.values())


def first_dispatch(stations: Mapping[str, SimStation]) -> dict[str, float]:
    """Check the first setpoints against what the stations reported; the V2G EVs' setpoints (kW)."""
    before = {ev_id: setpoint_kw(stations[ev_id]) for ev_id in ("a21", "b21", "c21")}
    assert all(power_kw < 0 for power_kw in before.values()), before
    assert before["c21"] >= -6.0 - 1e-6  # the station-reported discharge limit
    assert setpoint_kw(stations["d21"]) == pytest.approx(11.0)  # leaving soon: never curtailed
    for ev_id in V201:
        control = stations[ev_id].control
        assert isinstance(control, Limit)
        assert control.max_kw >= 0.0
    return before


def check_decisions(app: VenApp, *, gone: set[str]) -> None:
    """Every recorded dispatch kept 2.0.1 EVs at ≥ 0 kW and d21 at full rate; the last one left out `gone`."""
    decisions = app.store.dispatch.for_event("e1")
    assert any(ev_id in d.setpoints_kw for d in decisions for ev_id in V201)  # not checked over none
    for decision in decisions:
        setpoints = decision.setpoints_kw
        assert all(setpoints[ev_id] >= 0.0 for ev_id in V201 if ev_id in setpoints)
        assert setpoints["d21"] == pytest.approx(11.0)
    assert not gone & set(decisions[-1].setpoints_kw)


def _latest_without(app: VenApp, ev_id: str, *, after: int) -> bool:
    decisions = app.store.dispatch.for_event("e1")
    return len(decisions) > after and ev_id not in decisions[-1].setpoints_kw


async def test_tls_and_passwords_admit_only_stations_with_their_password(
    vtn: RecordingVtn, tmp_path: Path, start_app: Callable[[Path], Awaitable[Running]]
) -> None:
    """With ocpp_cert/ocpp_key and ocpp_passwords_file, stations connect over wss:// with basic auth;
    a wrong password is refused with HTTP 401."""
    _, client_tls = make_tls_pair(tmp_path)
    passwords = {ev_id: f"{ev_id}-secret-password" for ev_id in (*V21, *V201)}
    (tmp_path / "passwords.csv").write_text(
        "charger_id,password\n" + "".join(f"{k},{v}\n" for k, v in passwords.items())
    )
    chargers = f'{OCPP_CHARGERS}\nocpp_passwords_file = "passwords.csv"\n{TLS_FILES}'
    running = await start_app(ocpp_config(tmp_path, vtn.url, chargers))
    await running.registered()
    csms = csms_of(running)
    url = f"wss://127.0.0.1:{csms.port}"
    stations = make_stations(tmp_path, url, passwords=passwords, ssl_context=client_tls)
    good = {ev_id: stations[ev_id] for ev_id in ("a21", "a201")}
    wrong = dict.fromkeys(passwords, "not-the-password")
    bad = make_stations(tmp_path, url, passwords=wrong, ssl_context=client_tls)["b21"]
    try:
        await start_all(list(good.values()))
        await until(lambda: csms.station("a21").online and csms.station("a201").online, WAIT)
        with pytest.raises(InvalidStatus) as refused:
            await bad.start()
        assert refused.value.response.status_code == HTTP_UNAUTHORIZED
    finally:
        await close_all([*good.values(), bad])


def test_ocpp_config_resolves_paths_from_the_config_file(tmp_path: Path) -> None:
    """Relative ocpp_* paths resolve against the config's folder; TOML and CSV password files both load."""
    make_tls_pair(tmp_path)  # writes csms.crt and csms.key
    (tmp_path / "pw.toml").write_text('CP-1 = "first-password"\n"CP 2" = "second-password"\n')
    chargers = f'{OCPP_CHARGERS}\nocpp_passwords_file = "pw.toml"\n{TLS_FILES}\nocpp_call_timeout = "2s"'
    config = load_config(ocpp_config(tmp_path, NO_VTN, chargers))
    section = config.chargers
    assert section.ocpp_passwords_file == tmp_path.resolve() / "pw.toml"
    assert section.ocpp_cert == tmp_path.resolve() / "csms.crt"
    assert section.ocpp_call_timeout == timedelta(seconds=2)
    assert section.ocpp_basic_auth() == {"CP-1": "first-password", "CP 2": "second-password"}
    assert isinstance(section.ocpp_ssl_context(), ssl.SSLContext)


@pytest.mark.parametrize(
    ("extra", "files", "expected"),
    [
        (
            'ocpp_passwords_file = "pw.csv"',
            {"pw.csv": "charger_id,password\na21,x\na21,y\n"},
            "chargers.ocpp_passwords_file: {dir}/pw.csv, line 3: charger_id 'a21' is listed twice",
        ),
        (
            'ocpp_passwords_file = "pw.csv"',
            {"pw.csv": "id,secret\n"},
            "chargers.ocpp_passwords_file: {dir}/pw.csv, line 1: the header must be charger_id,password",
        ),
        (
            'ocpp_passwords_file = "pw.toml"',
            {"pw.toml": "a21 = 5\n"},
            "chargers.ocpp_passwords_file: {dir}/pw.toml: the password of 'a21' must be a string",
        ),
        ('ocpp_passwords_file = "nope.csv"', {}, "chargers.ocpp_passwords_file: cannot read {dir}/nope.csv"),
        ('ocpp_cert = "csms.crt"', {}, "chargers: Value error, ocpp_cert and ocpp_key go together"),
        (
            'ocpp_cert = "a.crt"\nocpp_key = "a.key"',
            {"a.crt": "junk", "a.key": "junk"},
            "chargers.ocpp_cert: cannot load {dir}/a.crt with key {dir}/a.key",
        ),
        ('ocpp_call_timeout = "0s"', {}, "chargers.ocpp_call_timeout: Value error, must be longer than zero"),
        ("time_scale = 60.0", {}, "only the simulated backend runs on a scaled clock"),
    ],
)
def test_bad_ocpp_config_exits_2_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, files: dict[str, str], expected: str
) -> None:
    """`ven run` refuses a bad OCPP setting with exit 2 and one line naming the file(s) and the field."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    config = ocpp_config(tmp_path, NO_VTN, f"{OCPP_CHARGERS}\n{extra}")
    assert main(["run", "--config", str(config)]) == EXIT_BAD_INPUT
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"ven: error: {config}")
    assert expected.format(dir=tmp_path.resolve()) in message
    assert "\n" not in message


async def test_ocpp_port_in_use_is_bad_input(tmp_path: Path) -> None:
    """A CSMS port already taken stops `ven run` with an InputError naming chargers.ocpp_listen."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        chargers = f'backend = "ocpp"\nocpp_listen = "127.0.0.1:{port}"'
        app = VenApp.build(load_config(ocpp_config(tmp_path, NO_VTN, chargers)))
        try:
            with pytest.raises(InputError, match=r"chargers\.ocpp_listen: cannot listen on 127\.0\.0\.1:"):
                await app.run(asyncio.Event())
        finally:
            app.store.close()
