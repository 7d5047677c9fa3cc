"""The data directory under faults: a process killed in the middle of a write leaves the old file;
a full disk and a read-only data directory give clear errors (507), keep every old file, and the
server goes on serving.

The full disk is a real one: a 4 MB tmpfs mounted in a mount namespace of the server's own
(``unshare``), so nothing outside the test sees it; the read-only directory is a read-only bind
mount made the same way.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from camserver.service.backgrounds import BackgroundStore
from camserver.service.config_store import FileConfigStore
from camserver.service.scripts import ScriptStore
from tests.system.server_process import ServerProcess
from tests.system.waiting import wait_until

pytestmark = pytest.mark.system

CAMERA = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 20}
MB = 1 << 20


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


needs_unshare = pytest.mark.skipif(not _unshare_works(), reason="needs unshare (user and mount namespaces)")


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


# -- a kill in the middle of a write ------------------------------------------------------------

#: a child that writes through a store and is killed between writing the new content and
#: renaming it into place: the fault is injected at fsync, the last step before the rename
WRITER = """
import os, sys, time
from pathlib import Path

import numpy as np

from camserver.service import atomic_file
from camserver.service.backgrounds import BackgroundStore
from camserver.service.config_store import FileConfigStore
from camserver.service.scripts import ScriptStore


def stall(descriptor):
    sys.stdout.write("written\\n")
    sys.stdout.flush()
    time.sleep(600)


atomic_file.os.fsync = stall
what, folder = sys.argv[1], Path(sys.argv[2])
if what == "config":
    FileConfigStore(folder, not_found=KeyError, kind="camera").set("cam", {"source": "new", "padding": "x" * 1_000_000})
elif what == "background":
    BackgroundStore(folder).save("cam_bg", np.full((500, 500), 7, np.uint16))
else:
    ScriptStore(folder, allowed=True).set_script("f.py", b"# new\\n" * 100_000)
