"""What one browser asks of the live viewer: colour map, contrast, zoom, frame rate, size, history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from camserver.errors import ConfigError
from camserver.service.viewer.colour import COLORMAPS

__all__ = ["DEFAULT_HISTORY", "MAX_FPS", "MAX_HISTORY_CHANNELS", "ViewSettings"]

#: the highest frame rate a browser may ask for
MAX_FPS = 25.0
#: the most scalar channels one browser may follow in its strip charts
MAX_HISTORY_CHANNELS = 16
#: the channels a browser's strip charts follow unless it asks for others
DEFAULT_HISTORY: tuple[str, ...] = (
    "x_center_of_mass",
    "y_center_of_mass",
    "x_fit_mean",
    "y_fit_mean",
    "x_fit_standard_deviation",
    "y_fit_standard_deviation",
    "intensity",
)


def _number_or_none(value: Any) -> Any:
    """Query strings carry ``""`` or ``"auto"`` for "not set"."""
    if isinstance(value, str) and value.strip().lower() in ("", "auto", "none", "null"):
        return None
    return value


class ViewSettings(BaseModel):
    """How one browser wants its frames.

    ``zoom`` is ``[x, y, width, height]`` in image pixels (None: the whole image); ``min_value`` and
    ``max_value`` fix the contrast (None: the ``low_percentile`` and ``high_percentile`` of the shown
    pixels); images wider or taller than ``max_width`` x ``max_height`` are decimated by a whole step
    before they are coloured. ``history`` names the scalar channels whose every value the browser
    gets for its strip charts.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)

    colormap: str = "rainbow"
    min_value: float | None = Field(None, alias="min")
    max_value: float | None = Field(None, alias="max")
    zoom: tuple[int, int, int, int] | None = None
    fps: float = Field(10.0, gt=0, le=MAX_FPS)
    max_width: int = Field(1280, ge=16, le=4096)
    max_height: int = Field(1280, ge=16, le=4096)
    quality: int = Field(80, ge=10, le=95)
    low_percentile: float = Field(0.5, ge=0, lt=100)
    high_percentile: float = Field(99.95, gt=0, le=100)
    history: tuple[str, ...] = Field(DEFAULT_HISTORY, max_length=MAX_HISTORY_CHANNELS)

    @field_validator("colormap")
    @classmethod
    def _known_colormap(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in COLORMAPS:
            raise ValueError(f"unknown colormap {value!r}; available: {', '.join(sorted(COLORMAPS))}")
        return name

    @field_validator("min_value", "max_value", mode="before")
    @classmethod
    def _optional_number(cls, value: Any) -> Any:
        return _number_or_none(value)

    @field_validator("zoom", mode="before")
    @classmethod
    def _zoom(cls, value: Any) -> Any:
        value = _number_or_none(value)
        if isinstance(value, str):
            return [part.strip() for part in value.split(",")]
        return value

    @field_validator("zoom")
    @classmethod
    def _zoom_size(cls, value: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
        if value is not None and (value[2] < 1 or value[3] < 1):
            raise ValueError("zoom width and height must be at least 1 pixel")
        return value

    @field_validator("history", mode="before")
    @classmethod
    def _channel_names(cls, value: Any) -> Any:
        if isinstance(value, str):  # a query string: names separated by commas, or "none"
            names = [part.strip() for part in value.split(",") if part.strip()]
            return [] if names == ["none"] else names
        return value

    @model_validator(mode="after")
    def _ordered_levels(self) -> ViewSettings:
        low, high = self.min_value, self.max_value
        if low is not None and high is not None and low >= high:
            raise ValueError(f"min ({low:g}) must be below max ({high:g})")
        if self.low_percentile >= self.high_percentile:
            raise ValueError(
                f"low_percentile ({self.low_percentile:g}) must be below high_percentile ({self.high_percentile:g})"
            )
        return self

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> ViewSettings:
        """Settings from query parameters or a JSON message; raises :class:`ConfigError` in words."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as error:
            raise ConfigError(f"invalid viewer settings: {_problems(error)}") from None

    def updated(self, changes: Mapping[str, Any]) -> ViewSettings:
        """These settings with ``changes`` applied (keys as in :meth:`parse`)."""
        current = self.model_dump(by_alias=True)
        return self.parse({**current, **changes})

    def render_key(self) -> tuple[Any, ...]:
        """What the picture depends on (the frame rate does not): equal keys share a rendering."""
        return (
            self.colormap,
            self.min_value,
            self.max_value,
            self.zoom,
            self.max_width,
            self.max_height,
            self.quality,
            self.low_percentile,
            self.high_percentile,
        )


def _problems(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
