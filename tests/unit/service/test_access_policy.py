"""The access policy: Host names, cross-site requests, trusted networks and the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from camserver.errors import PermissionDenied
from camserver.service import ServerSettings
from camserver.service.access_policy import AccessPolicy

OWN = {"host": "127.0.0.1:8888"}


def policy(**options: object) -> AccessPolicy:
    return AccessPolicy(**options)  # type: ignore[arg-type]


# -- Host --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8888", "localhost:8888", "LOCALHOST", "[::1]:8888", "10.1.2.3", "camserver.example.", None]
)
def test_own_names_and_any_address_are_served(host: str | None) -> None:
    policy(served_names=["localhost", "camserver.example"]).check_host(host)


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8888", "localhost.attacker.example"])
def test_other_names_are_refused_saying_which_setting_helps(host: str) -> None:
    with pytest.raises(PermissionDenied, match="allowed_hosts"):
        policy(served_names=["localhost"]).check_host(host)


def test_a_star_serves_any_name() -> None:
    policy(served_names=["localhost", "*"]).check_host("anything.example")


def test_settings_serve_this_hosts_names_and_the_allowed_ones(tmp_path: Path) -> None:
    import socket

    rules = AccessPolicy.from_settings(ServerSettings(data_dir=tmp_path, allowed_hosts=["cams.example"]))
    rules.check_host(socket.gethostname())
    rules.check_host("cams.example:8888")
    with pytest.raises(PermissionDenied):
        rules.check_host("attacker.example")


# -- cross-site --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/cam/x/config"),
        ("DELETE", "/api/v1/pipeline/x"),
        ("GET", "/api/v1/cam/simulation"),
        ("GET", "/api/v1/cam/simulation/image"),
        ("GET", "/api/v1/cam/simulation/image_bytes"),
        ("GET", "/api/v1/cam/simulation/is_online"),
        ("GET", "/api/v1/pipeline/instance/simulation_sp"),
    ],
)
def test_requests_that_change_or_start_something(method: str, path: str) -> None:
    assert AccessPolicy.changes_state(method, path)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/cam", "/api/v1/cam/info", "/api/v1/cam/aliases", "/api/v1/cam/x/config", "/api/v1/instances", "/metrics"],
)
def test_plain_reads_change_nothing(path: str) -> None:
    assert not AccessPolicy.changes_state("GET", path)


def test_a_write_from_another_origin_is_refused() -> None:
    headers = {**OWN, "origin": "http://attacker.example", "content-type": "application/json"}
    with pytest.raises(PermissionDenied, match="attacker.example"):
        policy().check_site("POST", "/api/v1/cam/x/config", headers)


def test_a_write_from_the_servers_own_page_passes() -> None:
    headers = {**OWN, "origin": "http://127.0.0.1:8888", "sec-fetch-site": "same-origin"}
    policy().check_site("POST", "/api/v1/cam/x/config", {**headers, "content-type": "application/json"})


def test_a_null_origin_is_refused() -> None:
    with pytest.raises(PermissionDenied):
        policy().check_site("DELETE", "/api/v1/cam/x", {**OWN, "origin": "null"})


def test_an_allowed_origin_may_write() -> None:
    rules = policy(allowed_origins=["https://dashboard.example"])
    rules.check_site("DELETE", "/api/v1/cam/x", {**OWN, "origin": "https://dashboard.example:443"})
    with pytest.raises(PermissionDenied):
        rules.check_site("DELETE", "/api/v1/cam/x", {**OWN, "origin": "https://dashboard.example:8443"})


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_starting_get_from_another_site_is_refused(site: str) -> None:
    with pytest.raises(PermissionDenied, match="another site"):
        policy().check_site("GET", "/api/v1/cam/simulation", {**OWN, "sec-fetch-site": site})


def test_reads_from_other_sites_pass() -> None:
    policy().check_site("GET", "/api/v1/cam", {**OWN, "sec-fetch-site": "cross-site"})


def test_a_typed_address_passes() -> None:
    policy().check_site("GET", "/api/v1/cam/simulation", {**OWN, "sec-fetch-site": "none"})


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain;charset=UTF-8"]
)
def test_writes_any_page_can_send_are_refused_whatever_the_origin(content_type: str) -> None:
    with pytest.raises(PermissionDenied, match="application/json"):
        policy().check_site("POST", "/api/v1/pipeline/camera/x/background", {**OWN, "content-type": content_type})


def test_clients_without_browser_headers_may_write() -> None:
    policy().check_site("PUT", "/api/v1/pipeline/script/f.py/script_bytes", dict(OWN))
    policy().check_site("POST", "/api/v1/cam/x/config", {**OWN, "content-type": "application/json"})


def test_websocket_origin() -> None:
    rules = policy()
    rules.check_websocket_origin(None, host="127.0.0.1:8888")
    rules.check_websocket_origin("http://127.0.0.1:8888", host="127.0.0.1:8888")
    with pytest.raises(PermissionDenied, match="allowed_origins"):
        rules.check_websocket_origin("http://attacker.example", host="127.0.0.1:8888")


# -- networks and the token --------------------------------------------------------------------


def test_without_token_or_networks_everyone_who_reaches_it_may_write() -> None:
    rules = policy()
    rules.check_read("192.0.2.7", None)
    rules.check_write("192.0.2.7", None)


def test_write_networks_write_without_a_token_others_need_it() -> None:
    rules = policy(token="secret", write_networks=["10.20.0.0/16"])
    rules.check_write("10.20.3.4", None)
    rules.check_write("::ffff:10.20.3.4", None)  # an IPv4 client of a dual-stack socket
    rules.check_write("192.0.2.7", "Bearer secret")
    with pytest.raises(PermissionDenied, match="Bearer"):
        rules.check_write("192.0.2.7", None)
    with pytest.raises(PermissionDenied, match="Bearer"):
        rules.check_write("192.0.2.7", "Bearer wrong")


def test_write_networks_without_a_token_refuse_everyone_else() -> None:
    rules = policy(write_networks=["127.0.0.0/8"])
    rules.check_write("127.0.0.1", None)
    with pytest.raises(PermissionDenied, match="write_networks"):
        rules.check_write("192.0.2.7", None)


def test_read_networks_read_without_a_token_others_need_it() -> None:
    rules = policy(token="secret", read_networks=["10.0.0.0/8"], write_networks=["10.20.0.0/16"])
    rules.check_read("10.1.1.1", None)
    rules.check_read("10.20.1.1", None)  # writers may read
    rules.check_read("192.0.2.7", "Bearer secret")
    with pytest.raises(PermissionDenied, match="read_networks"):
        rules.check_read("192.0.2.7", None)
    with pytest.raises(PermissionDenied):
        rules.check_write("10.1.1.1", None)  # a reader is not a writer


def test_settings_refuse_a_network_that_is_not_one(tmp_path: Path) -> None:
    from camserver.errors import ConfigError

    with pytest.raises(ConfigError, match="CIDR"):
        ServerSettings.load(data_dir=tmp_path, write_networks=["10.0.0.0/33"])
