"""Nodes: the machines instances run on (one on the local backend, each Ray node on a cluster)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["NodeInfo", "NodeList"]


class NodeInfo(BaseModel):
    """One node, its placement labels, its network capacity and its load."""

    name: str = Field(description="the node's server name (its `camserver/server` label; `local` on one machine)")
    address: str = Field(description="the address its instances bind and advertise in stream addresses")
    alive: bool = Field(True, description="false while the cluster has lost the node")
    node_id: str | None = Field(None, description="the engine's id of the node (Ray's node id), if any")
    labels: dict[str, str] = Field(default_factory=dict, description="the node's labels (Ray), `camserver/...`")
    bandwidth: float | None = Field(
        None, description="network capacity in Mbit/s that instances may claim; null: not limited"
    )
    bandwidth_used: float = Field(0.0, description="Mbit/s claimed by the instances placed on the node")
    instances: int = Field(0, description="active instances on the node (CamServer's load)")
    cameras: list[str] = Field(default_factory=list, description="camera instances on the node")
    pipelines: list[str] = Field(default_factory=list, description="pipeline instances on the node")
    cpu: float | None = Field(None, description="CPU use of the node's host, percent of all cores")
    memory: int | None = Field(None, description="memory in use on the node's host, bytes")

    @property
    def bandwidth_free(self) -> float | None:
        """Mbit/s still free; None when the node is not limited."""
        return None if self.bandwidth is None else max(0.0, self.bandwidth - self.bandwidth_used)


class NodeList(BaseModel):
    """``GET /api/v1/nodes``: the backend and its nodes."""

    backend: str = Field(description="`local` or `ray`")
    nodes: list[NodeInfo]
