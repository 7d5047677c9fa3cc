"""The server keeps the contract ``/openapi.json`` states: schemathesis calls every operation with
generated requests, valid and invalid ones (bounded, derandomised: the same requests every run) against a real server,
and checks that nothing answers 5xx, no status is undeclared, every answer matches its schema and
content type, and a 405 lists the methods in ``Allow``. Every call has a timeout, so a hang fails."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from camserver.testing.server import RunningServer, running_server

pytestmark = [pytest.mark.system, pytest.mark.slow]

#: generated requests per operation and mode, valid and invalid (about 60 operations)
EXAMPLES = 8
#: seconds one call may take: an instance start waits for its camera, a grab for a frame
CALL_TIMEOUT = 60.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    allow_header_conformance,
]
SIMULATION = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 20}


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data: Path = tmp_path_factory.mktemp("contract")
    with running_server(data) as running:
        running.services.camera_store.set("simulation", SIMULATION)
        running.services.pipeline_store.set("simulation_sp", {"camera_name": "simulation"})
        yield running


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


def test_every_operation_keeps_the_contract(contract_server: RunningServer, session: requests.Session) -> None:
    description = session.get(f"{contract_server.url}/openapi.json", timeout=CALL_TIMEOUT).json()
    schema = schemathesis.openapi.from_dict(description)
    failures: dict[str, str] = {}
    nothing_invalid: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    calls = 0

    for operation, mode in itertools.product(operations, GenerationMode):

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(mode))
        def keeps_the_contract(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(base_url=contract_server.url, session=session, checks=CHECKS, timeout=CALL_TIMEOUT)

        try:
            keeps_the_contract()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            nothing_invalid.append(operation.label)  # only untyped text parameters: no invalid request exists
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every operation is tried, all reported
            failures[f"{operation.label} ({mode.value})"] = f"{type(failure).__name__}: {failure}"[:2000]
    assert calls >= 4 * len(operations)  # small operations run out of distinct requests before EXAMPLES
    # only typed query parameters and JSON bodies can be invalid (any text is a valid name)
    assert {"POST /api/v1/pipeline", "GET /api/v1/cam/{name}/image", "POST /api/v1/cam/{name}/config"}.isdisjoint(
        nothing_invalid
    )
    assert not failures, "\n\n".join(f"{label}\n{failure}" for label, failure in failures.items())
