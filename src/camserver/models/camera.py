"""Camera configs: CamServer's keys and defaults, one class per ``source_type``.

``CameraConfig.load(data)`` picks the class from ``source_type`` (default ``"epics"``, as
CamServer) and validates; a key that belongs to another source type is kept and reported as
unknown, never acted on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from camserver.errors import ConfigError
from camserver.models.config_model import ConfigModel, check_name
from camserver.models.field_types import CompressionSetting, ImageDtype, NameList, Port, Roi, SocketModeName

__all__ = [
    "SOURCE_TYPES",
    "AreaDetectorCamera",
    "Array10Camera",
    "BsreadCamera",
    "CameraCalibration",
    "CameraConfig",
    "EpicsCamera",
    "Hdf5Camera",
    "PvaCamera",
    "ScriptCamera",
    "SimulationCamera",
    "StdDaqCamera",
    "StdDaqStreamCamera",
]


class CameraCalibration(BaseModel):
    """Reference markers that turn pixel indices into axes (CamServer's ``camera_calibration``).

    ``reference_marker`` is ``[upper_left_x, upper_left_y, lower_right_x, lower_right_y]`` in
    pixels; the marker's real size is ``reference_marker_width`` x ``reference_marker_height``.
    """

    model_config = ConfigDict(extra="allow")

    reference_marker: list[int] = Field(default_factory=lambda: [0, 0, 100, 100], min_length=4, max_length=4)
    reference_marker_width: float = 100.0
    reference_marker_height: float = 100.0
    angle_horizontal: float = 0.0
    angle_vertical: float = 0.0


class CameraConfig(ConfigModel):
    """Keys every camera has. Use :meth:`load` to get the class of the config's ``source_type``."""

    kind: ClassVar[str] = "camera"
    source_types: ClassVar[tuple[str, ...]] = ()
    inert: ClassVar[dict[str, str]] = {
        "check_data": "the stream header always follows the data (a changed shape or type is announced)",
        "debug": "log levels are set per server (--log-level)",
    }

    name: str | None = None
    source: str
    source_type: str = "epics"
    # transforms, in CamServer's order: binning, mirror, rotate, roi, background
    binning_x: int = Field(1, ge=1)
    binning_y: int = Field(1, ge=1)
    binning_mean: bool = False
    mirror_x: bool = False
    mirror_y: bool = False
    rotate: int = 0
    roi: Roi | None = None
    image_background: str | bool | None = None
    camera_calibration: CameraCalibration | None = None
    # output stream
    protocol: Literal["tcp", "ipc"] = "tcp"
    port: Port | None = None
    no_client_timeout: float = 10.0
    queue_size: int = Field(100, ge=1)
    dtype: ImageDtype | None = None
    check_data: bool = False
    simulate_pulse_id: bool = False
    image_compression: CompressionSetting = "none"
    scalar_compression: CompressionSetting = "none"
    data_header_compression: CompressionSetting = "none"
    forwarder_port: Port | None = None
    forwarder_compression: CompressionSetting = "none"
    forwarder_data_header_compression: CompressionSetting = "none"
    frame_rate: float | None = Field(None, gt=0)
    abort_on_error: bool = False
    debug: bool = False
    alias: NameList | None = None
    group: NameList | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value, what="camera name")

    @field_validator("camera_calibration", mode="before")
    @classmethod
    def _empty_calibration(cls, value: Any) -> Any:
        return None if value == {} else value  # CamServer: an empty calibration is no calibration

    @field_validator("source", mode="before")
    @classmethod
    def _source_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a string (a PV prefix, a stream address, a file, ...)")
        return value

    @classmethod
    def load(cls, data: Mapping[str, Any], *, name: str | None = None) -> Self:
        """Validate a camera config, choosing the class by ``source_type``."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"a camera config must be a JSON object, not {type(data).__name__}")
        if "source" not in data or data["source"] is None:
            raise ConfigError("'source' not specified in configuration.")
        source_type = data.get("source_type") or "epics"
        target = _BY_SOURCE_TYPE.get(source_type) if isinstance(source_type, str) else None
        if target is None:
            raise ConfigError(f"Invalid source_type '{source_type}'. Available: {list(SOURCE_TYPES)}")
        if not issubclass(target, cls):
            raise ConfigError(f"source_type '{source_type}' is not a {cls.__name__}")
        return target.validate_config(data, name=name)

    def updated(self, changes: Mapping[str, Any]) -> CameraConfig:
        """A new config with ``changes`` applied; a changed ``source_type`` changes the class."""
        merged = self.to_dict(expanded=False)
        merged.update(changes)
        return CameraConfig.load(merged)

    @property
    def aliases(self) -> list[str]:
        """The ``alias`` key as a list."""
        return [self.alias] if isinstance(self.alias, str) else list(self.alias or [])

    @property
    def groups(self) -> list[str]:
        """The ``group`` key as a list."""
        return [self.group] if isinstance(self.group, str) else list(self.group or [])


class EpicsCamera(CameraConfig):
    """An EPICS Channel Access camera: ``source`` is the PV prefix (``<prefix>:FPICTURE`` ...)."""

    source_types: ClassVar[tuple[str, ...]] = ("epics",)
    source_type: Literal["epics"] = "epics"


class AreaDetectorCamera(CameraConfig):
    """An areaDetector IOC over Channel Access: ``source`` is the prefix of ``image1:ArrayData``."""

    source_types: ClassVar[tuple[str, ...]] = ("area_detector",)
    source_type: Literal["area_detector"] = "area_detector"


class SimulationCamera(CameraConfig):
    """A simulated beam (or noise) at an exact frame rate."""

    source_types: ClassVar[tuple[str, ...]] = ("simulation",)
    source_type: Literal["simulation"] = "simulation"
    size_x: int = Field(1280, ge=1, le=65536)
    size_y: int = Field(960, ge=1, le=65536)
    frame_rate: float | None = Field(10.0, gt=0)
    image_type: Literal["beam", "raw", "static_beam", "static_raw"] = "beam"
    dtype: ImageDtype | None = "uint16"


class BsreadCamera(CameraConfig):
    """Images from a bsread stream.

    ``bsread``: ``url`` is the stream (PULL by default); without ``url`` the address is read from
    the PV ``<source>:BSREADCONFIG`` over Channel Access. The image channel is ``<source>:FPICTURE``
    unless ``channel`` says otherwise; ``connections`` > 1 reads the stream over that many
    connections and merges them by pulse id. ``bschannel``: ``source`` is the stream address itself
    and ``channel`` the image channel (default: the stream's only 2-D channel).
    """

    source_types: ClassVar[tuple[str, ...]] = ("bsread", "bsread_simulation", "bschannel")
    inert: ClassVar[dict[str, str]] = {
        **CameraConfig.inert,
        "buffer_size": "several connections are merged by pulse id as frames arrive (see connections)",
        "buffer_threshold": "several connections are merged by pulse id as frames arrive (see connections)",
        "threaded": "the source is read by the camera's own loop",
    }
    source_type: Literal["bsread", "bsread_simulation", "bschannel"] = "bsread"
    url: str | None = None
    mode: SocketModeName | None = None
    channel: str | None = None
    timeout: float = -1.0
    connections: int = Field(1, ge=1, le=32)
    buffer_size: int = Field(0, ge=0)
    buffer_threshold: float = 0.5
    threaded: bool = False
    enforce_pid: bool = True
    enforce_timestamp: bool = True
    check_timestamp: bool = True

    def inert_keys(self) -> dict[str, str]:
        """As for every config; ``connections`` counts only for ``bsread`` and ``bsread_simulation``."""
        found = super().inert_keys()
        if self.source_type == "bschannel" and self.connections != 1:
            found["connections"] = "bschannel cameras read one connection (as CamServer's)"
        return found


class StdDaqStreamCamera(CameraConfig):
    """std-daq's image stream (``source_type: stream``): ``source`` is the ZMQ address (SUB unless
    ``mode`` says PULL); each message is a packed ``ImageMetadata`` header and the raw frame."""

    source_types: ClassVar[tuple[str, ...]] = ("stream",)
    source_type: Literal["stream"] = "stream"
    mode: SocketModeName | None = None


class StdDaqCamera(CameraConfig):
    """A std-daq detector (``source_type: stddaq``): ``source`` is the device name; its bsread
    stream address is the value of the key ``<source>`` in the Redis database ``db`` at ``url``."""

    source_types: ClassVar[tuple[str, ...]] = ("stddaq",)
    source_type: Literal["stddaq"] = "stddaq"
    url: str = "sf-daq-6.psi.ch:6379"
    db: int = Field(0, ge=0)
    channel: str | None = None
    mode: SocketModeName | None = None
    timeout: float = -1.0

    @field_validator("db", mode="before")
    @classmethod
    def _db_number(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)  # CamServer's default is the string '0'
        return value


class Array10Camera(CameraConfig):
    """An ``array-1.0`` stream (``source_type: array10``): ``source`` is the ZMQ address (SUB
    unless ``mode`` says PULL); each message is a JSON header with ``shape`` ``[height, width]``
    and ``type``, then the raw frame."""

    source_types: ClassVar[tuple[str, ...]] = ("array10",)
    source_type: Literal["array10"] = "array10"
    mode: SocketModeName | None = None


class PvaCamera(CameraConfig):
    """An areaDetector NTNDArray over PV Access (``source_type: pva``): ``source`` is the PV name
    (e.g. ``13SIM1:Pva1:Image``). Codec-compressed arrays (``lz4``, ``bslz4``, ``blosc``,
    ``jpeg``) are decoded; the pulse id is the array's ``uniqueId``."""

    source_types: ClassVar[tuple[str, ...]] = ("pva",)
    source_type: Literal["pva"] = "pva"
    timeout: float = Field(3.0, gt=0)


class Hdf5Camera(CameraConfig):
    """Replay of a 3-D dataset: ``source`` is ``"file.h5:/dataset"``, cycled at ``frame_rate``."""

    source_types: ClassVar[tuple[str, ...]] = ("hdf5",)
    source_type: Literal["hdf5"] = "hdf5"
    frame_rate: float | None = Field(10.0, gt=0)


class ScriptCamera(CameraConfig):
    """A user-defined source class (only where the server allows user scripts)."""

    source_types: ClassVar[tuple[str, ...]] = ("script",)
    source_type: Literal["script"] = "script"
    class_: str | None = Field(None, alias="class")


_BY_SOURCE_TYPE: dict[str, type[CameraConfig]] = {
    source_type: variant
    for variant in (
        EpicsCamera,
        AreaDetectorCamera,
        SimulationCamera,
        BsreadCamera,
        StdDaqStreamCamera,
        StdDaqCamera,
        Array10Camera,
        PvaCamera,
        Hdf5Camera,
        ScriptCamera,
    )
    for source_type in variant.source_types
}

#: every ``source_type`` a camera config may name
SOURCE_TYPES: tuple[str, ...] = tuple(_BY_SOURCE_TYPE)
