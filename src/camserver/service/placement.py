"""The placement rules: which node an instance starts on, from CamServer's ``servers.json`` rules,
the nodes there are and the network capacity they have left. Values in, a :class:`Placement` out.

In CamServer's order:

1. **fixed**: an instance named in a server's ``instances`` runs there (pinned, with its port);
2. **camera list**: a pipeline of a camera named in a server's ``cameras`` runs there (pinned);
3. **near**: a pipeline prefers the node its camera runs on (if that node is in its pool), so
   frames reach it through shared memory; a camera started for a pinned pipeline prefers that
   pipeline's server likewise;
4. **load**: else the least loaded node (fewest instances, then most capacity free) among the
   servers that take instances by load (enabled, ``expanding`` not false; every node when there
   is no ``servers.json``).

Every step claims the instance's bandwidth: a node without that much capacity left is not taken.
A pinned instance whose node is gone is an error, unless it is permanent: then it waits for its
node. An instance that is not pinned may move to another server of its pool when its node is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from camserver.backends.placement import Placement
from camserver.errors import PlacementError
from camserver.models.node import NodeInfo
from camserver.service.server_pool import ServerPool

__all__ = ["PlacementRequest", "place"]


@dataclass(frozen=True, slots=True)
class PlacementRequest:
    """What placing one instance needs to know about it."""

    kind: str  #: ``camera`` or ``pipeline``
    instance_id: str
    config_name: str | None = None
    camera_name: str | None = None  #: pipelines: the camera they read
    bandwidth: float = 0.0  #: Mbit/s its stream claims
    permanent: bool = False
    near: str | None = None  #: a node to prefer (the camera's node, for a pipeline)

    @property
    def subject(self) -> str:
        """``camera 'x'`` / ``pipeline 'y'``, for messages."""
        return f"{self.kind} '{self.instance_id}'"


def _capacity(node: NodeInfo) -> str:
    if node.bandwidth is None:
        return f"{node.name}: not limited"
    return f"{node.name}: {node.bandwidth_free or 0:.0f} of {node.bandwidth:.0f} Mbit/s free"


def _free(node: NodeInfo) -> float:
    free = node.bandwidth_free
    return float("inf") if free is None else free


def _fits(node: NodeInfo, bandwidth: float) -> bool:
    free = node.bandwidth_free
    return free is None or free >= bandwidth - 1e-9


def _pinned(
    request: PlacementRequest, server: str, port: int | None, rule: str, nodes: dict[str, NodeInfo]
) -> Placement:
    node = nodes.get(server)
    if node is None or not node.alive:
        if request.permanent:
            return Placement(
                node=server, pinned=True, bandwidth=request.bandwidth, port=port, reason=f"{rule} (waiting for it)"
            )
        raise PlacementError(f"{request.subject} is {rule}, and no node '{server}' is in the cluster now")
    if not _fits(node, request.bandwidth):
        raise PlacementError(
            f"{request.subject} needs {request.bandwidth:.0f} Mbit/s of network capacity and is {rule}, "
            f"which has not enough left ({_capacity(node)})"
        )
    return Placement(node=server, pinned=True, bandwidth=request.bandwidth, port=port, reason=rule)


def place(request: PlacementRequest, pool: ServerPool, nodes: Sequence[NodeInfo]) -> Placement:
    """Where ``request`` goes on ``nodes`` by the rules of ``pool``; raises :class:`PlacementError`
    naming the rule or the capacity figures when no node may take it."""
    by_name = {node.name: node for node in nodes}
    fixed = pool.fixed(request.instance_id, request.config_name)
    if fixed is not None:
        server, port = fixed
        return _pinned(request, server, port, f"fixed on server '{server}' by servers.json", by_name)
    listed = pool.camera_server(request.camera_name) if request.kind == "pipeline" else None
    if listed is not None:
        rule = f"on server '{listed}', which servers.json gives the pipelines of camera '{request.camera_name}'"
        return _pinned(request, listed, None, rule, by_name)
    targets = pool.load_targets if pool.servers else tuple(sorted(by_name))
    alive = [node for node in nodes if node.alive and node.name in targets]
    members = {server.name for server in pool.enabled} if pool.servers else set(by_name)
    near = by_name.get(request.near or "")
    if near is not None and near.alive and near.name in members and _fits(near, request.bandwidth):
        return Placement(
            node=near.name, pool=targets, bandwidth=request.bandwidth, reason=f"beside its input on '{near.name}'"
        )
    fitting = [node for node in alive if _fits(node, request.bandwidth)]
    if not fitting:
        if not alive:
            where = (
                "servers.json names no enabled server that takes instances by load (expanding)"
                if pool.servers and not targets
                else f"none of the servers that take instances by load is in the cluster now ({', '.join(targets)})"
            )
            raise PlacementError(f"no node may take {request.subject}: {where}")
        raise PlacementError(
            f"no node has {request.bandwidth:.0f} Mbit/s of network capacity left for {request.subject} "
            f"({'; '.join(_capacity(node) for node in alive)})"
        )
    chosen = min(fitting, key=lambda node: (node.instances, -_free(node), node.name))
    return Placement(
        node=chosen.name,
        pool=targets,
        bandwidth=request.bandwidth,
        reason=f"by load on '{chosen.name}' ({chosen.instances} instances there)",
    )
