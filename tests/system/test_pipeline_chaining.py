"""Pipelines reading pipelines: ``input_pipeline`` (started on demand) and a second stream merged
by pulse id (``input_stream2``), with the pulses that found no partner counted."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Subscriber
from tests.system.rest import Rest
from tests.system.streams import Feed, pulse_ids, read
from tests.waiting import wait_until

pytestmark = pytest.mark.system

TINY = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 100}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("chaining")) as running:
        running.services.camera_store.set("tiny", TINY)
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


def test_input_pipeline_starts_the_upstream_on_demand_and_reads_its_stream(rest: Rest) -> None:
    rest.call("POST", "/api/v1/pipeline/upstream_sp/config",
              json={"camera_name": "tiny", "function": "transparent", "no_client_timeout": 1})  # fmt: skip
    rest.call("GET", "/api/v1/pipeline/instance/upstream_sp/info", status=404)
    downstream, stream = rest.create({"pipeline_type": "stream", "input_pipeline": "upstream_sp",
                                      "function": "propagate_stream_with_prefix", "prefix": "down:"})  # fmt: skip
    upstream = rest.info("upstream_sp")
    assert upstream["state"] == "running"
    assert rest.camera_info("tiny")["state"] == "running"
    with Subscriber(stream, receive_timeout=20) as output:
        message = read(output, 1)[0]
    assert message.data["down:image"].shape == (48, 64)
    assert int(message.data["down:width"]) == 64
    assert json.loads(str(message.data["processing_parameters"]))["input_pipeline"] == "upstream_sp"
    assert rest.info(downstream)["stream_address"] == stream
    rest.stop(downstream)
    # nobody reads the upstream any more: it ends by itself after its no_client_timeout
    assert rest.wait_exit("upstream_sp") == 0
    assert "no client" in rest.info("upstream_sp")["reason"]


def test_a_missing_input_pipeline_is_named_in_the_error(rest: Rest) -> None:
    body = rest.call(
        "POST",
        "/api/v1/pipeline",
        status=404,
        json={"pipeline_type": "stream", "input_pipeline": "nowhere", "function": "propagate_stream"},
    )
    assert "nowhere" in body["status"]


def test_second_stream_is_merged_by_pulse_id_and_unmatched_pulses_are_counted(rest: Rest) -> None:
    with Feed() as first, Feed() as second:
        instance_id, stream = rest.create({
            "pipeline_type": "stream", "function": "propagate_stream", "input_stream": first.address,
            "input_mode": "PULL", "input_stream2": second.address, "input_mode2": "PULL", "mode": "PUSH",
            "no_client_timeout": 0,
        })  # fmt: skip
        with Subscriber(stream, mode="PULL", receive_timeout=20) as output:
            first.send(range(1, 11), data=lambda pulse_id: {"a": pulse_id})
            second.send(range(2, 11, 2), data=lambda pulse_id: {"b": 10.0 * pulse_id})
            messages = read(output, 5)
    assert pulse_ids(messages) == [2, 4, 6, 8, 10]
    assert all(int(m.data["a"]) == m.pulse_id and float(m.data["b"]) == 10.0 * m.pulse_id for m in messages)
    wait_until(lambda: rest.statistics(instance_id)["input_drops"] == 5, "the five odd pulses counted as dropped")
    rest.stop(instance_id)
