"""Run the simulated EPICS camera IOC in a child process on loopback, with ports of its own.

>>> with IocProcess("SIM:CAM", rate=20) as ioc:          # doctest: +SKIP
...     os.environ.update(ioc.environment)                # the client side must point there too
...     source = EpicsSource("SIM:CAM"); source.open()

:func:`ca_environment` is the Channel Access environment both sides need: searches and beacons
only to 127.0.0.1 on ports nobody else uses, and room for large arrays.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import time
from types import TracebackType

from camserver.errors import Timeout

__all__ = ["IocProcess", "ca_environment", "free_ca_ports"]

_READY_LINE = "camserver-epics-ioc ready"


def free_ca_ports() -> tuple[int, int]:
    """Two ports free for both UDP and TCP on 127.0.0.1: the CA server port and the repeater port."""
    ports: list[int] = []
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        if port not in ports:
            ports.append(port)
        if len(ports) == 2:
            return ports[0], ports[1]
    raise OSError("no free pair of UDP/TCP ports on 127.0.0.1")


def ca_environment(server_port: int, repeater_port: int, *, max_array_bytes: int = 50_000_000) -> dict[str, str]:
    """The EPICS variables that keep a CA client and server on loopback and on the given ports."""
    return {
        "EPICS_CA_ADDR_LIST": "127.0.0.1",
        "EPICS_CA_AUTO_ADDR_LIST": "NO",
        "EPICS_CA_SERVER_PORT": str(server_port),
        "EPICS_CA_REPEATER_PORT": str(repeater_port),
        "EPICS_CA_MAX_ARRAY_BYTES": str(max_array_bytes),
        "EPICS_CAS_INTF_ADDR_LIST": "127.0.0.1",
        "EPICS_CAS_SERVER_PORT": str(server_port),
        "EPICS_CAS_AUTO_BEACON_ADDR_LIST": "NO",
        "EPICS_CAS_BEACON_ADDR_LIST": "127.0.0.1",
        "EPICS_CAS_BEACON_PORT": str(repeater_port),
    }


class IocProcess:
    """``python -m camserver.testing.epics_ioc`` as a child process that can be stopped and started
    again on the same ports (an IOC reboot). :meth:`start` returns once the IOC answers."""

    def __init__(
        self,
        prefix: str = "SIM:CAM",
        *,
        rate: float = 10.0,
        width: int = 320,
        height: int = 240,
        ad_data_type: str = "UInt16",
        status: str = "INIT",
        ports: tuple[int, int] | None = None,
        ready_timeout: float = 30.0,
        bsread_address: str | None = None,
        spectrometer: bool = False,
    ) -> None:
        self.prefix = prefix
        server_port, repeater_port = ports or free_ca_ports()
        self.environment = ca_environment(server_port, repeater_port)
        self.ready_timeout = ready_timeout
        self._arguments = [
            "--prefix", prefix, "--rate", str(rate), "--width", str(width), "--height", str(height),
            "--ad-data-type", ad_data_type, "--status", status,
        ]  # fmt: skip
        if bsread_address is not None:
            self._arguments += ["--bsread-address", bsread_address]
        if spectrometer:
            self._arguments.append("--spectrometer")
        self._process: subprocess.Popen[str] | None = None

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the IOC and wait (up to ``ready_timeout`` s) until it serves its PVs."""
        if self.running:
            return
        environment = {**os.environ, **self.environment, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "camserver.testing.epics_ioc", *self._arguments]
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self._process = process
        assert process.stdout is not None
        deadline = time.monotonic() + self.ready_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    break
                line = process.stdout.readline()
                if not line:
                    break  # the IOC exited before it was ready
                if line.strip() == _READY_LINE:
                    return
        self.stop()
        raise Timeout(f"the simulated IOC {self.prefix} did not become ready within {self.ready_timeout:g} s")

    def stop(self) -> None:
        """Stop the IOC (SIGTERM, then SIGKILL after 5 s) and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5.0)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> IocProcess:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
