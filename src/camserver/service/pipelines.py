"""The pipeline manager: pipeline configs, instances (on demand or permanent), backgrounds."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from camserver.backends import Backend
from camserver.errors import (
    BackgroundNotFound,
    CamServerError,
    ConfigError,
    Conflict,
    InstanceError,
    InstanceNotFound,
    PermissionDenied,
    ReadOnlyInstance,
    ScriptNotFound,
    Timeout,
)
from camserver.models.config_model import check_name
from camserver.models.instance import InstanceInfo, InstanceKind, InstanceSpec, InstanceState, instance_key
from camserver.models.pipeline import PipelineConfig
from camserver.processing.library import PROCESSING_FUNCTIONS, STREAM_FUNCTIONS
from camserver.service.backgrounds import BackgroundStore
from camserver.service.cameras import CameraManager
from camserver.service.config_store import ConfigStore
from camserver.service.instance_start import start_instance
from camserver.service.local_streams import is_stable, local_stream_address
from camserver.service.permanent_instances import read_permanent_instances
from camserver.service.ports import PortAllocator
from camserver.service.settings import ServerSettings
from camserver.transport import Subscriber

__all__ = ["PipelineManager"]

logger = logging.getLogger("camserver.pipelines")

_DEFAULT_FUNCTIONS = {"", "default", "processor", "process_image"}
_FRAME_TIMEOUT = 10.0


def _key(instance_id: str) -> str:
    return instance_key(InstanceKind.PIPELINE, instance_id)


class PipelineManager:
    """Everything the pipeline routes do."""

    def __init__(
        self,
        *,
        store: ConfigStore,
        backend: Backend,
        ports: PortAllocator,
        cameras: CameraManager,
        backgrounds: BackgroundStore,
        settings: ServerSettings,
        recordings: Path,
        user_scripts: Path | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.ports = ports
        self.cameras = cameras
        self.backgrounds = backgrounds
        self.settings = settings
        self.recordings = recordings
        self.user_scripts = user_scripts
        self.server_url: str | None = None
        self.permanent: dict[str, str] = {}
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)

    # -- named configs ------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Names of all pipeline configs."""
        return self.store.names()

    def config(self, name: str) -> PipelineConfig:
        """A named pipeline config, validated."""
        return PipelineConfig.load(self.store.get(name), name=name)

    def set_config(self, name: str, data: dict[str, Any]) -> PipelineConfig:
        """Validate and save a named config."""
        config = PipelineConfig.load(data, name=name)
        self.store.set(name, config.to_dict(expanded=False))
        return config

    def delete_config(self, name: str) -> None:
        """Delete a named config."""
        self.store.delete(name)

    def groups(self) -> dict[str, list[str]]:
        """``{group: [pipelines]}``."""
        groups: dict[str, list[str]] = {}
        for name in self.store.names():
            try:
                config = self.config(name)
            except CamServerError as error:
                logger.warning("pipeline config %s is invalid: %s", name, error)
                continue
            for group in [config.group] if isinstance(config.group, str) else config.group or []:
                groups.setdefault(group, []).append(name)
        return groups

    # -- instances ----------------------------------------------------------------------------

    def info(self, instance_id: str) -> InstanceInfo:
        """The instance (running or ended)."""
        return self.backend.info(_key(instance_id))

    def instances(self) -> list[InstanceInfo]:
        """Running pipeline instances."""
        return [info for info in self.backend.instances() if info.kind is InstanceKind.PIPELINE]

    def _active(self, instance_id: str) -> InstanceInfo | None:
        try:
            info = self.backend.info(_key(instance_id))
        except InstanceNotFound:
            return None
        return info if info.active else None

    def create(
        self,
        config: PipelineConfig,
        *,
        instance_id: str | None = None,
        read_only: bool = False,
        permanent: bool = False,
    ) -> InstanceInfo:
        """Start an instance of ``config``; returns it running (or raises with the reason)."""
        instance_id = check_name(instance_id, what="instance id") if instance_id else str(uuid.uuid4())
        with self._locks[instance_id]:
            if self._active(instance_id) is not None:
                raise Conflict(f"Instance '{instance_id}' is already running.")
            spec, info = start_instance(
                self.backend,
                lambda: self._spec(config, instance_id, read_only=read_only, permanent=permanent),
                timeout=self.settings.start_timeout,
                stop_timeout=self.settings.stop_timeout,
                fixed_port=config.port is not None,
            )
        if info.state is not InstanceState.RUNNING or not info.stream_address:
            if not permanent:  # a permanent instance keeps its port: the backend retries it
                self.ports.release(spec.key)
            raise InstanceError(f"Pipeline instance '{instance_id}' could not start: {info.reason}")
        return info

    def create_from_name(
        self, name: str, *, instance_id: str | None = None, additional: dict[str, Any] | None = None
    ) -> InstanceInfo:
        """Start an instance of a named config, with ``additional`` keys merged over it."""
        stored = self.config(name).to_dict(expanded=False)
        read_only = bool((additional or {}).get("read_only", False))
        config = PipelineConfig.load({**stored, **(additional or {})}, name=name)
        return self.create(config, instance_id=instance_id, read_only=read_only, permanent=name in self.permanent)

    def stream(self, instance_id: str) -> str:
        """The stream of a running instance; a saved pipeline of that name is started on demand."""
        info = self._active(instance_id)
        if info is not None and info.stream_address:
            return info.stream_address
        if self.store.exists(instance_id):
            with contextlib.suppress(Conflict):  # started by a concurrent request meanwhile
                return self.create_from_name(instance_id, instance_id=instance_id).stream_address or ""
            info = self._active(instance_id)
            if info is not None and info.stream_address:
                return info.stream_address
        raise InstanceNotFound(f"Instance '{instance_id}' does not exist.")

    def stream_from_config(self, data: dict[str, Any]) -> InstanceInfo:
        """A read-only instance with exactly this config: an existing one, or a new one."""
        config = PipelineConfig.load(data)
        wanted = config.to_dict()
        for info in self.instances():
            if info.read_only and info.state is InstanceState.RUNNING and info.config == wanted:
                return info
        return self.create(config, read_only=True)

    def stop(self, instance_id: str) -> None:
        """Stop an instance and forget it (CamServer deletes stopped pipeline instances)."""
        key = _key(instance_id)
        self.backend.stop(key, timeout=self.settings.stop_timeout)

    def delete(self, instance_id: str) -> None:
        """Stop an instance and free its port."""
        key = _key(instance_id)
        self.backend.stop(key, timeout=self.settings.stop_timeout)
        self.backend.forget(key)
        self.ports.release(key)

    def stop_all(self) -> None:
        """Stop every pipeline instance."""
        for info in self.instances():
            self.backend.stop(info.key, timeout=self.settings.stop_timeout)

    def exit_code(self, instance_id: str) -> int | None:
        """The exit code of an ended instance; None while it runs, and (as CamServer) for an
        instance that was deleted or never existed."""
        try:
            info = self.info(instance_id)
        except InstanceNotFound:
            return None
        return None if info.active else info.exit_code

    def instance_config(self, instance_id: str) -> dict[str, Any]:
        """The config an instance runs with."""
        return self.info(instance_id).config

    def update_instance(self, instance_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """CamServer's partial update of a running instance, effective from its next frame."""
        info = self._active(instance_id)
        if info is None:
            raise InstanceNotFound(f"Instance '{instance_id}' is not running.")
        if info.read_only:
            raise ReadOnlyInstance("Cannot set config on a read only instance.")
        if not isinstance(changes, dict) or not changes:
            raise ConfigError("Config updates cannot be empty.")
        current = PipelineConfig.load(info.config)
        config = current.updated({"reload": False, **changes})  # as CamServer: reload applies to one update
        if config.camera_name != current.camera_name:
            raise Conflict("Cannot change the camera name on a running instance. Stop the instance first.")
        if config.image_background and config.image_background not in ("", None):
            try:
                self.backgrounds.path(config.image_background)
            except BackgroundNotFound:
                raise BackgroundNotFound(f"Requested background '{config.image_background}' does not exist.") from None
        self._check_function(config)
        self.backend.update_config(info.key, config.to_dict(), {"background_file": self._background_file(config)})
        if info.permanent and info.config_name and self.store.exists(info.config_name):
            # as CamServer: a permanent instance's update also changes its saved config
            saved = self.config(info.config_name).updated(changes)
            self.store.set(info.config_name, saved.to_dict(expanded=False))
        return config.to_dict()

    def logs(self, instance_id: str) -> list[list[str]]:
        """The instance's log ring."""
        return self.backend.logs(_key(instance_id))

    # -- what a spec needs --------------------------------------------------------------------

    def _check_function(self, config: PipelineConfig) -> None:
        name = config.function or ""
        builtin = name in _DEFAULT_FUNCTIONS or name in PROCESSING_FUNCTIONS or name in STREAM_FUNCTIONS
        if not builtin and self.user_scripts is None:
            raise PermissionDenied(
                f"function '{name}' is user code, and user scripts are not allowed on this server "
                "(start it with --allow-user-scripts)"
            )
        if config.pipeline_type in ("custom", "script") and self.user_scripts is None:
            raise PermissionDenied(f"{config.pipeline_type} pipelines run user code; user scripts are not allowed")
        if not builtin:
            self._check_script(name, "function")
        if config.pipeline_type == "script":
            self._check_script(config.pipeline_script or "", "pipeline_script")

    def _check_script(self, name: str, key: str) -> None:
        """A user script the instance will load exists, so that a wrong name is the caller's error
        here (and a live update is not refused by the instance after the server accepted it)."""
        assert self.user_scripts is not None
        if "/" in name or "\\" in name:
            raise ConfigError(f"{key} '{name}': give the name of an uploaded script, not a path")
        stem = name.removesuffix(".py")
        if not (self.user_scripts / f"{stem}.py").is_file():
            raise ScriptNotFound(f"{key} '{name}': there is no user script {stem}.py; upload it first.")

    def _background_file(self, config: PipelineConfig) -> str | None:
        if not config.image_background_enable:
            return None
        background_id = config.image_background
        if not background_id and config.camera_name:
            try:
                background_id = self.backgrounds.latest(config.camera_name)
            except BackgroundNotFound:
                return None
        if not background_id:
            return None
        try:
            return str(self.backgrounds.path(background_id))
        except BackgroundNotFound:
            return None  # the pipeline reports "Invalid background image file" per notify_on_error

    def _recording(self, config: PipelineConfig) -> PipelineConfig:
        if config.effective_mode != "FILE" or not config.file:
            return config
        path = Path(config.file)
        allowed = self.settings.writable_dirs if self.settings.recording_dirs else [self.recordings.resolve()]
        target = (path if path.is_absolute() else allowed[0] / path).resolve()
        if not any(folder in target.parents for folder in allowed):
            folders = ", ".join(str(folder) for folder in allowed)
            raise PermissionDenied(
                f"recordings are written under {folders} (the server's recording_dirs); '{config.file}' is outside"
            )
        return config.updated({"file": str(target)})

    def _input(self, instance_id: str) -> str:
        info = self._active(instance_id)
        if info is not None and info.stream_address:
            return info.stream_address
        return self.stream(instance_id)

    def _local_stream(self, instance_id: str) -> str | None:
        info = self._active(instance_id)
        return info.local_stream if info is not None else None

    def _spec(self, config: PipelineConfig, instance_id: str, *, read_only: bool, permanent: bool) -> InstanceSpec:
        self._check_function(config)
        config = self._recording(config)
        streams: dict[str, str] = {}
        local_streams: dict[str, str] = {}
        if config.input_pipeline:
            streams["input"] = self._input(config.input_pipeline)
            # the local backend runs every instance on this host: the upstream's shared memory is in reach
            # (only a name the upstream binds again after a restart: a loopback port would go stale)
            local = self._local_stream(config.input_pipeline)
            if local is not None and is_stable(local):
                local_streams["input"] = local
        if config.input_pipeline2:  # merged by pulse id from a non-blocking socket: bsread over TCP
            streams["input2"] = self._input(config.input_pipeline2)
        if config.output_pipeline:
            self.stream(config.output_pipeline)  # running, or started from its saved config
            address = self.info(config.output_pipeline).config.get("input_stream")
            if not address:
                raise ConfigError(f"output_pipeline '{config.output_pipeline}' has no input_stream to connect to")
            streams["output"] = address
        camera_stream = camera_local_stream = None
        needs_camera = config.pipeline_type in ("processing", "store", "fanout")
        if config.camera_name and needs_camera and not (config.input_stream or config.input_pipeline):
            camera_stream = self.cameras.stream(config.camera_name)
            # the local backend runs every instance on this host: the camera's shared memory is in reach
            camera_local_stream = self.cameras.local_stream(config.camera_name)
        if permanent:
            config = config.updated({"no_client_timeout": 0})
        key = _key(instance_id)
        self.ports.reclaim(self._owner_active)
        port = None
        if config.effective_mode != "FILE" and not config.output_stream and "output" not in streams:
            port = config.port or self.ports.allocate(key)
        return InstanceSpec(
            instance_id=instance_id,
            kind=InstanceKind.PIPELINE,
            config=config.to_dict(),
            config_name=config.name,
            port=port,
            bind_host=self.settings.host,
            advertised_host=self.settings.stream_host,
            server_url=self.server_url,
            camera_stream=camera_stream,
            camera_local_stream=camera_local_stream,
            local_stream=(
                local_stream_address(self.settings.data_dir, "pipeline", instance_id)
                if self.settings.shared_memory
                else None
            ),
            input_streams=streams,
            input_local_streams=local_streams,
            background_file=self._background_file(config),
            background_dir=str(self.backgrounds.folder),
            user_scripts_dir=str(self.user_scripts) if self.user_scripts else None,
            permanent=permanent,
            read_only=read_only,
            log_level=self.settings.log_level,
        )

    def _owner_active(self, key: str) -> bool:
        try:
            return self.backend.info(key).active
        except InstanceNotFound:
            return False

    # -- backgrounds --------------------------------------------------------------------------

    def collect_background(self, camera: str, n_images: int = 10) -> str:
        """Average ``n_images`` frames of the camera's stream into a new background; its id."""
        if not 1 <= n_images <= 10000:
            raise ConfigError("n_images must be a number from 1 to 10000.")
        camera = self.cameras.resolve(camera)
        address = self.cameras.stream(camera)
        total: np.ndarray[Any, Any] | None = None
        dtype = None
        collected = 0
        deadline = time.monotonic() + _FRAME_TIMEOUT + n_images
        with Subscriber(address, queue_size=max(10, n_images), receive_timeout=_FRAME_TIMEOUT) as subscriber:
            while collected < n_images:
                if time.monotonic() > deadline:
                    raise Timeout(f"only {collected} of {n_images} frames of camera '{camera}' arrived in time")
                message = subscriber.receive()
                if message is None:
                    raise Timeout(f"camera '{camera}' sent no frame for {_FRAME_TIMEOUT:g} s")
                image = message.data.get("image")
                if not isinstance(image, np.ndarray) or image.ndim != 2:
                    continue
                if total is not None and total.shape != image.shape:
                    total, collected = None, 0  # the camera's geometry changed: start again
                if total is None:
                    total, dtype = np.zeros(image.shape, np.float64), image.dtype
                total += image
                collected += 1
        assert total is not None
        assert dtype is not None
        mean = total / collected
        if np.dtype(dtype).kind in "iu":
            info = np.iinfo(dtype)
            mean = np.clip(np.rint(mean), info.min, info.max)
        background_id = self.backgrounds.new_id(camera)
        self.backgrounds.save(background_id, mean.astype(dtype))
        logger.info("collected background %s from %d frames", background_id, collected)
        return background_id

    # -- permanent instances ------------------------------------------------------------------

    def start_permanent(self, path: Path, *, extra: dict[str, str] | None = None) -> None:
        """Start every enabled permanent instance (those of ``path`` and ``extra``); the backend
        restarts them when they end."""
        self.permanent = {**(extra or {}), **read_permanent_instances(path)}
        for instance_id, name in self.permanent.items():
            if not self.store.exists(name):
                logger.error("permanent instance %s: pipeline config %s does not exist", instance_id, name)
                continue
            try:
                config = self.config(name)
                self.create(config, instance_id=instance_id, permanent=True)
                logger.info("permanent instance %s (%s) started", instance_id, name)
            except CamServerError as error:
                logger.error("permanent instance %s could not start: %s", instance_id, error)
