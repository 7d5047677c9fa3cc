"""An ordinary psi-bsread ``Sender`` (pulse ids from 0, timestamps from the clock) into cameras
configured with psi-camserver-client, read back with psi-bsread's ``Source``.

As in CamServer, a ``bschannel`` camera takes every message, whatever ``enforce_pid``,
``enforce_timestamp`` and ``check_timestamp`` say; a ``bsread`` camera checks them (all on by
default), so this sender's frames fail ``check_timestamp`` there until it is switched off.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import bsread
import numpy as np
import pytest
from cam_server_client import CamClient

from camserver.testing.server import RunningServer, running_server
from camserver.transport import host_port
from tests.system.rest import Rest
from tests.system.waiting import wait_for

pytestmark = pytest.mark.system

IMAGE = (np.arange(640 * 480) % 4096).astype(np.uint16).reshape(480, 640)
SEND_TIMEOUT_MS = 5000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("bsread-sender")) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


@pytest.fixture
def sender() -> Iterator[tuple[bsread.Sender, str]]:
    """psi-bsread's Sender as a detector IOC runs it: PUSH, bound, blocking (bounded), one image channel."""
    with socket.socket() as probe:  # psi-bsread cannot bind port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stream = bsread.Sender(port=port, address="tcp://127.0.0.1", mode=bsread.PUSH, send_timeout=SEND_TIMEOUT_MS)
    stream.add_channel("CAM1:FPICTURE", metadata={"type": "uint16", "shape": [640, 480]})
    stream.open()
    yield stream, f"tcp://127.0.0.1:{port}"
    stream.close()


def images_through(sender: bsread.Sender, camera: str, client: CamClient, count: int) -> list[Any]:
    """Send until ``count`` images came out of the camera's stream to psi-bsread's Source."""
    host, port = host_port(client.get_instance_stream(camera))
    received: list[Any] = []
    with bsread.Source(host=host, port=port, mode=bsread.SUB, receive_timeout=20) as source:
        for _ in range(5000):  # frames sent; the camera joins and then passes on every one
            sender.send(IMAGE)
            message = source.receive()
            if message is not None:
                received.append(message)
                if len(received) == count:
                    return received
    pytest.fail(f"only {len(received)} of {count} images came through the camera")


def test_a_bschannel_camera_passes_every_frame_of_an_ordinary_sender(
    server: RunningServer, rest: Rest, sender: tuple[bsread.Sender, str]
) -> None:
    stream, address = sender
    client = CamClient(server.url)
    # the keys CamServer's README gives a bschannel camera; the order checks are on, and have no effect here
    config = {"source_type": "bschannel", "source": address, "mode": "PULL", "enforce_pid": True,
              "check_timestamp": True, "no_client_timeout": 0}  # fmt: skip
    client.set_camera_config("detector", config)
    received = images_through(stream, "detector", client, 20)
    image = received[-1].data.data["image"].value
    assert image.shape == (480, 640)
    np.testing.assert_array_equal(image, IMAGE)
    pulse_ids = [message.data.pulse_id for message in received]
    assert pulse_ids == sorted(pulse_ids)
    assert pulse_ids[-1] < 5000  # the sender's own pulse ids (from 0), passed on
    detail = wait_for(lambda: rest.camera_info("detector")["detail"], lambda d: d["rx_count"] >= 20, "rx_count")
    assert (detail["input_drops"], detail["decode_errors"]) == (0, 0)
    client.stop_instance("detector")


def test_a_bsread_camera_checks_the_timestamp_as_camserver_does(
    server: RunningServer, rest: Rest, sender: tuple[bsread.Sender, str]
) -> None:
    stream, address = sender
    client = CamClient(server.url)
    client.set_camera_config("checked", {"source_type": "bsread", "source": "CAM1", "url": address,
                                         "no_client_timeout": 0})  # fmt: skip
    client.get_instance_stream("checked")
    for _ in range(2000):  # the camera drops these (pid % 1e6 != ns % 1e6) and says why
        stream.send(IMAGE)
        if rest.camera_info("checked")["detail"]["input_drops"] >= 5:
            break
    detail = rest.camera_info("checked")["detail"]
    assert detail["input_drops"] >= 5
    assert detail["rx_count"] == 0
    # the instance forwards its log apart from its statistics: the line may come a moment later
    log = wait_for(lambda: rest.log_text("checked"), lambda text: "(check_timestamp)" in text, "the reason in the log")
    assert "pulse id does not match the timestamp (check_timestamp)" in log
    assert "set it false for a sender without SwissFEL timing" in log
    client.stop_instance("checked")
    client.set_camera_config("checked", {**client.get_camera_config("checked"), "check_timestamp": False})
    assert len(images_through(stream, "checked", client, 5)) == 5
    client.stop_instance("checked")
