"""The camera manager: camera configs, and camera instances started on demand."""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from camserver.backends import Backend
from camserver.errors import (
    BackgroundNotFound,
    CameraNotFound,
    CamServerError,
    ConfigError,
    InstanceNotFound,
    PermissionDenied,
    SourceError,
    Timeout,
)
from camserver.models.camera import CameraConfig
from camserver.models.instance import InstanceInfo, InstanceKind, InstanceSpec, InstanceState, instance_key
from camserver.service.backgrounds import BackgroundStore
from camserver.service.config_store import ConfigStore, write_json_atomically
from camserver.service.local_streams import local_stream_address
from camserver.service.permanent_instances import read_permanent_instances
from camserver.service.placement import PlacementRequest
from camserver.service.placer import Placer
from camserver.service.ports import PORT_ATTEMPTS, PortAllocator, port_taken
from camserver.service.settings import ServerSettings
from camserver.service.stream_bandwidth import camera_bandwidth
from camserver.sources.hdf5_file import split_source
from camserver.transport import Subscriber

__all__ = ["CameraManager"]

logger = logging.getLogger("camserver.cameras")

Array = np.ndarray[Any, Any]
_GRAB_TIMEOUT = 10.0
#: what a raw image leaves out: the camera's transforms (and a fixed port the camera itself uses)
_UNTRANSFORMED = {
    "binning_x": 1,
    "binning_y": 1,
    "mirror_x": False,
    "mirror_y": False,
    "rotate": 0,
    "roi": None,
    "image_background": None,
    "dtype": None,
}


