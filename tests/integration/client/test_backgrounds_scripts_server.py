"""``client.backgrounds``, ``client.scripts`` and ``client.server`` against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import camserver
from camserver.client import Client, ServerReport
from camserver.errors import BackgroundNotFound, ConfigError, PermissionDenied, ScriptNotFound
from camserver.models.instance import InstanceKind
from tests.integration.client.served import serving


def test_backgrounds(client: Any) -> None:
    with pytest.raises(BackgroundNotFound, match="No background for camera 'nobody'"):
        client.backgrounds.latest("nobody")
    before = client.backgrounds.list("sim")
    collected = client.backgrounds.collect("sim", 2)
    assert collected.startswith("sim_")
    assert client.backgrounds.latest("sim") == collected
    assert client.backgrounds.list("sim") == [*before, collected]
    assert client.backgrounds.array(collected).shape == (48, 64)
    assert client.backgrounds.image(collected, colormap="gray").startswith(b"\x89PNG")
    image = np.arange(20, dtype=np.uint16).reshape(4, 5)
    client.backgrounds.upload("uploaded", image)
    received = client.backgrounds.array("uploaded")
    assert np.array_equal(received, image)
    assert received.dtype == np.uint16
    with pytest.raises(BackgroundNotFound):
        client.backgrounds.array("missing")
    with pytest.raises(ConfigError, match="n_images"):
        client.backgrounds.collect("sim", 0)


def test_scripts_and_libraries(client: Any) -> None:
    client.scripts.set("double.py", "def process_image(image, *args):\n    return {'value': 2}\n")
    assert "double.py" in client.scripts.list()
    assert client.scripts.get("double.py").startswith("def process_image")
    client.scripts.delete("double.py")
    assert "double.py" not in client.scripts.list()
    with pytest.raises(ScriptNotFound):
        client.scripts.get("double.py")
    client.scripts.set_lib("table.bin", b"\x00\xff\x10")
    client.scripts.set_lib("notes.txt", "text")
    assert {"table.bin", "notes.txt"} <= set(client.scripts.libs())
    assert client.scripts.get_lib("table.bin") == b"\x00\xff\x10"
    assert client.scripts.get_lib("notes.txt") == b"text"
    client.scripts.delete_lib("table.bin")
    client.scripts.delete_lib("notes.txt")
    with pytest.raises(ScriptNotFound):
        client.scripts.delete_lib("notes.txt")


def test_the_server(client: Any) -> None:
    assert client.server.version() == camserver.__version__
    client.cameras.stream("sim")
    report = client.server.info()
    assert isinstance(report, ServerReport)
    assert report.version == camserver.__version__
    assert report.active_instances["sim"].kind is InstanceKind.CAMERA
    assert client.server.info("pipeline").active_instances == {}
    assert client.server.heartbeat()["sim"].state == "running"
    assert client.server.heartbeat(InstanceKind.PIPELINE) == {}
    assert isinstance(client.server.logs(), list)
    assert isinstance(client.server.logs_text(), str)
    nodes = client.server.nodes()
    assert nodes.backend == "local"
    assert [(node.name, node.cameras, node.bandwidth_free) for node in nodes.nodes] == [("local", ["sim"], None)]


def test_a_guarded_server(tmp_path: Path) -> None:
    """Mutations need the server's token; user scripts need the server's consent."""
    with serving(tmp_path, token="s3cret") as server:
        with Client(server.url) as anonymous:
            assert anonymous.cameras.list() == ["sim"]  # reading stays open
            with pytest.raises(PermissionDenied, match="Bearer"):
                anonymous.cameras.delete_config("sim")
        with Client(server.url, token="s3cret") as holder:
            with pytest.raises(PermissionDenied, match="allow-user-scripts"):
                holder.scripts.set("f.py", "x = 1")
            assert holder.scripts.list() == []
            holder.cameras.delete_config("sim")
            assert holder.cameras.list() == []
