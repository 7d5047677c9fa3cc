"""The server keeps the contract ``/openapi.json`` states: schemathesis calls every operation with
generated requests, valid and invalid ones (bounded, derandomised: the same requests every run) against a real server,
and checks that nothing answers 5xx, no status is undeclared, every answer matches its schema and
content type, and a 405 lists the methods in ``Allow``. Every call has a timeout, so a hang fails.
The proxy's operations are called on both ports: they answer for cameras on one and for pipelines
on the other (``pipeline_port``)."""

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

#: generated requests per operation and mode, valid and invalid (about 100 operations; the proxy's twice)
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
#: the operations of CamServer's proxy, whose kind is the port's
PROXY_PATHS = ("/api/v1/proxy", "/api/v1/server")
SIMULATION = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 20}


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data: Path = tmp_path_factory.mktemp("contract")
    with running_server(data, pipeline_port=0) as running:
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
    proxied = [operation for operation in operations if operation.path.startswith(PROXY_PATHS)]
    assert len(proxied) > 20
    targets = [(operation, contract_server.url) for operation in operations]
    targets += [(operation, str(contract_server.pipeline_url)) for operation in proxied]
    calls = 0

    for (operation, url), mode in itertools.product(targets, GenerationMode):
        label = operation.label if url == contract_server.url else f"{operation.label} on pipeline_port"

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
            base_url = url  # noqa: B023 - the test runs right below, in this iteration
            case.call_and_validate(base_url=base_url, session=session, checks=CHECKS, timeout=CALL_TIMEOUT)

        try:
            keeps_the_contract()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            nothing_invalid.append(label)  # only untyped text parameters: no invalid request exists
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every operation is tried, all reported
            failures[f"{label} ({mode.value})"] = f"{type(failure).__name__}: {failure}"[:2000]
    assert calls >= 4 * len(targets)  # small operations run out of distinct requests before EXAMPLES
    # only typed query parameters and JSON bodies can be invalid (any text is a valid name)
    assert {"POST /api/v1/pipeline", "GET /api/v1/cam/{name}/image", "POST /api/v1/cam/{name}/config"}.isdisjoint(
        nothing_invalid
    )
    assert not failures, "\n\n".join(f"{label}\n{failure}" for label, failure in failures.items())
