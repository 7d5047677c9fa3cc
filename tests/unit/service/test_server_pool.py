"""servers.json: CamServer's files read as they are, every rule found, every mistake named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camserver.errors import ConfigError
from camserver.service.server_pool import ServerPool, server_names

CAMSERVER_PIPELINES = Path(__file__).parents[2] / "data" / "camserver-configs" / "pipeline_config" / "servers.json"


def pool(data: dict[str, object]) -> ServerPool:
    return ServerPool.from_json(data)


def test_camservers_own_file_reads_without_problems() -> None:
    read = ServerPool.from_json(json.loads(CAMSERVER_PIPELINES.read_text()))
    assert read.problems == ()
    assert read.check() == []
    assert [server.name for server in read.servers] == ["localhost-8881", "localhost-8882"]  # one host twice
    assert read.fixed("simulation2_sp") == ("localhost-8881", 5555)  # "simulation2_sp:5555 " with its space
    assert read.fixed("arrival_time_proc") == ("localhost-8881", 5556)  # "#arrival_time_proc" elsewhere is off
    assert read.camera_server("simulation") == "localhost-8881"
    assert read.load_targets == ("localhost-8881",)  # 8882 is disabled


def test_server_names_from_urls_and_plain_names() -> None:
    names = server_names(["http://sf-daqsync-01.psi.ch:8881", "srv2", "http://a:1", "http://a:2"])
    assert names == {
        "http://sf-daqsync-01.psi.ch:8881": "sf-daqsync-01.psi.ch",
        "srv2": "srv2",
        "http://a:1": "a-1",
        "http://a:2": "a-2",
    }


def test_fixed_instances_and_ports() -> None:
    read = pool({"srv1": {"instances": ["cam:5554", "pipe", "#off:5555"]}, "srv2": {"expanding": False}})
    assert read.fixed("cam") == ("srv1", 5554)
    assert read.fixed("pipe") == ("srv1", None)
    assert read.fixed("off") is None
    assert read.fixed(None, "", "pipe") == ("srv1", None)  # the first name given that is fixed
    assert read.fixed_port("cam") == 5554
    assert read.ports() == {5554: "cam"}
    assert read.load_targets == ("srv1",)


def test_disabled_servers_fix_nothing() -> None:
    read = pool({"srv1": {"enabled": False, "instances": ["cam:5554"], "cameras": ["camA"]}, "srv2": {}})
    assert read.fixed("cam") is None
    assert read.camera_server("camA") is None
    assert read.load_targets == ("srv2",)


def test_mistakes_are_named_one_by_one() -> None:
    read = pool(
        {
            "srv1": {"instances": ["a:5554", "b:5554", "c:x", "d:70000"], "cameras": ["camA"], "expandng": True},
            "srv2": {"instances": ["a"], "cameras": ["camA", "ghost"], "enabled": "yes"},
            "srv3": {"enabled": False, "instances": ["e"], "cameras": ["camB"]},
            "bad name!": {},
            "http://x:1": [],
        }
    )
    problems = read.check(cameras={"camA", "camB"}, nodes={"srv1", "srv2", "srv3"})
    expected = [
        "server srv1: unknown keys expandng",
        "server srv1: instance entry 'c:x' has no port number",
        "server srv1: instance entry 'd:70000': port 70000 is not in 1-65535",
        "server srv2: 'enabled' must be true or false, not 'yes'",
        "server bad name!: its name 'bad name!' cannot be a node label",
        "server http://x:1: its rules must be a JSON object",
        "port 5554 is given twice: to 'a' and to 'b'",
        "instance 'a' is fixed on two servers: srv1 and srv2",
        "camera 'camA' is listed by two servers: srv1 and srv2",
        "server srv2 lists camera 'ghost', which does not exist",
        "instance 'e' is fixed on server srv3, which is disabled",
        "camera 'camB' is listed by server srv3, which is disabled",
        "server bad name! is unknown: no node of the cluster is called 'bad name!'",
    ]
    for text in expected:
        assert any(text in problem for problem in problems), (text, problems)
    assert len(problems) == len(expected)


def test_notes_tell_server_names_and_instance_ids() -> None:
    read = pool({"http://host:8881": {"instances": ["known", "some_id"]}})
    assert read.notes(configs={"known"}) == [
        "server http://host:8881 is 'host'",
        "instance 'some_id' (server http://host:8881) is not a config name here: it must be an instance id",
    ]


def test_not_an_object_is_refused() -> None:
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        ServerPool.from_json(["srv1"])
