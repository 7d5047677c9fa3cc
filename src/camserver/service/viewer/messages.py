"""The viewer's websocket messages, both ways: the one description the server and the page share.

Server to browser:

* a **frame**: one binary message, a 4-byte big-endian length, that many bytes of JSON
  (:class:`FrameMessage`), then the JPEG;
* text messages: :class:`StatusMessage` (figures, once a second while no frame goes out),
  :class:`PixelsMessage` (raw values asked for), :class:`ErrorMessage`.

Browser to server: one JSON object per text message (:class:`BrowserMessage`): ``ack`` (a frame
drawn), ``pixels`` (a region whose raw values it wants) and any of the settings of
:class:`~camserver.service.viewer.settings.ViewSettings` to change.

The page's JSDoc types (``api/static/messages.js``) mirror these; a unit test checks that both name
the same keys.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from camserver.errors import ConfigError

__all__ = [
    "MAX_PIXELS",
    "AxisMessage",
    "BrowserMessage",
    "ErrorMessage",
    "FrameMessage",
    "HistogramMessage",
    "HistoryMessage",
    "ImageMessage",
    "LevelsMessage",
    "PixelRequest",
    "PixelsMessage",
    "RegionMessage",
    "StatusMessage",
]

#: the most raw pixel values one ``pixels`` request may ask for
MAX_PIXELS = 4096


class RegionMessage(TypedDict):
    """The part of the image a picture shows, in image pixels, and its decimation step."""

    x: int
    y: int
    width: int
    height: int
    step: int
    picture_width: int
    picture_height: int


class HistogramMessage(TypedDict):
    """Counts of the shown pixels in equal bins over ``[low, high)``."""

    low: float
    high: float
    counts: list[int]
    below: int
    above: int
    sampled: int
    min: float
    max: float


class LevelsMessage(TypedDict):
    """The values shown as the darkest and brightest colour; ``auto``: found from percentiles."""

    min: float
    max: float
    auto: bool
    low_percentile: float
    high_percentile: float
    histogram: HistogramMessage | None


class ImageMessage(TypedDict):
    """The size and pixel type of the whole image."""

    width: int
    height: int
    dtype: str


class AxisMessage(TypedDict):
    """One axis of the shown region: its values at the region's first and last pixel edge, in
    ``unit`` (``"px"`` without calibration, else ``"mm"``), linear in between."""

    start: float
    end: float
    unit: str
    calibrated: bool


class HistoryMessage(TypedDict):
    """Values of the followed channels for every message read since the last frame."""

    pulse_id: list[int]
    time: list[float | None]
    values: dict[str, list[float | None]]
    lost: int


class FrameMessage(TypedDict):
    """The JSON part of a frame."""

    type: Literal["frame"]
    seq: int
    pulse_id: int
    timestamp: float | None
    view: RegionMessage
    levels: LevelsMessage
    colormap: str
    image: ImageMessage
    axes: dict[str, AxisMessage]
    profiles: dict[str, Any]
    overlays: dict[str, Any]
    scalars: dict[str, Any]
    processing_parameters: dict[str, Any] | None
    history: HistoryMessage
    statistics: dict[str, Any]


class StatusMessage(TypedDict):
    """The figures, while no frame goes out."""

    type: Literal["status"]
    statistics: dict[str, Any]


class PixelsMessage(TypedDict):
    """Raw pixel values of a region of the frame ``seq`` (``values[row][column]``, None for NaN)."""

    type: Literal["pixels"]
    seq: int
    x: int
    y: int
    width: int
    height: int
    dtype: str
    values: list[list[float | int | None]]


class ErrorMessage(TypedDict):
    """What went wrong, in words; ``code`` is the HTTP status it stands for."""

    type: Literal["error"]
    state: Literal["error"]
    status: str
    error: str
    code: int


class PixelRequest(BaseModel):
    """A region whose raw values the browser wants: of the frame ``seq`` if the server still has
    it, else of its newest."""

    model_config = ConfigDict(extra="forbid")

    seq: int = 0
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1, le=256)
    height: int = Field(ge=1, le=256)


class BrowserMessage(BaseModel):
    """One message from the browser: an acknowledgement, a pixel request, settings, or several."""

    model_config = ConfigDict(extra="allow")

    ack: int | None = None
    pixels: PixelRequest | None = None

    @classmethod
    def parse(cls, values: Any) -> BrowserMessage:
        """The message; raises :class:`ConfigError` in words."""
        if not isinstance(values, dict):
            raise ConfigError("viewer messages are JSON objects")
        try:
            message = cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
            )
            raise ConfigError(f"unreadable viewer message: {problems}") from None
        request = message.pixels
        if request is not None and request.width * request.height > MAX_PIXELS:
            raise ConfigError(
                f"ask for at most {MAX_PIXELS} pixel values at a time, not {request.width * request.height}"
            )
        return message

    def settings(self) -> dict[str, Any]:
        """The settings it changes (every key but ``ack`` and ``pixels``)."""
        return dict(self.model_extra or {})
