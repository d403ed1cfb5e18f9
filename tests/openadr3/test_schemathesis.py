"""Schemathesis generates requests for every operation of openadr3.yaml (valid and invalid ones) and
runs them at `vtn-mock serve`: no answer may be a server error, and every answer must be one the document
allows (status, content type, schema). Bounded for CI: EXAMPLES per operation and mode
(V2X_SCHEMATHESIS_EXAMPLES, default 3)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from tests.openadr3.spec import _document, require_spec
from tests.openadr3.test_openadr3_client import Served, serve

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("V2X_SCHEMATHESIS_EXAMPLES", "3"))
# Invalid reports take hypothesis ~10 s per example to build (deeply nested schema): fewer of them.
SLOW_TO_INVALIDATE = {("POST", "/reports"), ("PUT", "/reports/{reportID}")}
VEN_WRITES = {("POST", "/reports"), ("PUT", "/reports/{reportID}"), ("DELETE", "/reports/{reportID}")}
# positive_data_acceptance expects 2xx for any schema-valid body, but references to objects that do not
# exist (a random programID) are rightly 404/409; the stateful checks need links the document does not have.
EXCLUDED = [openapi_checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def vtn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    require_spec()
    served = serve(Path(tmp_path_factory.mktemp("schemathesis")))
    yield served
    served.process.terminate()
    assert served.process.wait(timeout=10) == 0
    assert served.process.stdout is not None
    served.process.stdout.close()


def _token(base: str, client_id: str, secret: str) -> str:
    reply = httpx.post(
        f"{base}/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return str(reply.json()["access_token"])


def _exercise(operation: Any, mode: GenerationMode, base: str, headers: dict[str, str]) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    slow = (
        mode is GenerationMode.NEGATIVE and (operation.method.upper(), operation.path) in SLOW_TO_INVALIDATE
    )

    @settings(
        max_examples=1 if slow else EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        sent = {} if operation.path == "/auth/token" else headers
        case.call_and_validate(base_url=base, headers=sent, excluded_checks=EXCLUDED)

    try:
        run()
    except Unsatisfiable:  # nothing in the operation can be made invalid (e.g. GET /auth/server)
        if mode is not GenerationMode.NEGATIVE:
            raise


def test_openadr3_api_conforms(vtn: Served):
    """Every operation of the 3.1 document, generated valid and invalid data: no 5xx, answers per spec."""
    base = str(vtn.ready["openadr3_url"])
    tokens = {"ven": _token(base, "ven", "ven-secret"), "bl": _token(base, "bl", "bl-secret")}
    schema = schemathesis.openapi.from_dict(_document())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30  # the whole document, not a stray subset
    ran: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            who = "ven" if (operation.method.upper(), operation.path) in VEN_WRITES else "bl"
            _exercise(operation, mode, base, {"Authorization": f"Bearer {tokens[who]}"})
            ran.append(f"{operation.method.upper()} {operation.path} {mode.value}")
    assert len(ran) == 2 * len(operations)
    assert vtn.process.poll() is None  # still serving
