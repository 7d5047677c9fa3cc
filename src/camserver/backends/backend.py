"""The interface every backend implements: start, stop and observe instances."""

from __future__ import annotations

from typing import Any, Protocol

from camserver.backends.placement import Placement
from camserver.models.instance import InstanceInfo, InstanceSpec
from camserver.models.node import NodeInfo

__all__ = ["Backend"]


class Backend(Protocol):
    """Runs instances somewhere (this host, a cluster) and tells what they do.

    Instances are named by their key (``camera/<id>``, ``pipeline/<id>``: :attr:`InstanceSpec.key`).
    ``start`` returns once the instance streams (state ``running`` with a stream address) or has
    failed (state ``failed`` with the reason); it never leaves a half-started instance behind. The
    one exception is a permanent instance pinned to a node that is gone: it is left waiting for
    that node (state ``starting``, the reason says so).
    """

    #: ``local`` or ``ray``
    name: str

    def start(
        self, spec: InstanceSpec, *, timeout: float = 30.0, placement: Placement | None = None
    ) -> InstanceInfo: ...

    def stop(self, key: str, *, timeout: float = 10.0) -> InstanceInfo: ...

    def update_config(
        self, key: str, config: dict[str, Any], resources: dict[str, Any] | None = None, *, timeout: float = 5.0
    ) -> None:
        """Send a new config; raise :class:`ConfigError` if the instance refuses it (waiting at most
        ``timeout`` seconds for its answer; without one the update applies when it gets to it)."""
        ...

    def info(self, key: str) -> InstanceInfo: ...

    def instances(self, *, active_only: bool = True) -> list[InstanceInfo]: ...

    def logs(self, key: str) -> list[list[str]]: ...

    def forget(self, key: str) -> None: ...

    def nodes(self) -> list[NodeInfo]:
        """The nodes instances may run on, alive or lost, with their load."""
        ...

    def close(self, *, timeout: float = 10.0) -> None: ...
