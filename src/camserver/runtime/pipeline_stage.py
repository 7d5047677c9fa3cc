"""What a pipeline does with each received message, one stage per ``pipeline_type``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from camserver.errors import CamServerError, ConfigError, PermissionDenied, ProcessingError
from camserver.models.pipeline import PipelineConfig
from camserver.processing import ImageProcessor, load_function
from camserver.processing.function_loader import FunctionKind
from camserver.processing.library import PROCESSING_FUNCTIONS, STREAM_FUNCTIONS
from camserver.processing.provenance import processing_parameters
from camserver.processing.psss import Psss
from camserver.protocol import Message
from camserver.sources.epics_spectrometer import EpicsSpectrometer

__all__ = [
    "CAMERA_CHANNELS",
    "ForwardStage",
    "ProcessingStage",
    "Resources",
    "Stage",
    "StoreStage",
    "StreamStage",
    "create_stage",
    "select_channels",
]

logger = logging.getLogger("camserver.pipeline")

#: the channels of a camera stream; anything else in a camera message is extra data (``bsdata``)
CAMERA_CHANNELS = frozenset({"image", "timestamp", "width", "height", "x_axis", "y_axis"})
Array = np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class Resources:
    """Files the server resolved for the pipeline: its background and the user-scripts folder
    (None unless the server allows user scripts)."""

    background_file: str | None = None
    user_scripts_dir: str | None = None


class Stage(Protocol):
    """Turns a received message (and data merged from a second stream) into output channels."""

    def update(self, config: PipelineConfig, resources: Resources) -> None: ...

    def process(self, message: Message, extra: Mapping[str, Any] | None) -> dict[str, Any] | None: ...


def select_channels(result: dict[str, Any], config: PipelineConfig, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``include`` / ``exclude``, then ``processing_parameters`` (unless excluded)."""
    if config.include is not None:
        result = {name: result.get(name) for name in config.include}
    for name in config.exclude or ():
        result.pop(name, None)
    if "processing_parameters" not in result and "processing_parameters" not in (config.exclude or ()):
        result["processing_parameters"] = processing_parameters(parameters)
    return result


def _user_function(config: PipelineConfig, resources: Resources, kind: FunctionKind) -> Callable[..., Any]:
    name = config.function or ""
    folder = resources.user_scripts_dir
    if folder is None:
        raise PermissionDenied(
            f"function '{name}' is user code, and user scripts are not allowed on this server "
            "(start it with --allow-user-scripts)"
        )
    if "/" in name or "\\" in name:
        raise ConfigError(f"function '{name}': give the name of an uploaded script, not a path")
    if config.libs:
        library = str(Path(folder) / "lib")
        if library not in sys.path:
            sys.path.insert(0, library)  # this instance's process only
    return load_function(name, kind=kind, search_paths=[Path(folder)], reload=config.reload)


class ProcessingStage:
    """``processing``: CamServer's pre-processing chain and a function (default: standard metrics)."""

    def __init__(self, config: PipelineConfig, resources: Resources) -> None:
        self.processor: ImageProcessor | None = None
        self._function_name: str | None = None
        self._background_file: str | None = None
        self._background: Array | None = None
        self.update(config, resources)

    def _function(self, config: PipelineConfig, resources: Resources) -> Callable[..., Any] | None:
        name = config.function
        if name in (None, "", "default", "processor", "process_image"):
            return None
        if name in PROCESSING_FUNCTIONS:
            return load_function(name, kind="processing")
        if name == "psss":
            if not config.camera_name:
                raise ConfigError("function 'psss' needs camera_name (its PVs are named after the camera)")
            link = EpicsSpectrometer(config.camera_name)
            link.open()
            return Psss(link)
        return _user_function(config, resources, "processing")

    def close(self) -> None:
        """Release what the function holds (the EPICS link of ``psss``)."""
        function = self.processor.function if self.processor is not None else None
        if isinstance(function, Psss):
            function.close()

    def update(self, config: PipelineConfig, resources: Resources) -> None:
        if resources.background_file != self._background_file:
            self._background_file = resources.background_file
            self._background = None
            if resources.background_file:
                try:
                    self._background = np.load(resources.background_file, allow_pickle=False)
                except (OSError, ValueError) as error:
                    logger.error("background %s cannot be read: %s", resources.background_file, error)
        changed = self.processor is None or config.function != self._function_name or config.reload
        function = self._function(config, resources) if changed else self.processor.function  # type: ignore[union-attr]
        if changed:
            self.close()  # the function being replaced
        self._function_name = config.function
        parameters = config.parameters()
        if self.processor is None:
            self.processor = ImageProcessor(parameters, self._background, function=function)
        else:
            self.processor.function = function
            self.processor.update(parameters, self._background)

    @property
    def takes_lent_frames(self) -> bool:
        """Whether :meth:`process` may be given a frame lent from a camera's ring (``lent=True``)."""
        return self.processor is not None and self.processor.takes_lent_frames

    def process(
        self, message: Message, extra: Mapping[str, Any] | None, *, lent: bool = False
    ) -> dict[str, Any] | None:
        data = message.data
        image = data.get("image")
        if not isinstance(image, np.ndarray) or image.ndim != 2:
            raise ProcessingError("the input message has no 2-D 'image' channel")
        height, width = image.shape
        x_axis = data.get("x_axis")
        y_axis = data.get("y_axis")
        if not isinstance(x_axis, np.ndarray) or x_axis.shape != (width,):
            x_axis = np.arange(width, dtype=np.float32)
        if not isinstance(y_axis, np.ndarray) or y_axis.shape != (height,):
            y_axis = np.arange(height, dtype=np.float32)
        bsdata = {name: value for name, value in data.items() if name not in CAMERA_CHANNELS}
        if extra:
            bsdata.update(extra)
        assert self.processor is not None
        timestamp = (message.timestamp.sec, message.timestamp.ns)
        return self.processor.process(image, message.pulse_id, timestamp, x_axis, y_axis, bsdata or None, lent=lent)


