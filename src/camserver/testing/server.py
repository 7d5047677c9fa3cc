"""A real camserver server in a thread of the calling process, for tests and examples.

The REST API runs under uvicorn on a free loopback port; instances are real child processes,
forked from multiprocessing's fork server: a script using this must guard its entry point with
``if __name__ == "__main__":`` (the fork server imports the main module), as any multiprocessing
program must.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camserver.errors import Timeout
from camserver.service import ServerSettings, Services

__all__ = ["RunningServer", "running_server"]


@dataclass(frozen=True)
class RunningServer:
    """A server started by :func:`running_server`."""

    url: str
    services: Services
    settings: ServerSettings
    #: the second port's address, where ``/api/v1/proxy`` answers for pipelines (``pipeline_port`` given)
    pipeline_url: str | None = None


def _listener() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    return listener


@contextmanager
def running_server(data_dir: Path, *, timeout: float = 60.0, **settings: Any) -> Iterator[RunningServer]:
    """Serve ``data_dir`` on ``127.0.0.1`` (a free port) until the block ends, then stop every
    instance. ``settings`` are :class:`ServerSettings` fields (e.g. ``allow_user_scripts=True``);
    with ``pipeline_port`` (any value) the API answers on a second free port too."""
    import uvicorn

    from camserver.api import build_app

    listeners = [_listener()]
    if settings.get("pipeline_port") is not None:
        listeners.append(_listener())
    port = listeners[0].getsockname()[1]
    pipeline_port = listeners[1].getsockname()[1] if len(listeners) > 1 else None
    configured = ServerSettings(
        **{"host": "127.0.0.1", "data_dir": data_dir, **settings, "port": port, "pipeline_port": pipeline_port}
    )
    services = Services(configured)
    url = f"http://127.0.0.1:{port}"
    app = build_app(configured, services=services, server_url=url, pipeline_port=pipeline_port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": listeners}, name="camserver-test-server")
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise Timeout(f"the test server did not start within {timeout:g} s")
            time.sleep(0.01)  # polling uvicorn's started flag
        pipeline_url = f"http://127.0.0.1:{pipeline_port}" if pipeline_port is not None else None
        yield RunningServer(url, services, configured, pipeline_url)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        services.close()
        for listener in listeners:
            listener.close()
