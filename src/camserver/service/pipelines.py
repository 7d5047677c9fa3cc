"""The pipeline manager: pipeline configs, instances (on demand or permanent), backgrounds."""

from __future__ import annotations

import contextlib
import difflib
import logging
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from camserver.backends import Backend
from camserver.errors import (
    BackgroundNotFound,
    CameraNotFound,
    CamServerError,
    ConfigError,
    Conflict,
    InstanceError,
    InstanceNotFound,
    MethodNotAllowed,
    PermissionDenied,
    PipelineNotFound,
    ReadOnlyInstance,
    ScriptNotFound,
    Timeout,
)
from camserver.models.config_model import check_name
from camserver.models.instance import InstanceInfo, InstanceKind, InstanceSpec, InstanceState, instance_key
from camserver.models.pipeline import PipelineConfig
from camserver.processing.averaging import FrameAverager
from camserver.processing.library import (
    CUSTOM_FUNCTIONS,
    LINKED_FUNCTIONS,
    PROCESSING_FUNCTIONS,
    STREAM_FUNCTIONS,
)
from camserver.service.backgrounds import BackgroundStore
from camserver.service.cameras import CameraManager
from camserver.service.config_store import ConfigStore, write_json_atomically
from camserver.service.local_streams import is_stable, local_stream_address
from camserver.service.permanent_instances import read_permanent_instances
from camserver.service.placement import PlacementRequest
from camserver.service.placer import Placer
from camserver.service.ports import PORT_ATTEMPTS, PortAllocator, port_taken
from camserver.service.settings import ServerSettings
from camserver.service.stream_bandwidth import pipeline_bandwidth
from camserver.transport import Subscriber

__all__ = ["PipelineManager"]

logger = logging.getLogger("camserver.pipelines")

_DEFAULT_FUNCTIONS = {"", "default", "processor", "process_image"}
_FRAME_TIMEOUT = 10.0


def _key(instance_id: str) -> str:
    return instance_key(InstanceKind.PIPELINE, instance_id)


