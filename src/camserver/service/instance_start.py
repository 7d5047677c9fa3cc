"""Starting an instance, once more on another port if its port was taken as it started."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from camserver.backends import Backend
from camserver.errors import InstanceNotFound
from camserver.models.instance import InstanceInfo, InstanceSpec, InstanceState

__all__ = ["start_instance"]

logger = logging.getLogger("camserver.backend")

#: how ZMQ's bind says that a port is in use (EADDRINUSE)
_PORT_TAKEN = "Address already in use"


def start_instance(
    backend: Backend,
    make_spec: Callable[[], InstanceSpec],
    *,
    timeout: float,
    stop_timeout: float,
    fixed_port: bool = False,
) -> tuple[InstanceSpec, InstanceInfo]:
    """Start the instance ``make_spec()`` describes. The port allocator probes a port before the
    instance binds it; another program on the host (another server) may bind it in between. Then
    the instance is started once more from a new spec, whose allocation now skips that port,
    unless the config fixes the port."""
    spec = make_spec()
    info = backend.start(spec, timeout=timeout)
    if fixed_port or info.state is InstanceState.RUNNING or _PORT_TAKEN not in (info.reason or ""):
        return spec, info
    logger.warning(
        "%s: port %s was taken by another program as the instance started: trying another",
        spec.key,
        spec.port,
        extra={"instance": spec.key},
    )
    with contextlib.suppress(InstanceNotFound):
        backend.stop(spec.key, timeout=stop_timeout)  # a permanent instance would retry the taken port
    spec = make_spec()
    return spec, backend.start(spec, timeout=timeout)
