"""Pipeline configs: CamServer's keys, defaults, merge rules and validation messages.

One class for every ``pipeline_type``: CamServer's pipeline config is one flat object whose keys
mean the same thing in every type. Known drift between CamServer's README and code is accepted
both ways: ``paused`` means ``pause``, ``bsread_mode`` means ``input_mode``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from camserver.errors import ConfigError
from camserver.models.config_model import ConfigModel, check_name
from camserver.models.field_types import CompressionSetting, NameList, Port, Roi, SocketModeName

__all__ = ["PIPELINE_TYPES", "GoodRegion", "PipelineConfig", "Rotation", "Slices"]

PIPELINE_TYPES = ("processing", "store", "stream", "custom", "script", "fanout", "fanin")
PipelineType = Literal["processing", "store", "stream", "custom", "script", "fanout", "fanin"]

#: keys whose dict values are merged (not replaced) by a partial update, as CamServer does
MERGED_KEYS = ("image_good_region", "image_slices")


class GoodRegion(BaseModel):
    """``image_good_region``: the region where a profile is above ``threshold`` of its range,
    widened by ``gfscale``."""

    model_config = ConfigDict(extra="allow")
    threshold: float = 0.3
    gfscale: float = 1.8


class Slices(BaseModel):
    """``image_slices``: an odd number of slices across the good region."""

    model_config = ConfigDict(extra="allow")
    number_of_slices: int = 1
    scale: float = 2.0
    orientation: Literal["vertical", "horizontal"] = "vertical"

    @field_validator("number_of_slices", mode="before")
    @classmethod
    def _integer(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("number_of_slices must be an integer")
        if value < 1:
            raise ValueError("number_of_slices must be at least 1")
        return value

    @field_validator("orientation", mode="before")
    @classmethod
    def _orientation(cls, value: Any) -> Any:
        if value not in ("vertical", "horizontal"):
            raise ValueError(f"Invalid slice orientation '{value}'. Use 'vertical' or 'horizontal'.")
        return value


class Rotation(BaseModel):
    """``rotation`` as an object; a plain number means ``{"angle": number}``."""

    model_config = ConfigDict(extra="forbid")
    angle: float = 0.0
    order: int = Field(1, ge=0, le=5)
    mode: str = "0.0"

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        allowed = ("constant", "reflect", "nearest", "mirror", "wrap", "ortho")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(float(value))
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                if value not in allowed:
                    raise ValueError(f"rotation mode must be a fill value or one of {allowed}") from None
            return value
        raise ValueError("rotation mode must be a string or a number")


def _channel_list(value: Any) -> Any:
    """``bsread_channels`` may be a list or a JSON string of one; empty means none."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, list) and not value:
        return None
    return value