def _builtin_functions(pipeline_type: str) -> list[str]:
    """The names of the functions a pipeline of ``pipeline_type`` can run without user scripts."""
    if pipeline_type == "processing":
        return sorted({*PROCESSING_FUNCTIONS, *LINKED_FUNCTIONS})
    if pipeline_type == "stream":
        return sorted(STREAM_FUNCTIONS)
    if pipeline_type == "custom":
        return sorted(CUSTOM_FUNCTIONS)
    return sorted({*PROCESSING_FUNCTIONS, *LINKED_FUNCTIONS, *STREAM_FUNCTIONS})


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
        placer: Placer,
        user_scripts: Path | None = None,
    ) -> None:
        self.store = store
        self.placer = placer
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
        """Validate and save a named config; a config reading a camera that does not exist is refused."""
        config = PipelineConfig.load(data, name=name)
        self._check_dispatcher(config)
        camera = self._camera_input(config)
        if camera is not None:
            try:
                self.cameras.resolve(camera)
            except CameraNotFound:
                raise ConfigError(
                    f"pipeline '{name}' reads camera '{camera}', which does not exist (no camera config or alias "
                    "of that name): save the camera first, or correct camera_name"
                ) from None
        self.store.set(name, config.to_dict(expanded=False))
        return config

    @staticmethod
    def _camera_input(config: PipelineConfig) -> str | None:
        """The camera whose stream the pipeline reads, if it reads one."""
        if config.pipeline_type not in ("processing", "store", "fanout"):
            return None
        if config.input_stream or config.input_pipeline:
            return None
        return config.camera_name or None

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
            spec = self._spec(config, instance_id, read_only=read_only, permanent=permanent)
            info = self._place_and_start(config, spec)
            for _ in range(PORT_ATTEMPTS - 1):
                if not port_taken(spec, info):
                    break
                assert spec.port is not None
                logger.warning("pipeline %s: port %d was taken before it could bind; trying another", instance_id,
                               spec.port)  # fmt: skip
                self.ports.taken_elsewhere(spec.key, spec.port)
                with contextlib.suppress(InstanceNotFound):  # a permanent instance would retry the taken port
                    self.backend.stop(spec.key, timeout=self.settings.stop_timeout)
                spec = self._spec(config, instance_id, read_only=read_only, permanent=permanent)
                info = self._place_and_start(config, spec)
        if permanent and info.state is InstanceState.STARTING:  # waiting for the node it is fixed on
            return info
        if info.state is not InstanceState.RUNNING or not info.stream_address:
            if not permanent:  # a permanent instance keeps its port: the backend retries it
                self.ports.release(spec.key)
            raise InstanceError(f"Pipeline instance '{instance_id}' could not start: {info.reason}")
        return info

    def _place_and_start(self, config: PipelineConfig, spec: InstanceSpec) -> InstanceInfo:
        try:
            placement = self.placer.place(self._request(config, spec))
        except CamServerError:
            self.ports.release(spec.key)
            raise
        return self.backend.start(spec, timeout=self.settings.start_timeout, placement=placement)

    def _request(self, config: PipelineConfig, spec: InstanceSpec) -> PlacementRequest:
        """What placing the instance of ``spec`` needs: its bandwidth (its camera's, where it
        reads one) and the node of its input, which it prefers (shared memory instead of TCP)."""
        camera = config.camera_name if spec.camera_stream else None
        input_bandwidth = 0.0
        if camera:
            with contextlib.suppress(CamServerError):
                input_bandwidth = self.cameras.bandwidth(camera)
        elif config.input_pipeline:
            with contextlib.suppress(InstanceNotFound):
                input_bandwidth = self._claimed(config.input_pipeline)
        return PlacementRequest(
            kind="pipeline",
            instance_id=spec.instance_id,
            config_name=config.name,
            camera_name=config.camera_name,
            bandwidth=pipeline_bandwidth(config, input_bandwidth),
            permanent=spec.permanent,
            near=spec.local_streams_node,
        )

    def _claimed(self, instance_id: str) -> float:
        """Mbit/s an upstream pipeline claims: as its camera's, if it reads one."""
        upstream = PipelineConfig.load(self.info(instance_id).config)
        if not upstream.camera_name:
            return 0.0
        return pipeline_bandwidth(upstream, self.cameras.bandwidth(upstream.camera_name))

    def create_from_name(
        self, name: str, *, instance_id: str | None = None, additional: dict[str, Any] | None = None
    ) -> InstanceInfo:
        """Start an instance of a named config, with ``additional`` keys merged over it."""
        stored = self.config(name).to_dict(expanded=False)
        read_only = bool((additional or {}).get("read_only", False))
        config = PipelineConfig.load({**stored, **(additional or {})}, name=name)
        # only the permanent instance itself (its id, of this config) is started as permanent: an
        # instance of the same config under another id ends like any on-demand one
        permanent = instance_id is not None and self.permanent.get(instance_id) == name
        return self.create(config, instance_id=instance_id, read_only=read_only, permanent=permanent)

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

    def refuse_get(self, name: str) -> NoReturn:
        """What ``GET /api/v1/pipeline/<name>`` answers (CamServer: 405, no route takes GET there):
        that nothing is called ``name``, or which routes give what the caller likely wants."""
        try:
            self.info(name)
        except InstanceNotFound:
            if not self.store.exists(name):
                raise PipelineNotFound(
                    f"No pipeline config or instance is called '{name}'. (GET /api/v1/pipeline/<name> is not a "
                    "route: saved pipelines are listed by GET /api/v1/pipeline.)"
                ) from None
        raise MethodNotAllowed(
            f"GET /api/v1/pipeline/{name} is not a route. The stream of instance '{name}' (a saved pipeline of "
            f"that name is started) is GET /api/v1/pipeline/instance/{name}; its config GET "
            f"/api/v1/pipeline/instance/{name}/config; the saved config GET /api/v1/pipeline/{name}/config. "
            f"This path takes POST (start an instance of the saved pipeline) and DELETE (stop the instance)."
        )

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
        if config.pipeline_type == "custom":
            builtin = name in CUSTOM_FUNCTIONS
        else:
            builtin = (
                name in _DEFAULT_FUNCTIONS
                or name in PROCESSING_FUNCTIONS
                or name in STREAM_FUNCTIONS
                or name in LINKED_FUNCTIONS
            )
        if config.pipeline_type == "script" and self.user_scripts is None:
            raise PermissionDenied("script pipelines run user code; user scripts are not allowed")
        if not builtin:
            known = _builtin_functions(config.pipeline_type)
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
            if self.user_scripts is None:
                listed = f"the built-in functions of {config.pipeline_type} pipelines are {', '.join(known)}"
                if close:  # a misspelled built-in, not user code
                    raise ConfigError(f"no such function '{name}' (did you mean '{close[0]}'?): {listed}")
                raise PermissionDenied(
                    f"function '{name}' is no built-in function ({listed}), so it would be user code, and user "
                    "scripts are not allowed on this server (start it with --allow-user-scripts)"
                )
            hint = f" (or did you mean the built-in '{close[0]}'?)" if close else ""
            self._check_script(name, "function", hint=hint)
        if config.pipeline_type == "script":
            self._check_script(config.pipeline_script or "", "pipeline_script")

    def _dispatcher(self, config: PipelineConfig) -> str | None:
        """The dispatcher the pipeline's channels are requested from (None: it needs none);
        ConfigError when it needs one and none is configured."""
        requests = config.dispatcher_requests()
        if not requests:
            return None
        url = config.dispatcher_url or self.settings.dispatcher_url
        if not url:
            key = "bsread_channels2" if "input2" in requests and config.bsread_channels2 else "bsread_channels"
            raise ConfigError(
                f"{key} without a stream address are requested from CamServer's DataBuffer dispatcher, and no "
                "dispatcher is configured: give bsread_address (or input_stream), or set dispatcher_url in the "
                "pipeline config or the server setting dispatcher_url"
            )
        return url

    def _check_dispatcher(self, config: PipelineConfig) -> None:
        self._dispatcher(config)

    def _check_script(self, name: str, key: str, *, hint: str = "") -> None:
        """A user script the instance will load exists, so that a wrong name is the caller's error
        here (and a live update is not refused by the instance after the server accepted it)."""
        assert self.user_scripts is not None
        if "/" in name or "\\" in name:
            raise ConfigError(f"{key} '{name}': give the name of an uploaded script, not a path")
        stem = name.removesuffix(".py")
        if not (self.user_scripts / f"{stem}.py").is_file():
            raise ScriptNotFound(f"{key} '{name}': there is no user script {stem}.py; upload it first{hint}.")

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

    def _local_stream(self, instance_id: str) -> tuple[str | None, str | None]:
        """The running instance's local stream and the node it is on."""
        info = self._active(instance_id)
        return (info.local_stream, info.node) if info is not None else (None, None)

    def _spec(self, config: PipelineConfig, instance_id: str, *, read_only: bool, permanent: bool) -> InstanceSpec:
        self._check_function(config)
        dispatcher_url = self._dispatcher(config)
        config = self._recording(config)
        streams: dict[str, str] = {}
        local_streams: dict[str, str] = {}
        local_node: str | None = None  # the node the local streams are on (a cluster's; "local" on one host)
        if config.input_pipeline:
            streams["input"] = self._input(config.input_pipeline)
            # the upstream's shared memory is in reach of an instance on its node (only a name the upstream
            # binds again after a restart: a loopback port would go stale)
            local, local_node = self._local_stream(config.input_pipeline)
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
            # a camera started for a pipeline fixed on a server goes there too, if its own rules allow
            pinned = self.placer.pinned_server("pipeline", instance_id, config.name, camera=config.camera_name)
            try:
                camera_stream = self.cameras.stream(config.camera_name, near=pinned)
            except CameraNotFound:
                if not config.name:
                    raise
                raise CameraNotFound(
                    f"Pipeline '{config.name}' reads camera '{config.camera_name}', which does not exist."
                ) from None
            # in reach of an instance on the camera's node (on one host: every instance)
            local_node = self.cameras.node(config.camera_name)
            camera_local_stream = self.cameras.local_stream(config.camera_name, node=local_node)
        if permanent:
            config = config.updated({"no_client_timeout": 0})
        key = _key(instance_id)
        self.ports.reclaim(self._owner_active)
        port = None
        if config.effective_mode != "FILE" and not config.output_stream and "output" not in streams:
            fixed = self.placer.fixed_port("pipeline", instance_id, config.name)  # servers.json's "name:port"
            port = fixed or config.port or self.ports.allocate(key)
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
            dispatcher_url=dispatcher_url,
            local_streams_node=local_node if self.placer.clustered else None,
            background_file=self._background_file(config),
            background_dir=str(self.backgrounds.folder),
            user_scripts_dir=str(self.user_scripts) if self.user_scripts else None,
            permanent=permanent,
            read_only=read_only,
            log_level=self.settings.log_level,
            max_message_size=self.settings.max_message_size,
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
        averager = FrameAverager(n_images, rolling=False)  # a new geometry starts the average again
        mean: np.ndarray[Any, Any] | None = None
        dtype: np.dtype[Any] | None = None
        deadline = time.monotonic() + _FRAME_TIMEOUT + n_images
        with Subscriber(address, queue_size=max(10, n_images), receive_timeout=_FRAME_TIMEOUT) as subscriber:
            while mean is None:
                if time.monotonic() > deadline:
                    raise Timeout(f"only {len(averager)} of {n_images} frames of camera '{camera}' arrived in time")
                message = subscriber.receive()
                if message is None:
                    raise Timeout(f"camera '{camera}' sent no frame for {_FRAME_TIMEOUT:g} s")
                image = message.data.get("image")
                if not isinstance(image, np.ndarray) or image.ndim != 2:
                    continue
                dtype = image.dtype
                mean = averager.add(image)
        assert dtype is not None
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            mean = np.clip(np.rint(mean), info.min, info.max)
        background_id = self.backgrounds.new_id(camera)
        self.backgrounds.save(background_id, mean.astype(dtype))
        logger.info("collected background %s from %d frames", background_id, n_images)
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
            self._start_permanent(instance_id, name)

    def _start_permanent(self, instance_id: str, name: str) -> None:
        info = self._active(instance_id)
        if info is not None and info.permanent:  # on a cluster, found running after a restart
            logger.info("permanent instance %s (%s) is running", instance_id, name)
            return
        try:
            if info is not None:  # running on demand: started again as a permanent instance
                self.stop(instance_id)
            info = self.create(self.config(name), instance_id=instance_id, permanent=True)
            logger.info("permanent instance %s (%s): %s %s", instance_id, name, info.state.value, info.reason or "")
        except CamServerError as error:
            logger.error("permanent instance %s could not start: %s", instance_id, error)

    def set_permanent(self, path: Path, entries: dict[str, str]) -> dict[str, str]:
        """CamServer's ``POST /proxy/permanent``: replace ``{instance: config}`` (``#`` switches an
        entry off, an empty config is the instance's name), dropping entries of configs that do
        not exist; save it; stop instances no longer listed and start the new ones."""
        if not isinstance(entries, dict) or not all(isinstance(value, str) for value in entries.values()):
            raise ConfigError("permanent instances must be a JSON object {instance: pipeline config name}")
        kept = {
            str(instance): config
            for instance, config in entries.items()
            if str(instance).startswith("#") or self.store.exists(config or str(instance))
        }
        for instance in sorted(set(entries) - set(kept)):
            logger.warning("permanent instance %s dropped: pipeline %s does not exist", instance, entries[instance])
        for instance in kept:
            if not instance.startswith("#"):
                check_name(instance, what="instance id")
        write_json_atomically(path, kept)
        former, self.permanent = self.permanent, read_permanent_instances(path)
        for instance_id, name in former.items():
            if self.permanent.get(instance_id) != name:
                with contextlib.suppress(InstanceNotFound):
                    self.stop(instance_id)
        for instance_id, name in self.permanent.items():
            if former.get(instance_id) != name or self._active(instance_id) is None:
                self._start_permanent(instance_id, name)
        return kept
