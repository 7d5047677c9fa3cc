"""How pipelines send: header strategies, compression read by psi-bsread, non-blocking PUSH with
counted drops, and recording to HDF5 under the data folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import zmq
from bsread import PULL, Source

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Subscriber, host_port
from tests.system.rest import Rest
from tests.system.streams import Feed, pulse_ids, read
from tests.system.waiting import wait_for

pytestmark = pytest.mark.system

FLIPS = """
import numpy as np

def process(stream_data, pulse_id, timestamp, parameters):
    value = int(stream_data["value"])
    odd = value % 2 == 1
    return {"value": float(value) if odd else value, "wave": np.zeros(2 if odd else 3), "fixed": 1.5}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("output"), allow_user_scripts=True) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    client.upload_script("flips.py", FLIPS)
    yield client
    client.close()


@pytest.fixture
def feed() -> Iterator[Feed]:
    with Feed() as stream:
        yield stream


def fed(feed: Feed, **config: Any) -> dict[str, Any]:
    return {
        "pipeline_type": "stream", "function": "propagate_stream", "input_stream": feed.address,
        "input_mode": "PULL", "mode": "PUSH", "no_client_timeout": 0, **config,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("header", "withheld", "header_changes"),
    [
        ({"create_header": "on_change"}, False, 3),
        ({"create_header": "on_change", "allow_type_changes": False, "allow_shape_changes": False}, True, 0),
        ({"create_header": "always"}, False, 3),
        ({"create_header": "once"}, True, 0),
    ],
)
def test_header_strategies_when_a_function_changes_types_and_shapes(
    rest: Rest, feed: Feed, header: dict[str, Any], withheld: bool, header_changes: int
) -> None:
    instance_id, stream = rest.create(fed(feed, function="flips", **header))
    with Subscriber(stream, mode="PULL", receive_timeout=20) as output:
        feed.send(range(1, 5))
        messages = read(output, 4)
    assert pulse_ids(messages) == [1, 2, 3, 4]
    for message in messages:
        assert float(message.data["fixed"]) == 1.5
        odd = message.pulse_id % 2 == 1
        value, wave = message.data["value"], message.data["wave"]
        if withheld and not odd:  # the first message fixed float64 and shape [2]: a change is sent empty
            assert value is None
            assert wave is None
        else:
            assert np.asarray(value).dtype == (np.float64 if odd else np.int64)
            assert int(value) == message.pulse_id
            assert np.asarray(wave).shape == ((2,) if odd else (3,))
    assert rest.wait_figure(instance_id, "tx_count", 4) == 4
    figures = rest.statistics(instance_id)
    assert figures["header_changes"] == header_changes
    assert figures["withheld_values"] == (4 if withheld else 0)  # two channels of two messages
    rest.stop(instance_id)


def test_bitshuffle_lz4_output_is_read_by_psi_bsread(rest: Rest, feed: Feed) -> None:
    instance_id, stream = rest.create(fed(feed, data_compression="bitshuffle_lz4"))
    host, port = host_port(stream)
    context = zmq.Context()
    try:
        raw = context.socket(zmq.PULL)
        raw.connect(stream)
        feed.send([7])
        assert raw.poll(20_000), "no message from the pipeline"
        frames = raw.recv_multipart()
        raw.close(linger=0)
    finally:
        context.term()
    channels = {channel["name"]: channel for channel in json.loads(frames[1])["channels"]}
    assert channels["image"]["compression"] == "bitshuffle_lz4"
    # PUSH hands a message to a reader whose disconnect it has not seen yet: wait until it has
    wait_for(lambda: rest.statistics(instance_id)["clients"], lambda clients: clients == 0, "the raw reader to go")
    with Source(host=host, port=port, mode=PULL, receive_timeout=20_000) as source:
        rest.wait_figure(instance_id, "clients", 1)
        feed.send([8, 9])
        received = [source.receive() for _ in range(2)]
    for pulse_id, message in zip((8, 9), received, strict=True):
        assert message is not None
        assert message.data.pulse_id == pulse_id
        image = message.data.data["image"].value
        assert image.dtype == np.uint16
        assert image.tolist() == np.full((4, 6), pulse_id, np.uint16).tolist()
        assert message.data.data["value"].value == pulse_id
    rest.stop(instance_id)


def test_non_blocking_push_counts_what_nobody_takes(rest: Rest, feed: Feed) -> None:
    instance_id, stream = rest.create(fed(feed, queue_size=2, block=False))
    feed.send(range(1, 21))
    assert rest.wait_figure(instance_id, "output_drops", 20) == 20
    assert rest.statistics(instance_id)["tx_count"] == 0
    with Subscriber(stream, mode="PULL", receive_timeout=20) as output:
        rest.wait_figure(instance_id, "clients", 1)
        feed.send([21])
        assert pulse_ids(read(output, 1)) == [21]
    assert rest.info(instance_id)["state"] == "running"
    rest.stop(instance_id)


def test_blocking_push_waits_for_a_reader_without_counting_drops(rest: Rest, feed: Feed) -> None:
    instance_id, stream = rest.create(fed(feed))  # PUSH blocks by default: nothing is lost
    feed.send([1, 2, 3])
    rest.wait_figure(instance_id, "rx_count", 1)  # still reporting while it waits for a reader
    with Subscriber(stream, mode="PULL", receive_timeout=20) as output:
        assert pulse_ids(read(output, 3)) == [1, 2, 3]
    assert rest.wait_figure(instance_id, "tx_count", 3) == 3
    assert rest.statistics(instance_id)["output_drops"] == 0  # waiting is not dropping
    rest.stop(instance_id)


def test_blocking_push_nobody_reads_ends_after_no_client_timeout(rest: Rest, feed: Feed) -> None:
    instance_id, _ = rest.create(fed(feed, no_client_timeout=1))
    feed.send([1])
    assert rest.wait_exit(instance_id) == 0
    assert rest.info(instance_id)["reason"] == "no client connected for 1 s"


def test_file_mode_records_to_hdf5_under_recordings(rest: Rest, feed: Feed, server: RunningServer) -> None:
    instance_id, stream = rest.create(fed(feed, mode="FILE", file="run1/beam.h5", records=5))
    path = server.settings.data_dir / "recordings" / "run1" / "beam.h5"
    assert stream == f"file://{path.resolve()}"
    feed.send(range(1, 9))
    assert rest.wait_exit(instance_id) == 0
    with h5py.File(path, "r") as recording:
        assert recording["header1/pulse_id"][()].tolist() == [1, 2, 3, 4, 5]
        assert recording["data1/value/value"][()].tolist() == [1, 2, 3, 4, 5]
        images = recording["data1/image/value"][()]
        assert images.shape == (5, 4, 6)
        assert images[2].tolist() == np.full((4, 6), 3).tolist()
        assert recording["data1/image/timestamp"].shape == (5, 2)
        assert "processing_parameters" in recording["data1"]


@pytest.mark.parametrize("file", ["../outside.h5", "/tmp/camserver-outside.h5", "run1/../../outside.h5"])
def test_file_mode_outside_the_recordings_folder_is_refused(rest: Rest, feed: Feed, file: str) -> None:
    body = rest.call("POST", "/api/v1/pipeline", json=fed(feed, mode="FILE", file=file), status=403)
    assert "recordings are written under" in body["status"]
    assert not Path("/tmp/camserver-outside.h5").exists()
