"""The server never opens a camera's source itself: single images, the online check, the
geometry and background collection all take frames from an instance process. A script camera
writes the process id of every process that runs its code; the server's (this test's) is never
among them."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from camserver.testing.server import RunningServer, running_server
from tests.system.rest import Rest

pytestmark = pytest.mark.system

WITNESS = '''
import os
import time

import numpy as np

from camserver.errors import SourceError
from camserver.sources.source import Frame


class Witness:
    """A 6 x 4 gradient, 50 frames a second; notes the process that runs it in `source`."""

    def __init__(self, config):
        self.log = config.source
        self._note("init")
        self.offline = bool(config.model_extra.get("offline"))
        self._next = 0.0

    def _note(self, step):
        with open(self.log, "a") as notes:
            notes.write(f"{step} {os.getpid()}\\n")

    @property
    def geometry(self):
        return (6, 4)

    @property
    def dropped(self):
        return 0

    def open(self):
        self._note("open")
        if self.offline:
            raise SourceError("the witness camera is switched off")

    def read(self, timeout):
        self._note("read")
        delay = self._next - time.monotonic()
        if delay > timeout:
            return None
        if delay > 0:
            time.sleep(delay)
        self._next = time.monotonic() + 0.02
        return Frame(image=np.arange(24, dtype=np.uint16).reshape(4, 6))

    def close(self):
        pass
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("witness"), allow_user_scripts=True) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    client.call("PUT", "/api/v1/cam/script/Witness.py/script_bytes", content=WITNESS.encode())
    yield client
    client.close()


def witness(rest: Rest, tmp_path: Path, name: str, **extra: object) -> Path:
    notes = tmp_path / f"{name}.notes"
    config = {"source": str(notes), "source_type": "script", "class": "Witness", "no_client_timeout": 1, **extra}
    rest.call("POST", f"/api/v1/cam/{name}/config", json=config)
    return notes


def processes(notes: Path) -> set[int]:
    return {int(line.split()[1]) for line in notes.read_text().splitlines()}


def test_single_images_come_from_instances(rest: Rest, tmp_path: Path) -> None:
    notes = witness(rest, tmp_path, "witness_image", rotate=1)
    png = rest.http.get("/api/v1/cam/witness_image/image")
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    payload = rest.call("GET", "/api/v1/cam/witness_image/image_bytes")["image"]
    image = np.frombuffer(base64.b64decode(payload["bytes"]), dtype=payload["dtype"]).reshape(payload["shape"])
    assert image.shape == (6, 4)  # rotated by the camera's transforms
    raw = rest.http.get("/api/v1/cam/witness_image/image", params={"raw": "true"})
    assert raw.status_code == 200
    assert rest.call("GET", "/api/v1/cam/witness_image/geometry")["geometry"] == [4, 6]
    seen = processes(notes)
    assert seen, "the camera's code ran nowhere"
    assert os.getpid() not in seen


def test_the_online_check_runs_in_an_instance(rest: Rest, tmp_path: Path) -> None:
    notes = witness(rest, tmp_path, "witness_online")
    body = rest.call("GET", "/api/v1/cam/witness_online/is_online")
    assert body["online"] is True
    off = witness(rest, tmp_path, "witness_offline", offline=True)
    body = rest.call("GET", "/api/v1/cam/witness_offline/is_online")
    assert body["online"] is False
    assert "switched off" in body["status"]
    seen = processes(notes) | processes(off)
    assert seen
    assert os.getpid() not in seen


def test_background_collection_reads_the_instances_stream(rest: Rest, tmp_path: Path) -> None:
    notes = witness(rest, tmp_path, "witness_background")
    background = rest.call("POST", "/api/v1/pipeline/camera/witness_background/background", params={"n_images": 3})
    assert background["background_id"].startswith("witness_background_")
    seen = processes(notes)
    assert seen
    assert os.getpid() not in seen


def test_probes_leave_no_instance_behind(rest: Rest, tmp_path: Path) -> None:
    witness(rest, tmp_path, "witness_probe")
    rest.call("GET", "/api/v1/cam/witness_probe/is_online")
    rest.call("GET", "/api/v1/cam/witness_probe/image_bytes")
    listed = rest.call("GET", "/api/v1/instances")["instances"]
    assert [entry["instance_id"] for entry in listed if ".probe-" in entry["instance_id"]] == []