class StreamStage:
    """``stream``: ``function(stream_data, pulse_id, timestamp, parameters)`` on every message."""

    def __init__(self, config: PipelineConfig, resources: Resources) -> None:
        self.config = config
        self._function: Callable[..., Any] | None = None
        self._function_name: str | None = None
        self.parameters: dict[str, Any] = {}
        self.update(config, resources)

    def update(self, config: PipelineConfig, resources: Resources) -> None:
        name = config.function
        if not name:
            raise ConfigError("a stream pipeline needs a 'function'")
        if name != self._function_name or config.reload or self._function is None:
            if name in STREAM_FUNCTIONS:
                self._function = load_function(name, kind="stream")
            else:
                self._function = _user_function(config, resources, "stream")
            self._function_name = name
        self.config = config
        self.parameters = config.parameters()

    def process(self, message: Message, extra: Mapping[str, Any] | None) -> dict[str, Any] | None:
        data = dict(message.data)
        if extra:
            data.update(extra)
        assert self._function is not None
        timestamp = (message.timestamp.sec, message.timestamp.ns)
        try:
            result = self._function(data, message.pulse_id, timestamp, self.parameters)
        except CamServerError:
            raise
        except Exception as error:
            raise ProcessingError(f"stream function '{self._function_name}' failed: {error!r}") from error
        if result is None:
            return None
        if not isinstance(result, dict):
            raise ProcessingError(f"a stream function must return a dict or None, not {type(result).__name__}")
        return select_channels(result, self.config, self.parameters)


class ForwardStage:
    """``fanout`` / ``fanin``: every channel as received."""

    def __init__(self, config: PipelineConfig, resources: Resources) -> None:
        self.config = config

    def update(self, config: PipelineConfig, resources: Resources) -> None:
        self.config = config

    def process(self, message: Message, extra: Mapping[str, Any] | None) -> dict[str, Any] | None:
        data = dict(message.data)
        if extra:
            data.update(extra)
        return data


class StoreStage:
    """``store``: the camera image as ``<camera_name>:FPICTURE``, every ``modulo``-th message."""

    def __init__(self, config: PipelineConfig, resources: Resources) -> None:
        self.config = config
        self._count = 0

    def update(self, config: PipelineConfig, resources: Resources) -> None:
        self.config = config

    def process(self, message: Message, extra: Mapping[str, Any] | None) -> dict[str, Any] | None:
        self._count += 1
        modulo = self.config.modulo or 1
        if (self._count - 1) % modulo:
            return None
        return {f"{self.config.camera_name}:FPICTURE": message.data.get("image")}


_STAGES: dict[str, Callable[[PipelineConfig, Resources], Stage]] = {
    "processing": ProcessingStage,
    "stream": StreamStage,
    "fanout": ForwardStage,
    "fanin": ForwardStage,
    "store": StoreStage,
}


def create_stage(config: PipelineConfig, resources: Resources) -> Stage:
    """The stage of the config's ``pipeline_type``."""
    factory = _STAGES.get(config.pipeline_type)
    if factory is None:
        raise ConfigError(f"pipeline_type '{config.pipeline_type}' has no message stage")
    return factory(config, resources)
