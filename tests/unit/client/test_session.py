"""The request path both clients share: address, token, timeouts, and failures to get a reply."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from camserver.client import AsyncClient, Client
from camserver.client.call import START_TIME, STOP_TIME
from camserver.errors import CameraNotFound, ConfigError, Timeout, TransportError
from tests.unit.client.scripted_server import ScriptedServer


def test_the_token_is_sent_as_a_bearer_header(server: ScriptedServer) -> None:
    server.answer({"state": "ok", "status": "ok", "cameras": []})
    with Client("http://127.0.0.1:8888", token="s3cret", transport=server.transport()) as client:
        client.cameras.list()
    assert server.last.headers["authorization"] == "Bearer s3cret"
    with Client("http://127.0.0.1:8888", transport=server.transport()) as client:
        client.cameras.list()
    assert "authorization" not in server.last.headers


def test_every_call_carries_its_timeout(server: ScriptedServer) -> None:
    server.answer({"state": "ok", "status": "ok", "cameras": [], "stream": "tcp://h:1"})
    with Client("http://127.0.0.1:8888", timeout=2.5, transport=server.transport()) as client:
        client.cameras.list()
        assert server.last.extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
        client.cameras.stream("sim")
        assert server.last.extensions["timeout"]["read"] == 2.5 + START_TIME
        server.answer({"state": "ok", "status": "ok"})
        client.pipelines.stop("p1")
        assert server.last.extensions["timeout"]["read"] == 2.5 + STOP_TIME


def test_a_timeout_is_camservers_timeout_naming_the_url(server: ScriptedServer) -> None:
    server.failure = httpx.ReadTimeout("timed out")
    with Client("http://127.0.0.1:8888", timeout=1.5, transport=server.transport()) as client:
        with pytest.raises(Timeout, match=r"GET http://127.0.0.1:8888/api/v1/cam: no answer .* after 1.5 s"):
            client.cameras.list()
        with pytest.raises(TimeoutError):
            client.server.version()


def test_an_unreachable_server_is_a_transport_error_naming_the_url(server: ScriptedServer) -> None:
    server.failure = httpx.ConnectError("[Errno 111] Connection refused")
    with Client("http://127.0.0.1:8888", transport=server.transport()) as client:
        with pytest.raises(TransportError, match="cannot reach the server at http://127.0.0.1:8888: .*refused"):
            client.cameras.list()
        with pytest.raises(OSError, match="api/v1/pipeline"):
            client.pipelines.list()


def test_async_failures_are_the_same(server: ScriptedServer) -> None:
    async def run() -> None:
        async with AsyncClient("http://127.0.0.1:8888", transport=server.transport()) as client:
            server.failure = httpx.ConnectTimeout("timed out")
            with pytest.raises(Timeout, match="127.0.0.1:8888"):
                await client.cameras.list()
            server.failure = httpx.RemoteProtocolError("peer closed the connection")
            with pytest.raises(TransportError, match="peer closed"):
                await client.cameras.list()
            server.failure = None
            server.answer(
                {"state": "error", "status": "Camera 'x' does not exist.", "error": "CameraNotFound"}, status_code=404
            )
            with pytest.raises(CameraNotFound, match="Camera 'x' does not exist."):
                await client.cameras.config("x")

    asyncio.run(run())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8888", "http://127.0.0.1:8888/api/v1/cam"),
        ("http://127.0.0.1:8888/", "http://127.0.0.1:8888/api/v1/cam"),
        ("127.0.0.1:9000", "http://127.0.0.1:9000/api/v1/cam"),
        ("https://cams.example.org/camserver/", "https://cams.example.org/camserver/api/v1/cam"),
    ],
)
def test_server_addresses(url: str, expected: str, server: ScriptedServer) -> None:
    server.answer({"state": "ok", "status": "ok", "cameras": []})
    with Client(url, transport=server.transport()) as client:
        client.cameras.list()
    assert str(server.last.url) == expected


@pytest.mark.parametrize("url", ["ftp://127.0.0.1", "http://", "http://[::1"])
def test_malformed_server_addresses_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="invalid server URL"):
        Client(url)


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="timeout"):
        Client(timeout=0)


def test_names_stay_one_path_segment(server: ScriptedServer) -> None:
    server.answer({"state": "ok", "status": "ok"})
    with Client("http://127.0.0.1:8888", transport=server.transport()) as client:
        client.cameras.delete_config("a/b?c")
    assert server.last.url.raw_path == b"/api/v1/cam/a%2Fb%3Fc/config"


def test_a_background_upload_refuses_what_is_not_an_image(server: ScriptedServer) -> None:
    with (
        Client("http://127.0.0.1:8888", transport=server.transport()) as client,
        pytest.raises(ConfigError, match="2-D numeric image"),
    ):
        client.backgrounds.upload("bg", [1, 2, 3])
    assert server.requests == []
