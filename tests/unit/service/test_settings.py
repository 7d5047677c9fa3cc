"""Server settings: flags > environment > file > defaults, readable errors, safe defaults."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from camserver.errors import ConfigError
from camserver.service.settings import ServerSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CAMSERVER_* variable of the machine running the tests leaks into them."""
    for name in list(os.environ):
        if name.upper().startswith("CAMSERVER_"):
            monkeypatch.delenv(name)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_are_safe() -> None:
    settings = ServerSettings.load()

    assert (settings.host, settings.port) == ("127.0.0.1", 8888)
    assert settings.loopback_only
    assert settings.allow_user_scripts is False
    assert settings.token is None
    assert settings.data_dir == Path("camserver-data")
    assert settings.camera_ports == (10100, 10301)
    assert settings.pipeline_ports == (11100, 11201)
    assert settings.backend == "local"


def test_toml_file_with_a_camserver_table(tmp_path: Path) -> None:
    path = write(
        tmp_path / "camserver.toml",
        '[camserver]\nport = 9001\ndata_dir = "/srv/cams"\ncamera_ports = [20000, 20010]\nlog_level = "DEBUG"\n',
    )

    settings = ServerSettings.load(config_file=path)

    assert settings.port == 9001
    assert settings.data_dir == Path("/srv/cams")
    assert settings.camera_ports == (20000, 20010)
    assert settings.log_level == "DEBUG"
    assert settings.host == "127.0.0.1"


def test_toml_file_without_a_table(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", "port = 9002\nallow_user_scripts = true\n")

    settings = ServerSettings.load(config_file=path)

    assert (settings.port, settings.allow_user_scripts) == (9002, True)


def test_json_file(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", json.dumps({"port": 9003, "pipeline_ports": [30000, 30100]}))

    settings = ServerSettings.load(config_file=path)

    assert (settings.port, settings.pipeline_ports) == (9003, (30000, 30100))


def test_json_file_with_a_camserver_object(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", json.dumps({"camserver": {"port": 9004}}))

    assert ServerSettings.load(config_file=path).port == 9004


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    text = "port = 9001\nstart_timeout = 5.0\n" if suffix == ".toml" else '{"port": 9001, "start_timeout": 5.0}'
    path = write(tmp_path / f"settings{suffix}", text)
    monkeypatch.setenv("CAMSERVER_PORT", "9100")

    settings = ServerSettings.load(config_file=path)

    assert settings.port == 9100
    assert settings.start_timeout == 5.0


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_flags_win_over_environment_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    text = 'port = 9001\nhost = "127.0.0.2"\n' if suffix == ".toml" else '{"port": 9001, "host": "127.0.0.2"}'
    path = write(tmp_path / f"settings{suffix}", text)
    monkeypatch.setenv("CAMSERVER_PORT", "9100")
    monkeypatch.setenv("CAMSERVER_TOKEN", "from-env")

    settings = ServerSettings.load(config_file=path, port=9200)

    assert settings.port == 9200
    assert settings.token == "from-env"
    assert settings.host == "127.0.0.2"


def test_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMSERVER_CAMERA_PORTS", "[12000, 12010]")
    monkeypatch.setenv("CAMSERVER_ALLOW_USER_SCRIPTS", "true")
    monkeypatch.setenv("CAMSERVER_DATA_DIR", "/tmp/somewhere")

    settings = ServerSettings.load()

    assert settings.camera_ports == (12000, 12010)
    assert settings.allow_user_scripts is True
    assert settings.data_dir == Path("/tmp/somewhere")


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        ({"port": -1}, "port"),
        ({"port": 70000}, "port"),
        ({"port": "eighty"}, "port"),
        ({"camera_ports": (5, 5)}, "camera_ports"),
        ({"pipeline_ports": (0, 10)}, "pipeline_ports"),
        ({"log_level": "LOUD"}, "log_level"),
        ({"start_timeout": 0}, "start_timeout"),
        ({"backend": "cloud"}, "backend"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_flags_name_the_field(flags: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=f"invalid settings: .*{field}"):
        ServerSettings.load(**flags)


def test_bad_environment_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMSERVER_PORT", "abc")

    with pytest.raises(ConfigError, match="invalid settings: port"):
        ServerSettings.load()


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        ("bad.json", '{"port": "x"}', "port"),
        ("bad.toml", "stop_timeout = -1\n", "stop_timeout"),
        ("extra.toml", "[camserver]\nprot = 1\n", "prot"),
    ],
)
def test_bad_file_values_name_the_field(tmp_path: Path, name: str, text: str, field: str) -> None:
    path = write(tmp_path / name, text)

    with pytest.raises(ConfigError, match=f"invalid settings: .*{field}"):
        ServerSettings.load(config_file=path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("broken.toml", "port = \n"),
        ("broken.json", "{port: 1}"),
        ("list.json", "[1, 2]"),
        ("number.json", "3"),
        ("table.json", '{"camserver": [1]}'),
        ("latin.toml", None),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, name: str, text: str | None) -> None:
    path = tmp_path / name
    if text is None:
        path.write_bytes(b'host = "caf\xe9"\n')
    else:
        path.write_text(text)

    with pytest.raises(ConfigError, match=f"settings file .*{name}"):
        ServerSettings.load(config_file=path)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read settings file .*missing\.toml"):
        ServerSettings.load(config_file=tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("host", "advertised", "expected"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("10.1.2.3", None, "10.1.2.3"),
        ("0.0.0.0", None, socket.gethostname()),
        ("::", None, socket.gethostname()),
        ("0.0.0.0", "cams.example.org", "cams.example.org"),
        ("127.0.0.1", "viewer-host", "viewer-host"),
    ],
)
def test_stream_host(host: str, advertised: str | None, expected: str) -> None:
    flags: dict[str, object] = {"host": host}
    if advertised is not None:
        flags["advertised_host"] = advertised

    assert ServerSettings.load(**flags).stream_host == expected


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("10.1.2.3", False),
        ("cams.example.org", False),
    ],
)
def test_loopback_only(host: str, loopback: bool) -> None:
    assert ServerSettings.load(host=host).loopback_only is loopback


def test_public_hides_the_token() -> None:
    shown = ServerSettings.load(token="s3cret-value", data_dir=Path("/srv/cams")).public()

    assert shown["token"] == "set"
    assert "s3cret-value" not in json.dumps(shown)
    assert shown["data_dir"] == "/srv/cams"
    assert shown["port"] == 8888
    assert set(shown) == set(ServerSettings.model_fields)


def test_public_without_a_token() -> None:
    assert ServerSettings.load().public()["token"] is None