"""


@pytest.mark.parametrize("what", ["config", "background", "script"])
def test_a_kill_during_a_write_leaves_the_old_file(tmp_path: Path, what: str) -> None:
    if what == "config":
        FileConfigStore(tmp_path, not_found=KeyError, kind="camera").set("cam", {"source": "old"})  # type: ignore[arg-type]
        target = tmp_path / "cam.json"
    elif what == "background":
        BackgroundStore(tmp_path).save("cam_bg", np.full((4, 4), 1, np.uint16))
        target = tmp_path / "cam_bg.npy"
    else:
        ScriptStore(tmp_path, allowed=True).set_script("f.py", b"# old\n")
        target = tmp_path / "f.py"
    old = target.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", WRITER, what, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "written\n"  # the new content is in the temporary file
        temporaries = list(tmp_path.glob(".*.tmp"))
        assert len(temporaries) == 1
        assert temporaries[0].stat().st_size > len(old)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        assert child.stdout is not None
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    # the next store on the folder clears what the killed writer left
    if what == "config":
        FileConfigStore(tmp_path, not_found=KeyError, kind="camera")  # type: ignore[arg-type]
    elif what == "background":
        assert BackgroundStore(tmp_path).load("cam_bg").tolist() == np.full((4, 4), 1).tolist()
    else:
        ScriptStore(tmp_path, allowed=True)
    assert list(tmp_path.glob(".*.tmp")) == []


# -- a full disk and a read-only data directory -------------------------------------------------


class Namespaced(ServerProcess):
    """``camserver serve`` whose data directory is mounted in a mount namespace of its own."""

    def __init__(self, data: Path, mount: str, *arguments: str, environment: dict[str, str] | None = None) -> None:
        self.data = data
        script = f'{mount} && exec "$@"'
        super().__init__(
            "--port", "0", "--data-dir", str(data), *arguments,
            prefix=["unshare", "-rm", "sh", "-c", script, "sh"],
            environment=environment,
        )  # fmt: skip

    def seen(self, name: str) -> Path:
        """A path of the data directory as the server sees it (through its /proc root)."""
        return Path(f"/proc/{self.pid}/root") / self.data.relative_to("/") / name


@pytest.fixture
def namespaced() -> Iterator[list[Namespaced]]:
    started: list[Namespaced] = []
    yield started
    for server in started:
        server.kill()


@contextlib.contextmanager
def answering(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as http:
        wait_until(lambda: http.get("/api/v1/cam").status_code == 200, "the API to answer")
        yield http


@needs_unshare
def test_a_full_disk_gives_clear_errors_and_keeps_every_old_file(tmp_path: Path, namespaced: list[Namespaced]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server = Namespaced(
        data,
        f"mount -t tmpfs -o size=4m camserver-full {data}",
        environment={"CAMSERVER_MAX_CONFIG_BYTES": str(4 * MB)},
    )
    namespaced.append(server)
    with answering(server.url()) as http:
        assert http.post("/api/v1/cam/cam/config", json=CAMERA).status_code == 200
        first = np.full((1024, 1280), 3, np.uint16)  # 2.5 MB
        assert http.put("/api/v1/pipeline/background/cam_first/image_bytes", content=npy(first)).status_code == 200
        full = http.put("/api/v1/pipeline/background/cam_second/image_bytes", content=npy(first))
        assert full.status_code == 507
        assert full.json()["error"] == "StorageError"
        assert "the disk is full" in full.json()["status"]
        assert "previous version is kept" in full.json()["status"]
        grown = http.post("/api/v1/cam/cam/config", json={**CAMERA, "padding": "x" * (2 * MB)})
        assert grown.status_code == 507
        assert "the disk is full" in grown.json()["status"]
        assert "padding" not in http.get("/api/v1/cam/cam/config").json()["config"]  # the old config
        kept = http.get("/api/v1/pipeline/background/cam_first/image_bytes").json()["image"]
        assert kept["shape"] == [1024, 1280]
        assert http.get("/api/v1/pipeline/background/cam_second/image_bytes").status_code == 404
        assert http.get("/api/v1/cam/cam").status_code == 200  # the camera still starts and streams
    leftovers = [path.name for folder in ("camera_config", "background_config") for path in
                 server.seen(folder).glob(".*.tmp")]  # fmt: skip
    assert leftovers == []
    assert json.loads(server.seen("camera_config/cam.json").read_text())["size_x"] == 64


@needs_unshare
def test_a_read_only_data_directory_serves_reads_and_refuses_writes_clearly(
    tmp_path: Path, namespaced: list[Namespaced]
) -> None:
    data = tmp_path / "data"
    FileConfigStore(data / "camera_config", not_found=KeyError, kind="camera").set("cam", CAMERA)  # type: ignore[arg-type]
    FileConfigStore(data / "pipeline_config", not_found=KeyError, kind="pipeline").set("cam_sp", {"camera_name": "cam"})  # type: ignore[arg-type]
    BackgroundStore(data / "background_config").save("cam_old", np.ones((48, 64), np.uint16))
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    server = Namespaced(data, f"mount --bind {data} {data} && mount -o remount,bind,ro {data}")
    namespaced.append(server)
    with answering(server.url()) as http:
        assert http.get("/api/v1/cam/cam/config").json()["config"]["size_x"] == 64
        refused = http.post("/api/v1/cam/cam/config", json={**CAMERA, "size_x": 32})
        assert refused.status_code == 507
        assert "read-only file system" in refused.json()["status"]
        upload = http.put("/api/v1/pipeline/background/cam_new/image_bytes", content=npy(np.ones((4, 4), np.uint16)))
        assert upload.status_code == 507
        deleted = http.delete("/api/v1/cam/cam/config")
        assert deleted.status_code == 507
        assert "cannot delete" in deleted.json()["status"]
        assert http.get("/api/v1/pipeline/instance/cam_sp").status_code == 200  # instances still run
        assert http.get("/api/v1/cam/cam/config").json()["config"]["size_x"] == 64
    assert {path: path.read_bytes() for path in data.rglob("*") if path.is_file()} == before
