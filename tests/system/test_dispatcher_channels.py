"""``bsread_channels`` without an address: asked from a DataBuffer dispatcher (a real HTTP server on
loopback that hands out a real bsread stream), or refused with a 400 when none is configured."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Publisher, Subscriber
from tests.system.rest import Rest
from tests.waiting import wait_until

pytestmark = pytest.mark.system


class Dispatcher:
    """The dispatcher's two calls: POST /stream answers ``stream_address``, DELETE /stream records the address."""

    def __init__(self, stream_address: str) -> None:
        self.stream_address = stream_address
        self.requests: list[dict[str, Any]] = []
        self.removed: list[str] = []
        dispatcher = self

        class Handler(BaseHTTPRequestHandler):
            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("content-length", 0)))

            def do_POST(self) -> None:
                dispatcher.requests.append(json.loads(self._body()))
                body = json.dumps({"stream": dispatcher.stream_address}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_DELETE(self) -> None:
                dispatcher.removed.append(self._body().decode())
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sf-databuffer"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def channels() -> Iterator[Publisher]:
    with Publisher("tcp://127.0.0.1:0") as publisher:
        yield publisher


@pytest.fixture
def dispatcher(channels: Publisher) -> Iterator[Dispatcher]:
    running = Dispatcher(channels.address)
    yield running
    running.close()


@pytest.fixture
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("no-dispatcher")) as running:
        yield running


def test_channels_without_an_address_and_without_a_dispatcher_are_refused_with_400(plain_server: RunningServer) -> None:
    rest = Rest(plain_server.url)
    config = {"pipeline_type": "stream", "function": "propagate_stream", "bsread_channels": ["SAR:CHARGE"]}
    answer = rest.call("POST", "/api/v1/pipeline/charges/config", json=config, status=400)
    assert answer["state"] == "error"
    assert "no dispatcher is configured" in answer["status"] and "bsread_channels" in answer["status"]
    answer = rest.call("POST", "/api/v1/pipeline", json=config, status=400)
    assert "no dispatcher is configured" in answer["status"]
    merged = {"camera_name": "cam", "bsread_channels2": ["X"], "function": "merge"}
    assert "bsread_channels2" in rest.call("POST", "/api/v1/pipeline/merged/config", json=merged, status=400)["status"]
    with_address = {**config, "bsread_address": "tcp://127.0.0.1:9"}
    rest.call("POST", "/api/v1/pipeline/charges/config", json=with_address)
    rest.close()


def test_a_stream_pipeline_reads_the_channels_the_dispatcher_streams(
    tmp_path_factory: pytest.TempPathFactory, dispatcher: Dispatcher, channels: Publisher
) -> None:
    with running_server(tmp_path_factory.mktemp("dispatcher"), dispatcher_url=dispatcher.url) as server:
        rest = Rest(server.url)
        config = {
            "pipeline_type": "stream",
            "function": "propagate_stream_with_prefix",
            "prefix": "bs:",
            "bsread_channels": ["SAR:CHARGE", "SAR:ENERGY"],
            "dispatcher_verify_request": False,
        }
        instance_id, stream = rest.create(config)
        assert dispatcher.requests == [
            {
                "channels": [{"name": "SAR:CHARGE"}, {"name": "SAR:ENERGY"}],
                "streamType": "pub_sub",
                "verify": False,
                "channelValidation": {"inconsistency": "keep-as-is"},
            }
        ]
        with Subscriber(stream, receive_timeout=1) as output:
            message = None
            for attempt in range(500):  # PUB/SUB: publish until both ends have joined
                channels.send({"SAR:CHARGE": 1.5, "SAR:ENERGY": np.arange(3.0)}, pulse_id=100 + attempt)
                message = output.receive(timeout=0.02)
                if message is not None:
                    break
        assert message is not None
        assert float(message.data["bs:SAR:CHARGE"]) == 1.5
        rest.stop(instance_id)
        wait_until(lambda: dispatcher.removed == [channels.address], "the stream given back to the dispatcher")
        rest.close()
