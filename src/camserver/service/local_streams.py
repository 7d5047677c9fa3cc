"""Where instances offer their local streams (shared memory, for readers on their host)."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

__all__ = ["local_stream_address"]


def local_stream_address(data_dir: Path, kind: str, name: str) -> str:
    """The local-stream address of the ``kind`` (``camera``/``pipeline``) instance ``name``.

    On Linux a name that outlives the process (an abstract socket, unique per data folder, kind and
    name), so a restarted instance binds it again and its readers reconnect by themselves, as they
    do to its bsread port; elsewhere any loopback port. An instance whose name makes the socket name
    too long falls back to a loopback port itself (``runtime/local_output.py``).
    """
    if platform.system() == "Linux":
        server = hashlib.sha1(str(data_dir.resolve()).encode(), usedforsecurity=False)
        prefix = "" if kind == "camera" else f"{kind}-"
        return f"ipc://@camserver-{server.hexdigest()[:12]}-{prefix}{name}"
    return "tcp://127.0.0.1:0"
