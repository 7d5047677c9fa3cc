"""Where instances offer their local streams (shared memory, for readers on their host)."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

__all__ = ["is_stable", "local_stream_address"]

#: the longest instance name used as it is; longer ones are replaced by a digest (an abstract
#: socket's name has at most 107 bytes)
_LONGEST_NAME = 60


def local_stream_address(data_dir: Path, kind: str, name: str) -> str:
    """The local-stream address of the ``kind`` (``camera``/``pipeline``) instance ``name``.

    On Linux a name that outlives the process (an abstract socket, unique per data folder, kind and
    name), so a restarted instance binds it again and its readers reconnect by themselves, as they
    do to its bsread port; elsewhere any loopback port.
    """
    if platform.system() != "Linux":
        return "tcp://127.0.0.1:0"
    server = hashlib.sha1(str(data_dir.resolve()).encode(), usedforsecurity=False).hexdigest()[:12]
    if len(name.encode()) > _LONGEST_NAME:
        name = "sha1-" + hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()
    return f"ipc://@camserver-{server}-{kind}-{name}"


def is_stable(address: str | None) -> bool:
    """Whether a reader may keep ``address`` across restarts of the instance offering it (an
    abstract socket name is bound again; a loopback port is chosen anew)."""
    return address is not None and address.startswith("ipc://@")