class CameraManager:
    """Everything the camera routes do: configs, aliases, groups, instances, single frames."""

    def __init__(
        self,
        *,
        store: ConfigStore,
        backend: Backend,
        ports: PortAllocator,
        backgrounds: BackgroundStore,
        settings: ServerSettings,
        placer: Placer,
        user_scripts: Path | None = None,
    ) -> None:
        self.store = store
        self.placer = placer
        self.backend = backend
        self.ports = ports
        self.backgrounds = backgrounds
        self.settings = settings
        self.user_scripts = user_scripts
        self.permanent: set[str] = set()
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)

    # -- configs ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Names of all camera configs."""
        return self.store.names()

    def _configs(self) -> list[CameraConfig]:
        configs = []
        for name in self.store.names():
            try:
                configs.append(CameraConfig.load(self.store.get(name), name=name))
            except CamServerError as error:
                logger.warning("camera config %s is invalid: %s", name, error)
        return configs

    def aliases(self) -> dict[str, str]:
        """``{alias: camera}``; an alias equal to a camera's name is ignored."""
        names = set(self.store.names())
        return {
            alias: config.name or "" for config in self._configs() for alias in config.aliases if alias not in names
        }

    def groups(self) -> dict[str, list[str]]:
        """``{group: [cameras]}``."""
        groups: dict[str, list[str]] = {}
        for config in self._configs():
            for group in config.groups:
                groups.setdefault(group, []).append(config.name or "")
        return groups

    def resolve(self, name: str) -> str:
        """The camera a name or alias stands for; raises :class:`CameraNotFound`."""
        if self.store.exists(name):
            return name
        camera = self.aliases().get(name)
        if camera is None:
            raise CameraNotFound(f"Camera '{name}' does not exist.")
        return camera

    def config(self, name: str) -> CameraConfig:
        """The camera's config, validated."""
        camera = self.resolve(name)
        return CameraConfig.load(self.store.get(camera), name=camera)

    def set_config(self, name: str, data: dict[str, Any]) -> CameraConfig:
        """Validate and save a complete config; a running instance applies it from the next frame."""
        config = CameraConfig.load(data, name=name)
        confined = self._confined(config)
        self.store.set(name, config.to_dict(expanded=False))
        info = self._running(name)
        if info is not None:
            try:
                self.backend.update_config(info.key, confined.to_dict())
            except InstanceNotFound:
                pass  # it ended meanwhile: the next start reads the saved config
            except ConfigError as error:
                raise ConfigError(
                    f"Config of '{name}' saved, but the running camera could not apply it: {error}"
                ) from None
        return config

    def delete_config(self, name: str) -> None:
        """Delete a camera config (a running instance keeps running until stopped)."""
        self.store.delete(name)

    # -- instances ----------------------------------------------------------------------------

    def _running(self, name: str) -> InstanceInfo | None:
        try:
            info = self.backend.info(instance_key(InstanceKind.CAMERA, name))
        except InstanceNotFound:
            return None
        return info if info.active else None

    def _background_file(self, config: CameraConfig) -> str | None:
        background = config.image_background
        if not background:
            return None
        background_id = self.backgrounds.latest(config.name or "") if background is True else str(background)
        try:
            return str(self.backgrounds.path(background_id))
        except BackgroundNotFound:
            raise ConfigError(
                f"camera '{config.name}' subtracts background '{background_id}', which does not exist"
            ) from None

    def _confined(self, config: CameraConfig) -> CameraConfig:
        """The config with the file it reads (hdf5) made absolute, if it lies in a folder the
        server's ``source_dirs`` allow; :class:`PermissionDenied` otherwise, in words that say
        nothing of whether the file exists."""
        if config.source_type != "hdf5":
            return config
        path, dataset = split_source(config.source)
        allowed = self.settings.readable_dirs
        target = (path if path.is_absolute() else allowed[0] / path).resolve()
        if not any(target == folder or folder in target.parents for folder in allowed):
            folders = ", ".join(str(folder) for folder in allowed)
            raise PermissionDenied(
                f"camera '{config.name}': hdf5 files are read only from the server's source_dirs ({folders}); "
                f"'{path}' is outside them"
            )
        return config.updated({"source": f"{target}:{dataset}"})

    def spec(self, name: str, config: CameraConfig | None = None) -> InstanceSpec:
        """What starting this camera's instance takes."""
        config = config or self.config(name)
        key = instance_key(InstanceKind.CAMERA, name)
        self.ports.reclaim(self._owner_active)
        fixed = self.placer.fixed_port("camera", name)  # servers.json's "name:port"
        port = None if config.protocol == "ipc" else fixed or config.port or self.ports.allocate(key)
        local = local_stream_address(self.settings.data_dir, "camera", name) if self.settings.shared_memory else None
        return self._spec(name, config, instance_id=name, port=port, local_stream=local)

    def _spec(
        self, name: str, config: CameraConfig, *, instance_id: str, port: int | None, local_stream: str | None
    ) -> InstanceSpec:
        if config.source_type == "script" and self.user_scripts is None:
            raise PermissionDenied(
                "user scripts are not allowed on this server (start it with --allow-user-scripts): "
                f"camera '{name}' with source_type 'script' is refused"
            )
        config = self._confined(config)
        ipc_dir = self.settings.data_dir / "ipc"
        if config.protocol == "ipc":
            ipc_dir.mkdir(parents=True, exist_ok=True)
        return InstanceSpec(
            instance_id=instance_id,
            kind=InstanceKind.CAMERA,
            config=config.to_dict(),
            config_name=name,
            port=port,
            bind_host=self.settings.host,
            advertised_host=self.settings.stream_host,
            background_file=self._background_file(config),
            ipc_dir=str(ipc_dir.resolve()) if config.protocol == "ipc" else None,
            user_scripts_dir=str(self.user_scripts) if self.user_scripts else None,
            permanent=instance_id in self.permanent,
            log_level=self.settings.log_level,
            max_message_size=self.settings.max_message_size,
            local_stream=local_stream,
        )

    def _owner_active(self, key: str) -> bool:
        try:
            return self.backend.info(key).active
        except InstanceNotFound:
            return False

    def bandwidth(self, name: str, config: CameraConfig | None = None) -> float:
        """Mbit/s the camera's stream claims on its node: from its last run's figures if it ran,
        else from its config, else the server's ``default_bandwidth``."""
        config = config or self.config(name)
        measured = None
        try:
            statistics = self.backend.info(instance_key(InstanceKind.CAMERA, config.name or name)).statistics
        except InstanceNotFound:
            statistics = None
        if statistics is not None and statistics.frame_shape and statistics.tx_rate > 0:
            measured = (*map(float, statistics.frame_shape), statistics.tx_rate)
        return camera_bandwidth(config, measured=measured, default=self.settings.default_bandwidth)

    def _start(
        self, camera: str, config: CameraConfig, *, near: str | None = None
    ) -> tuple[InstanceSpec, InstanceInfo]:
        """Start the camera's instance, on another port if its port was taken by another socket
        between its allocation and the bind (up to :data:`PORT_ATTEMPTS` times)."""
        spec = self.spec(camera, config)
        info = self._place_and_start(spec, config, near=near)
        for _ in range(PORT_ATTEMPTS - 1):
            if not port_taken(spec, info):
                break
            assert spec.port is not None
            logger.warning("camera %s: port %d was taken before it could bind; trying another", camera, spec.port)
            self.ports.taken_elsewhere(spec.key, spec.port)
            with contextlib.suppress(InstanceNotFound):  # a permanent instance would retry the taken port
                self.backend.stop(spec.key, timeout=self.settings.stop_timeout)
            spec = self.spec(camera, config)
            info = self._place_and_start(spec, config, near=near)
        return spec, info

    def _place_and_start(self, spec: InstanceSpec, config: CameraConfig, *, near: str | None = None) -> InstanceInfo:
        request = PlacementRequest(
            kind="camera",
            instance_id=spec.instance_id,
            config_name=spec.instance_id,
            bandwidth=self.bandwidth(spec.instance_id, config),
            permanent=spec.permanent,
            near=near,
        )
        try:
            placement = self.placer.place(request)
        except CamServerError:
            self.ports.release(spec.key)
            raise
        return self.backend.start(spec, timeout=self.settings.start_timeout, placement=placement)

    def stream(self, name: str, *, near: str | None = None) -> str:
        """The camera's stream address, starting its instance if it is not running (on a cluster
        preferably on the node ``near``, where a pipeline fixed there will read it)."""
        camera = self.resolve(name)
        with self._locks[camera]:
            info = self._running(camera)
            if info is not None and info.state is InstanceState.RUNNING and info.stream_address:
                return info.stream_address
            spec, info = self._start(camera, self.config(camera), near=near)
            if info.state is not InstanceState.RUNNING or not info.stream_address:
                self.ports.release(spec.key)
                raise SourceError(f"Camera '{camera}' could not start: {info.reason}")
            return info.stream_address

    def node(self, name: str) -> str | None:
        """The node the running camera is on (``local`` on one machine), if it runs."""
        info = self._running(self.resolve(name))
        return info.node if info is not None else None

    def local_stream(self, name: str, *, node: str | None = None) -> str | None:
        """The running camera's local stream (shared memory), if it has one, for a reader on
        ``node``: on a cluster only a reader on the camera's node gets it."""
        info = self._running(self.resolve(name))
        if info is None:
            return None
        if self.placer.clustered and info.node != node:
            return None
        return info.local_stream

    def instance(self, name: str) -> InstanceInfo:
        """The camera's instance (running or ended); raises :class:`InstanceNotFound`."""
        return self.backend.info(instance_key(InstanceKind.CAMERA, name))

    def instances(self) -> list[InstanceInfo]:
        """Running camera instances."""
        return [info for info in self.backend.instances() if info.kind is InstanceKind.CAMERA]

    def stop(self, name: str) -> None:
        """Stop the camera's instance; raises :class:`InstanceNotFound` if it has none."""
        key = instance_key(InstanceKind.CAMERA, name)
        logger.info("camera %s: stop requested", name, extra={"instance": key})
        self.backend.stop(key, timeout=self.settings.stop_timeout)

    def stop_all(self) -> None:
        """Stop every camera instance."""
        for info in self.instances():
            self.backend.stop(info.key, timeout=self.settings.stop_timeout)

    def delete(self, name: str) -> None:
        """Stop the camera's instance and forget it (its port is freed)."""
        key = instance_key(InstanceKind.CAMERA, name)
        self.backend.stop(key, timeout=self.settings.stop_timeout)
        self.backend.forget(key)
        self.ports.release(key)

    def logs(self, name: str) -> list[list[str]]:
        """The instance's log ring."""
        return self.backend.logs(instance_key(InstanceKind.CAMERA, name))

    def start_permanent(self, path: Path) -> None:
        """Start the cameras of ``permanent_instances.json`` (instance name = camera name), with
        no no-client timeout; the backend restarts them when they end."""
        self.permanent = set(read_permanent_instances(path))
        for camera in sorted(self.permanent):
            self._start_permanent(camera)

    def _start_permanent(self, camera: str) -> None:
        try:
            config = self.config(camera).updated({"no_client_timeout": 0})
            with self._locks[camera]:
                info = self._running(camera)
                if info is not None and info.permanent:  # on a cluster, found running after a restart
                    logger.info("permanent camera %s: running", camera)
                    return
                if info is not None:  # running on demand: started again as a permanent instance
                    self.stop(camera)
                _, info = self._start(camera, config)
            logger.info("permanent camera %s: %s %s", camera, info.state.value, info.reason or "")
        except CamServerError as error:
            logger.error("permanent camera %s could not start: %s", camera, error)

    def set_permanent(self, path: Path, entries: dict[str, str]) -> dict[str, str]:
        """CamServer's ``POST /proxy/permanent`` for cameras: replace ``{instance: camera}``
        (``#`` switches an entry off), dropping cameras that do not exist; save it; stop cameras
        no longer listed and start the new ones."""
        if not isinstance(entries, dict) or not all(isinstance(value, str) for value in entries.values()):
            raise ConfigError("permanent instances must be a JSON object {instance: camera name}")
        kept = {
            str(instance): camera
            for instance, camera in entries.items()
            if str(instance).startswith("#") or self.store.exists(str(instance))
        }
        for instance in sorted(set(entries) - set(kept)):
            logger.warning("permanent camera %s dropped: there is no such camera", instance)
        write_json_atomically(path, kept)
        former, self.permanent = self.permanent, set(read_permanent_instances(path))
        for camera in sorted(former - self.permanent):
            with contextlib.suppress(InstanceNotFound):
                self.stop(camera)
        for camera in sorted(self.permanent):
            self._start_permanent(camera)
        return kept

    # -- single frames, from an instance ----------------------------------------------------

    @contextlib.contextmanager
    def _probe(self, camera: str, config: CameraConfig) -> Iterator[InstanceInfo]:
        """A short-lived instance of ``config`` on any free port, stopped and forgotten when the
        block ends: the server never opens a source itself (a script camera's code, an EPICS
        connection, a file all stay in an instance process)."""
        instance_id = f"{camera}.probe-{uuid.uuid4().hex[:8]}"
        config = config.updated(
            {"no_client_timeout": _GRAB_TIMEOUT, "port": None, "protocol": "tcp", "forwarder_port": None}
        )
        spec = self._spec(camera, config, instance_id=instance_id, port=None, local_stream=None)
        info = self.backend.start(spec, timeout=self.settings.start_timeout)
        try:
            yield info
        finally:
            with contextlib.suppress(InstanceNotFound):
                self.backend.stop(spec.key, timeout=self.settings.stop_timeout)
                self.backend.forget(spec.key)

    def is_online(self, name: str) -> tuple[bool, str]:
        """Whether the camera's source answers, and why not: a running instance answers; else a
        short-lived instance tries to open the source."""
        config = self.config(name)
        camera = config.name or name
        if self._running(camera) is not None:
            return True, "ok"
        with self._probe(camera, config) as info:
            if info.state is InstanceState.RUNNING:
                return True, "ok"
            return False, info.reason or "the camera did not start"

    @staticmethod
    def _receive_image(address: str, camera: str) -> Array:
        with Subscriber(address, receive_timeout=_GRAB_TIMEOUT) as subscriber:
            message = subscriber.receive()
        if message is None:
            raise Timeout(f"Camera '{camera}' delivered no image within {_GRAB_TIMEOUT:g} s.")
        image = message.data.get("image")
        if not isinstance(image, np.ndarray):
            raise Timeout(f"Camera '{camera}' sent a message without an image.")
        return image

    def grab(self, name: str, *, raw: bool = False) -> Array:
        """One image (``raw``: before the camera's transforms), from the camera's running
        instance, else from a short-lived instance."""
        config = self.config(name)
        camera = config.name or name
        info = self._running(camera)
        if info is not None and info.stream_address and not raw:
            return self._receive_image(info.stream_address, camera)
        if raw:
            config = config.updated(_UNTRANSFORMED)
        with self._probe(camera, config) as probe:
            if probe.state is not InstanceState.RUNNING or not probe.stream_address:
                raise SourceError(f"Camera '{camera}' could not start: {probe.reason}")
            return self._receive_image(probe.stream_address, camera)

    def geometry(self, name: str) -> list[int]:
        """``[width, height]`` of the camera's images after binning, rotation and ROI."""
        info = self._running(self.resolve(name))
        if info is not None and info.statistics.frame_shape:
            width, height = info.statistics.frame_shape[:2]
            return [width, height]
        height, width = self.grab(name).shape
        return [width, height]
