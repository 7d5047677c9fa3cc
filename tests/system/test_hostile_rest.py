"""Hostile REST requests against ``camserver serve`` in its own process: oversized bodies are
refused before they are read (the server's memory stays where it was), requests for another
host name (DNS rebinding) and writes from other sites are refused, the viewer refuses other
sites' pages, and trusted networks let the published client write without a token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from cam_server_client import CamClient, PipelineClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from camserver.testing.server import running_server
from tests.system.server_process import ServerProcess
from tests.system.waiting import wait_until

pytestmark = pytest.mark.system

MB = 1 << 20
CAMERA = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 20}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    server = ServerProcess("--port", "0", "--data-dir", str(tmp_path_factory.mktemp("hostile")))
    try:
        url = server.url()
        with httpx.Client(base_url=url, timeout=60) as http:
            wait_until(lambda: http.get("/api/v1/cam").status_code == 200, "the API to answer")
            assert http.post("/api/v1/cam/simulation/config", json=CAMERA).status_code == 200
        yield server, url
    finally:
        server.kill()


@pytest.fixture
def http(served: tuple[ServerProcess, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[1], timeout=60) as client:
        yield client


def rss(server: ServerProcess) -> int:
    return int(psutil.Process(server.pid).memory_info().rss)


def big_config(size: int) -> bytes:
    return json.dumps({**CAMERA, "padding": "x" * size}).encode()


# -- oversized bodies ---------------------------------------------------------------------------


def test_a_50_mb_json_body_is_refused_before_it_is_read(served: tuple[ServerProcess, str], http: httpx.Client) -> None:
    server, _ = served
    before = rss(server)
    body = big_config(50 * MB)
    answer = http.post("/api/v1/cam/huge/config", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "TooLarge"
    assert "max_config_bytes" in answer.json()["status"]
    grown = rss(server) - before
    assert grown < 10 * MB, f"the server grew by {grown / MB:.1f} MB"
    assert http.get("/api/v1/cam/huge/config").status_code == 404


def test_a_50_mb_body_without_a_length_is_cut_off_at_the_limit(
    served: tuple[ServerProcess, str], http: httpx.Client
) -> None:
    server, _ = served
    before = rss(server)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"source": "", "padding": "'
        for _ in range(50):
            yield b"x" * MB
        yield b'"}'

    try:
        answer = http.post("/api/v1/cam/huge2/config", content=chunks(), headers={"Content-Type": "application/json"})
    except httpx.TransportError:
        pass  # the server may close the connection while the rest is still being sent
    else:
        assert answer.status_code == 413
        assert answer.json()["error"] == "TooLarge"
    grown = rss(server) - before
    assert grown < 10 * MB, f"the server grew by {grown / MB:.1f} MB"
    assert http.get("/api/v1/cam/huge2/config").status_code == 404
    assert http.get("/api/v1/cam").status_code == 200  # and it goes on serving


def test_each_kind_of_upload_has_its_own_limit(http: httpx.Client) -> None:
    script = http.put("/api/v1/pipeline/script/big.py/script_bytes", content=b"#" * (5 * MB))
    assert script.status_code == 413
    assert "max_script_bytes" in script.json()["status"]
    background = http.put("/api/v1/pipeline/background/x/image_bytes", content=b"\0" * (2 * MB))
    assert background.status_code == 400  # under its limit (256 MB): read, and refused as not .npy
    assert "npy" in background.json()["status"]


# -- other sites and other names ----------------------------------------------------------------


def test_a_request_for_another_host_name_is_refused(http: httpx.Client) -> None:
    rebound = {"Host": "attacker.example"}
    read = http.get("/api/v1/cam", headers=rebound)
    assert read.status_code == 403
    assert "attacker.example" in read.json()["status"]
    write = http.post("/api/v1/cam/rebound/config", json=CAMERA, headers=rebound)
    assert write.status_code == 403
    assert http.get("/api/v1/cam/rebound/config").status_code == 404


def test_a_cross_site_form_post_is_refused(http: httpx.Client) -> None:
    form = http.post(
        "/api/v1/pipeline/camera/simulation/background",
        params={"n_images": "1"},
        content=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://attacker.example"},
    )
    assert form.status_code == 403
    assert http.get("/api/v1/pipeline/camera/simulation/backgrounds").json()["background_ids"] == []
    # the same form post without Origin (an old browser) is refused for its content type
    plain = http.post("/api/v1/cam/formed/config", content=b"a=b", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 403
    assert "application/json" in plain.json()["status"]


def test_a_cross_site_write_with_json_is_refused(http: httpx.Client) -> None:
    answer = http.post("/api/v1/cam/crossed/config", json=CAMERA, headers={"Origin": "http://attacker.example"})
    assert answer.status_code == 403
    assert http.get("/api/v1/cam/crossed/config").status_code == 404


def test_a_get_that_starts_a_camera_is_refused_from_another_site(http: httpx.Client) -> None:
    answer = http.get("/api/v1/cam/simulation", headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403
    image = http.get("/api/v1/cam/simulation/image", headers={"Sec-Fetch-Site": "cross-site"})
    assert image.status_code == 403
    instances = http.get("/api/v1/instances").json()["instances"]
    assert [entry for entry in instances if entry["instance_id"] == "simulation"] == []


def test_the_servers_own_page_may_write(served: tuple[ServerProcess, str], http: httpx.Client) -> None:
    own = {"Origin": served[1], "Sec-Fetch-Site": "same-origin"}
    assert http.post("/api/v1/cam/own/config", json=CAMERA, headers=own).status_code == 200
    assert http.delete("/api/v1/cam/own/config", headers=own).status_code == 200


def test_the_viewer_refuses_a_page_of_another_site(served: tuple[ServerProcess, str]) -> None:
    address = served[1].replace("http://", "ws://") + "/api/v1/viewer/ws?kind=camera&name=simulation"
    with pytest.raises(InvalidStatus) as refused:
        connect(address, origin="http://attacker.example", open_timeout=30)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    with connect(address, origin=served[1], open_timeout=30) as viewer:  # type: ignore[arg-type]
        first = viewer.recv(timeout=30)
    assert first  # a frame or the figures


# -- trusted networks ---------------------------------------------------------------------------


def test_the_published_client_writes_from_a_write_network_without_a_token(tmp_path: Path) -> None:
    with running_server(tmp_path, token="s3cret", write_networks=["127.0.0.0/8"]) as server:
        client = CamClient(server.url)
        client.set_camera_config("trusted", CAMERA)
        assert client.get_camera_config("trusted")["size_x"] == 64
        PipelineClient(server.url).save_pipeline_config("trusted_sp", {"camera_name": "trusted"})


def test_outside_the_write_networks_a_token_is_needed(tmp_path: Path) -> None:
    with running_server(tmp_path, token="s3cret", write_networks=["127.0.0.2/32"]) as server:
        with pytest.raises(Exception, match="Bearer"):
            CamClient(server.url).set_camera_config("untrusted", CAMERA)
        with httpx.Client(base_url=server.url, timeout=60) as http:
            token = {"Authorization": "Bearer s3cret"}
            assert http.post("/api/v1/cam/untrusted/config", json=CAMERA, headers=token).status_code == 200
            assert http.get("/api/v1/cam/untrusted/config").status_code == 200  # anyone may read


def test_outside_the_read_networks_reading_needs_the_token(tmp_path: Path) -> None:
    with running_server(tmp_path, token="s3cret", read_networks=["127.0.0.2/32"]) as server:
        with pytest.raises(Exception, match="read_networks"):
            CamClient(server.url).get_cameras()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            refused = http.get("/api/v1/cam")
            assert refused.status_code == 403
            assert http.get("/api/v1/cam", headers={"Authorization": "Bearer s3cret"}).status_code == 200
            assert http.get("/").status_code == 200  # the page itself holds no data
