"""The proxy's answers as models: the diag's three shapes, the order of keys nested paths index,
the parallel lists of ``/servers``, and CamServer's own answers parsing."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from camserver.models.replies import DiagReply, NodesReply, ProxyInfoReply, ServersReply
from camserver.models.reports import ActiveDiag, CameraDiag, IdleDiag, ProxyServerReport
from camserver.service.info_path import navigate

ACTIVE = {
    "permanent": True,
    "status": "active",
    "clients": 5,
    "forwards": None,
    "rx": "10.00",
    "tx": "10.00",
    "cpu": 3.5,
    "memory": 1000,
    "header_changes": 1,
    "frame_shape": "64x48x2",
    "node": "srv1",
    "mode": "PUSH",
    "databuffer": "active",
}
IDLE = {"permanent": False, "status": "inactive", "databuffer": "invalid"}


def _diag(diag: dict[str, Any]) -> Any:
    return DiagReply.model_validate({"state": "ok", "status": "Diag: x.", "diag": diag}).diag


def test_each_diag_shape_is_its_own_model_and_dumps_as_it_came() -> None:
    active, idle = _diag(ACTIVE), _diag(IDLE)
    camera = _diag({"pipelines": {"a_sp": ACTIVE, "b_sp": IDLE}, "databuffer": "active"})
    assert isinstance(active, ActiveDiag)
    assert isinstance(idle, IdleDiag)
    assert isinstance(camera, CameraDiag)
    assert [type(diag) for diag in camera.pipelines.values()] == [ActiveDiag, IdleDiag]
    assert active.model_dump() == ACTIVE
    assert idle.model_dump() == IDLE  # an idle instance keeps its three keys
    assert list(active.model_dump()) == list(ACTIVE)  # the order /diag/{name}/{index} counts in


def test_a_diag_is_told_apart_by_its_status() -> None:
    with pytest.raises(ValidationError):
        _diag({**IDLE, "status": "active"})  # active without its figures
    with pytest.raises(ValidationError):
        _diag({**IDLE, "status": "running"})


def test_camservers_own_diag_parses() -> None:
    """CamServer's proxy sends no ``node``, and ``mode`` only when it knows the config."""
    camserver_keys = ("permanent", "status", "clients", "forwards", "rx", "tx", "cpu", "memory", "header_changes")
    diag = _diag({key: ACTIVE[key] for key in (*camserver_keys, "frame_shape", "databuffer")})
    assert isinstance(diag, ActiveDiag)
    assert (diag.node, diag.mode) == (None, None)


def test_servers_keep_camservers_key_order_and_list_in_order() -> None:
    servers = {
        "srv1": ProxyServerReport(instances=["a"], load=1, version="1.0", cpu=2.0, memory=3),
        "srv2": ProxyServerReport(load=1000),
    }
    assert list(servers["srv1"].model_dump()) == ["instances", "load", "version", "cpu", "memory", "tx", "rx"]
    info = ProxyInfoReply.model_validate({"info": {"servers": servers}}).info.model_dump(mode="json")
    assert navigate(info, "servers/0/1") == 1  # the second key of the first server: its load
    reply = ServersReply.of(servers, status="List of servers.")
    assert reply.model_dump(include={"servers", "load", "instances", "version", "cpu", "tx"}) == {
        "servers": ["srv1", "srv2"],
        "load": [1, 1000],
        "instances": [["a"], []],
        "version": ["1.0", None],
        "cpu": [2.0, None],
        "tx": [None, None],
    }


def test_the_nodes_reply_is_the_node_list_in_the_envelope() -> None:
    reply = NodesReply.model_validate({"backend": "local", "nodes": [{"name": "local", "address": "127.0.0.1"}]})
    assert list(reply.model_dump()) == ["state", "status", "backend", "nodes"]
    assert reply.nodes[0].bandwidth_free is None