class PipelineConfig(ConfigModel):
    """A pipeline config. Defaults are CamServer's, including those it applies at run time."""

    kind: ClassVar[str] = "pipeline"
    drift: ClassVar[dict[str, str]] = {"paused": "pause", "bsread_mode": "input_mode"}
    inert: ClassVar[dict[str, str]] = {
        "multiprocessing": "processing runs on threads (processing_threads); numba kernels release the GIL",
        "processing_manager": "processing runs on threads (processing_threads)",
        "spawn_send_thread": "results are sent by the pipeline's own loop, in order",
        "send_buffer_size": "results are sent in order as they complete; thread_buffer_size bounds them",
        "buffer_size": "the output is sent from the pipeline's loop; queue_size bounds it",
        "copy_image": "input images are never modified, so they are never copied",
        "debug": "log levels are set per server (--log-level)",
        "receive_timeout": "the loop polls its input every 50 ms",
        "bsread_data_buf": "the second stream is buffered by merge_buffer_size",
    }

    name: str | None = None
    pipeline_type: str = "processing"
    camera_name: str | None = None
    function: str | None = None
    reload: bool = False
    include: list[str] | None = None
    exclude: list[str] | None = None
    # sources of data
    camera_timeout: float = 10.0
    input_stream: str | None = None
    input_pipeline: str | None = None
    input_mode: SocketModeName | None = None
    input_stream2: str | None = None
    input_pipeline2: str | None = None
    input_mode2: SocketModeName | None = None
    bsread_address: str | None = None
    bsread_channels: list[str] | None = None
    bsread_address2: str | None = None
    bsread_channels2: list[str] | None = None
    bsread_image_buf: int = Field(1000, ge=1, le=5000)
    bsread_data_buf: int = Field(1000, ge=1, le=10000)
    merge_queue_size: int = Field(100, ge=1)
    merge_buffer_size: int = Field(100, ge=1)
    receive_timeout: int = Field(1000, ge=1)
    dispatcher_url: str | None = None
    dispatcher_verify_request: bool = True
    dispatcher_disable_compression: bool = False
    enforce_pid: bool = False
    enforce_timestamp: bool = False
    check_timestamp: bool = False
    # what is let through
    pause: bool = False
    pid_range: list[int] | None = None
    records: int | None = Field(None, ge=0)
    downsampling: int | None = Field(None, ge=0)
    max_frame_rate: float | None = Field(None, gt=0)
    # processing (pipeline_type "processing")
    image_background_enable: bool | Literal["passive", "signed"] = False
    image_background: str | None = None
    image_threshold: float | None = None
    image_averaging: int | None = None
    image_scale: float | None = None
    image_offset: float | None = None
    image_region_of_interest: Roi | None = None
    image_good_region: GoodRegion | None = None
    image_slices: Slices | None = None
    mirror_x: bool = False
    mirror_y: bool = False
    rotation: Rotation | None = None
    averaging: int | None = None
    binning_x: int | None = Field(None, ge=1)
    binning_y: int | None = Field(None, ge=1)
    binning_mean: bool = False
    fw_threshold: float | None = None
    copy_image: bool = Field(False, alias="copy")
    # threads
    processing_threads: int = Field(0, ge=0, le=64)
    thread_buffer_size: int = Field(20, ge=1)
    send_buffer_size: int = Field(40, ge=1)
    multiprocessing: bool = False
    spawn_send_thread: bool = True
    processing_manager: str | None = None
    # errors
    abort_on_error: bool = True
    abort_on_timeout: bool = False
    stream_timeout: float = 10.0
    notify_on_error: bool | None = None
    # output
    mode: SocketModeName | None = None
    queue_size: int = Field(10, ge=1)
    block: bool = True
    no_client_timeout: float = 10.0
    create_header: str | bool = "on_change"
    allow_type_changes: bool = True
    allow_shape_changes: bool = True
    data_compression: CompressionSetting = "none"
    data_header_compression: CompressionSetting = "none"
    output_stream: str | None = None
    output_pipeline: str | None = None
    port: Port | None = None
    buffer_size: int | None = None
    file: str | None = None
    layout: Literal["DEFAULT", "FLAT", "BSH5"] = "DEFAULT"
    localtime: bool = True
    change: bool = False
    modulo: int | None = Field(None, ge=1)
    pid_buffer: int | None = Field(None, ge=0)
    # user code and bookkeeping
    libs: list[str] | None = None
    pipeline_script: str | None = None
    read_only: bool = False
    debug: bool = False
    group: NameList | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value, what="pipeline name")

    @field_validator("pipeline_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in PIPELINE_TYPES:
            raise ValueError(f"pipeline_type '{value}' not present in mapping. Available: {list(PIPELINE_TYPES)}")
        return value

    @field_validator("rotation", mode="before")
    @classmethod
    def _rotation(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"angle": value} if value else None
        return value

    @field_validator("bsread_channels", "bsread_channels2", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        return _channel_list(value)

    @field_validator("pid_range")
    @classmethod
    def _pid_range(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and len(value) != 2:
            raise ValueError("pid_range must be [start, stop]")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        has_input = self.camera_name or self.input_stream or self.input_pipeline or self.bsread_address
        if self.pipeline_type in ("processing", "store") and not has_input:
            raise ValueError("Camera name not specified in configuration.")
        if self.mode == "FILE" and not self.file:
            raise ValueError("mode FILE needs 'file', the HDF5 file to write")
        if self.mode in ("SUB", "PULL"):
            raise ValueError("mode is how the pipeline sends: PUB, PUSH or FILE")
        if self.pipeline_type == "script" and not self.pipeline_script:
            raise ValueError("a script pipeline needs 'pipeline_script'")
        return self

    @classmethod
    def load(cls, data: Mapping[str, Any], *, name: str | None = None) -> Self:
        if isinstance(data, Mapping) and isinstance(data.get("pipeline_type"), str):
            kind = data["pipeline_type"]
            if kind not in PIPELINE_TYPES:
                raise ConfigError(f"pipeline_type '{kind}' not present in mapping. Available: {list(PIPELINE_TYPES)}")
        return super().load(data, name=name)

    def updated(self, changes: Mapping[str, Any]) -> Self:
        """CamServer's partial update: ``image_good_region`` and ``image_slices`` are merged key by
        key, every other key replaced; ``None`` removes a key (its default applies)."""
        if not changes:
            raise ConfigError("Config updates cannot be empty.")
        merged = self.to_dict(expanded=False)
        for given, value in changes.items():
            key = self.drift.get(given, given)
            if key != given and key in changes:
                continue  # the canonical key wins when both are given, whatever their order
            if key in MERGED_KEYS and isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return type(self).load(merged)

    # -- effective values CamServer derives at run time ------------------------------------------

    def dispatcher_requests(self) -> dict[str, list[str]]:
        """The inputs whose channels must be requested from the DataBuffer dispatcher, as CamServer
        does when ``bsread_channels`` come without an address: ``{"input": [...]}`` for a stream
        pipeline without any input address, ``{"input2": [...]}`` for the stream merged into a
        processing pipeline (``bsread_channels`` without ``bsread_address``) or the second stream
        (``bsread_channels2`` without ``bsread_address2``, ``input_stream2``, ``input_pipeline2``)."""
        requests: dict[str, list[str]] = {}
        has_input = self.input_stream or self.input_pipeline or self.bsread_address
        if self.bsread_channels and not has_input and self.pipeline_type == "stream":
            requests["input"] = list(self.bsread_channels)
        elif self.bsread_channels and not self.bsread_address and self.pipeline_type == "processing":
            requests["input2"] = list(self.bsread_channels)
        has_second = self.input_stream2 or self.input_pipeline2 or self.bsread_address2
        if self.bsread_channels2 and not has_second and "input2" not in requests:
            requests["input2"] = list(self.bsread_channels2)
        return requests

    @property
    def effective_mode(self) -> str:
        """``mode``, defaulting to PUSH for fanout and store pipelines, PUB otherwise."""
        if self.mode:
            return self.mode
        return "PUSH" if self.pipeline_type in ("fanout", "store") else "PUB"

    @property
    def effective_input_mode(self) -> str:
        """``input_mode``, defaulting to PULL for fanin pipelines, SUB otherwise."""
        if self.input_mode:
            return self.input_mode
        return "PULL" if self.pipeline_type == "fanin" else "SUB"

    @property
    def effective_notify_on_error(self) -> bool:
        """``notify_on_error``, defaulting to true for pipelines whose name ends in ``_sp``."""
        if self.notify_on_error is not None:
            return self.notify_on_error
        return bool(self.name and self.name.endswith("_sp"))

    def parameters(self) -> dict[str, Any]:
        """The parameters a processing function receives: every key with its effective value,
        as CamServer's ``processing_parameters``."""
        parameters = self.to_dict(expanded=True)
        parameters["mode"] = self.effective_mode
        parameters["input_mode"] = self.effective_input_mode
        parameters["notify_on_error"] = self.effective_notify_on_error
        if self.rotation is None:
            parameters["rotation"] = None
        return parameters
