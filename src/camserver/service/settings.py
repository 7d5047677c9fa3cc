"""Server settings: read once (flags, environment, a config file) and handed to the services."""

from __future__ import annotations

import ipaddress
import json
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from camserver.errors import ConfigError
from camserver.protocol import DEFAULT_MAX_MESSAGE_BYTES

__all__ = ["ServerSettings"]


class ServerSettings(BaseSettings):
    """Everything a camserver server is configured with.

    Each setting can come from a command-line flag, an environment variable ``CAMSERVER_<NAME>``
    (e.g. ``CAMSERVER_PORT=9000``) or a TOML/JSON file given with ``--config``; flags win over the
    environment, the environment over the file, the file over the defaults.
    """

    model_config = SettingsConfigDict(env_prefix="CAMSERVER_", extra="forbid")

    host: str = Field("127.0.0.1", description="interface the REST API and the streams bind to")
    port: int = Field(8888, ge=0, le=65535, description="REST API port (0: any free port)")
    data_dir: Path = Field(Path("camserver-data"), description="configs, backgrounds, scripts")
    advertised_host: str | None = Field(
        None, description="host written into stream addresses (default: the bind host, or this host's name)"
    )
    camera_ports: tuple[int, int] = Field((10100, 10301), description="camera stream ports [first, last)")
    pipeline_ports: tuple[int, int] = Field((11100, 11201), description="pipeline stream ports [first, last)")
    allow_user_scripts: bool = Field(False, description="allow uploaded Python functions and sources")
    shared_memory: bool = Field(
        True,
        description="cameras and publishing pipelines hand frames to pipelines on this host through shared memory",
    )
    token: str | None = Field(None, description="bearer token required by mutating routes")
    demo: bool = Field(False, description="install simulated cameras and pipelines at start")
    backend: Literal["local", "ray"] = Field(
        "local", description="where instances run: processes on this host, or actors on a Ray cluster"
    )
    ray_address: str | None = Field(
        None, description="ray backend: host:port of the Ray cluster's head to join; none: start a Ray head here"
    )
    ray_namespace: str = Field("camserver", description="ray backend: the namespace the server names its instances in")
    node_name: str | None = Field(
        None, description="ray backend without ray_address: server name of the head started here (default: host name)"
    )
    node_bandwidth: float = Field(
        10000.0, ge=0, description="ray backend without ray_address: network capacity of the head started here, Mbit/s"
    )
    default_bandwidth: float = Field(
        0.0,
        ge=0,
        description="Mbit/s a camera claims on its node when neither its config nor an earlier run tells its "
        "frame size and rate",
    )
    pipeline_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="a second port serving the whole API, whose /api/v1/proxy answers for pipelines (CamServer's "
        "pipeline manager port, 8889); 0: any free port",
    )
    dispatcher_url: str | None = Field(
        None, description="DataBuffer dispatcher (REST) asked for bsread_channels given without an address"
    )
    max_message_size: int = Field(
        DEFAULT_MAX_MESSAGE_BYTES,
        ge=1024,
        description="the most value bytes one received bsread message may declare (cameras and pipelines); "
        "a camera's max_message_size may lower it",
    )
    start_timeout: float = Field(30.0, gt=0, description="seconds an instance may take to start")
    stop_timeout: float = Field(10.0, gt=0, description="seconds an instance may take to stop")
    log_level: Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text", description="server log lines as text, or as one JSON object per line (with instance ids)"
    )
    # -- who may do what ---------------------------------------------------------------------
    read_networks: list[str] = Field(
        ["0.0.0.0/0", "::/0"], description="client networks (CIDR) that may read without a token"
    )
    write_networks: list[str] = Field(
        [], description="client networks (CIDR) that may also write (configs, instances) without a token"
    )
    allowed_hosts: list[str] = Field(
        [], description="names this server answers to besides its own (Host header); '*' turns the check off"
    )
    allowed_origins: list[str] = Field(
        [], description="web origins (scheme://host:port) whose pages may write and open the viewer, besides its own"
    )
    # -- how much ----------------------------------------------------------------------------
    max_config_bytes: int = Field(1 << 20, gt=0, description="largest JSON request body: configs, updates")
    max_script_bytes: int = Field(4 << 20, gt=0, description="largest user script or library upload")
    max_background_bytes: int = Field(256 << 20, gt=0, description="largest background upload (.npy or JSON)")
    instance_history: int = Field(100, ge=0, description="ended instances kept in the instance list")
    # -- which files -------------------------------------------------------------------------
    source_dirs: list[Path] | None = Field(
        None, description="folders cameras may read files from (hdf5); default: <data_dir>/sources"
    )
    recording_dirs: list[Path] | None = Field(
        None, description="folders pipelines may record into; default: <data_dir>/recordings"
    )

    @field_validator("read_networks", "write_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not a network (CIDR, e.g. 10.1.0.0/16) or an address") from None
        return value

    @field_validator("camera_ports", "pipeline_ports")
    @classmethod
    def _range(cls, value: tuple[int, int]) -> tuple[int, int]:
        first, last = value
        if not 1 <= first < last <= 65536:
            raise ValueError("a port range is [first, last) with 1 <= first < last <= 65536")
        return value

    @classmethod
    def load(cls, *, config_file: Path | None = None, **overrides: Any) -> ServerSettings:
        """Settings from ``overrides`` (flags), else the environment, else ``config_file`` (TOML or
        JSON), else the defaults. Raises :class:`ConfigError` saying what is wrong."""
        values: dict[str, Any] = {}
        if config_file is not None:
            try:
                text = config_file.read_text(encoding="utf-8")
                loaded: Any = json.loads(text) if config_file.suffix == ".json" else tomllib.loads(text)
            except (OSError, ValueError) as error:
                raise ConfigError(f"cannot read settings file {config_file}: {error}") from None
            if isinstance(loaded, dict):
                loaded = loaded.get("camserver", loaded)
            if not isinstance(loaded, dict):
                raise ConfigError(f"settings file {config_file} must hold a table of settings, not {loaded!r:.60}")
            values = loaded

        class FromFile(cls):  # type: ignore[valid-type, misc]
            @classmethod
            def settings_customise_sources(
                cls,
                settings_cls: type[BaseSettings],
                init_settings: PydanticBaseSettingsSource,
                env_settings: PydanticBaseSettingsSource,
                dotenv_settings: PydanticBaseSettingsSource,
                file_secret_settings: PydanticBaseSettingsSource,
            ) -> tuple[PydanticBaseSettingsSource, ...]:
                return init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=values)

        try:
            loaded = FromFile(**overrides)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise ConfigError(f"invalid settings: {problems}") from None
        return cls.model_validate(loaded.model_dump())

    @property
    def stream_host(self) -> str:
        """The host clients use to reach instance streams."""
        if self.advertised_host:
            return self.advertised_host
        if self.host in ("0.0.0.0", "::", ""):
            return socket.gethostname()
        return self.host

    @property
    def readable_dirs(self) -> list[Path]:
        """Folders whose files cameras may read (absolute)."""
        return [folder.resolve() for folder in (self.source_dirs or [self.data_dir / "sources"])]

    @property
    def writable_dirs(self) -> list[Path]:
        """Folders pipelines may record into (absolute); the first takes relative file names."""
        return [folder.resolve() for folder in (self.recording_dirs or [self.data_dir / "recordings"])]

    @property
    def loopback_only(self) -> bool:
        """True when nothing outside this host can reach the server."""
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")

    def public(self) -> dict[str, Any]:
        """The settings without secrets, for ``/info``."""
        shown = self.model_dump(mode="json", exclude={"token"})
        shown["token"] = "set" if self.token else None
        return shown
