"""Typed view of a pipeline's processing parameters (CamServer's pipeline config keys, §4.3).

The pipeline hands its parameters around as a plain ``dict`` (that is what user functions receive);
:class:`ProcessingSettings` reads the keys the processing chain needs once per config change, applies
CamServer's defaults and normalisations (rotation, good region and slice sub-defaults) and rejects values
that cannot work with a :class:`~camserver.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from camserver.errors import ConfigError

__all__ = [
    "BackgroundMode",
    "GoodRegionSettings",
    "ProcessingSettings",
    "Rotation",
    "SlicesSettings",
    "good_region_settings",
    "slices_settings",
]

_SCIPY_MODES = (
    "reflect",
    "nearest",
    "mirror",
    "wrap",
    "constant",
    "grid-constant",
    "grid-mirror",
    "grid-wrap",
)


class BackgroundMode(Enum):
    """What ``image_background_enable`` asks for."""

    OFF = "off"
    SUBTRACT = "subtract"  # true: unsigned subtraction, negative results clamped at 0, dtype kept
    SIGNED = "signed"  # "signed": int32 result, negatives kept
    PASSIVE = "passive"  # "passive": handed to the function as parameters["background_data"]


@dataclass(frozen=True)
class Rotation:
    """A normalised ``rotation``: ``angle`` degrees; ``mode`` "ortho", a scipy mode or a fill value."""

    angle: float
    order: int = 1
    mode: str = "0.0"

    @property
    def orthogonal_turns(self) -> int | None:
        """k for ``numpy.rot90`` when mode is "ortho", else None."""
        return int(self.angle / 90) % 4 if self.mode == "ortho" else None

    @property
    def fill_value(self) -> float | None:
        """The constant fill value when ``mode`` is numeric, else None."""
        return _as_float(self.mode)


@dataclass(frozen=True)
class GoodRegionSettings:
    """``image_good_region``: profile threshold (fraction of max - min) and width extension factor."""

    threshold: float = 0.3
    gfscale: float = 1.8


@dataclass(frozen=True)
class SlicesSettings:
    """``image_slices``; ``number_of_slices`` is already made odd (even counts get a middle slice)."""

    number_of_slices: int = 1
    scale: float = 2.0
    orientation: str = "vertical"


@dataclass(frozen=True)
class ProcessingSettings:
    """The processing-relevant keys of one pipeline config, with CamServer's defaults applied."""

    binning_x: int = 1
    binning_y: int = 1
    binning_mean: bool = False
    background_mode: BackgroundMode = BackgroundMode.OFF
    background_id: str | None = None
    mirror_x: bool = False
    mirror_y: bool = False
    rotation: Rotation | None = None
    roi: tuple[int, int, int, int] | None = None
    threshold: float | None = None
    averaging: int = 0
    image_averaging: int = 0
    scale: float | None = None
    offset: float | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    notify_on_error: bool = False

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> ProcessingSettings:
        """Read ``parameters`` (a pipeline config dict); raise ConfigError for unusable values."""
        get = parameters.get
        background = get("image_background_enable", False)
        if background == "passive":
            mode = BackgroundMode.PASSIVE
        elif background == "signed":
            mode = BackgroundMode.SIGNED
        elif isinstance(background, str) and background.lower() in ("false", "0", ""):
            mode = BackgroundMode.OFF
        else:
            mode = BackgroundMode.SUBTRACT if background else BackgroundMode.OFF
        name = str(get("name") or "")
        notify = get("notify_on_error")
        threshold = _optional_float(parameters, "image_threshold")
        return cls(
            binning_x=_positive_int(parameters, "binning_x"),
            binning_y=_positive_int(parameters, "binning_y"),
            binning_mean=bool(get("binning_mean", False)),
            background_mode=mode,
            background_id=None if get("image_background") is None else str(get("image_background")),
            mirror_x=bool(get("mirror_x", False)),
            mirror_y=bool(get("mirror_y", False)),
            rotation=_rotation(get("rotation")),
            roi=_roi(get("image_region_of_interest")),
            threshold=threshold if threshold is not None and threshold > 0 else None,
            averaging=_int(parameters, "averaging"),
            image_averaging=max(_int(parameters, "image_averaging"), 0),
            scale=_optional_float(parameters, "image_scale"),
            offset=_optional_float(parameters, "image_offset"),
            include=_names(parameters, "include"),
            exclude=_names(parameters, "exclude"),
            notify_on_error=name.endswith("_sp") if notify is None else bool(notify),
        )


def good_region_settings(parameters: Mapping[str, Any]) -> GoodRegionSettings | None:
    """``image_good_region`` with its sub-defaults, or None when not configured."""
    value = parameters.get("image_good_region")
    if value is None or value is False:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"image_good_region must be an object, not {value!r}")
    merged = {"threshold": 0.3, "gfscale": 1.8} | {k: v for k, v in value.items() if v is not None}
    return GoodRegionSettings(
        threshold=_float(merged, "threshold", "image_good_region.threshold"),
        gfscale=_float(merged, "gfscale", "image_good_region.gfscale"),
    )


def slices_settings(parameters: Mapping[str, Any]) -> SlicesSettings | None:
    """``image_slices`` with its sub-defaults (count made odd), or None when not configured."""
    value = parameters.get("image_slices")
    if value is None or value is False:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"image_slices must be an object, not {value!r}")
    merged = {"number_of_slices": 1, "scale": 2, "orientation": "vertical"} | {
        k: v for k, v in value.items() if v is not None
    }
    count = merged["number_of_slices"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError(f"image_slices.number_of_slices must be a positive integer, not {count!r}")
    orientation = merged["orientation"]
    if orientation not in ("vertical", "horizontal"):
        raise ConfigError(f"Invalid slice orientation '{orientation}'. Use 'vertical' or 'horizontal'.")
    return SlicesSettings(
        number_of_slices=count + 1 if count % 2 == 0 else count,
        scale=_float(merged, "scale", "image_slices.scale"),
        orientation=orientation,
    )


def _as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _float(values: Mapping[str, Any], key: str, label: str) -> float:
    number = _as_float(values.get(key))
    if number is None or not math.isfinite(number):
        raise ConfigError(f"{label} must be a finite number, not {values.get(key)!r}")
    return number


def _optional_float(values: Mapping[str, Any], key: str) -> float | None:
    return None if values.get(key) is None else _float(values, key, key)


def _int(values: Mapping[str, Any], key: str) -> int:
    value = values.get(key)
    if value is None:
        return 0
    number = _as_float(value)
    if number is None or not math.isfinite(number) or number != int(number):
        raise ConfigError(f"{key} must be an integer, not {value!r}")
    return int(number)


def _positive_int(values: Mapping[str, Any], key: str) -> int:
    number = _int(values, key)
    if values.get(key) is not None and number < 1:
        raise ConfigError(f"{key} must be >= 1, not {values.get(key)!r}")
    return max(number, 1)


def _names(values: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence):
        raise ConfigError(f"{key} must be a list of channel names, not {value!r}")
    return tuple(str(name) for name in value)


def _roi(value: object) -> tuple[int, int, int, int] | None:
    if not value:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 4:
        raise ConfigError(f"image_region_of_interest must be [offset_x, size_x, offset_y, size_y], not {value!r}")
    numbers = [_as_float(item) for item in value]
    if any(number is None or not math.isfinite(number) for number in numbers):
        raise ConfigError(f"image_region_of_interest must hold four integers, not {value!r}")
    offset_x, size_x, offset_y, size_y = (int(number) for number in numbers if number is not None)
    if size_x < 0 or size_y < 0:
        raise ConfigError(f"image_region_of_interest sizes must not be negative: {value!r}")
    return offset_x, size_x, offset_y, size_y


def _rotation(value: object) -> Rotation | None:
    """CamServer's normalisation: a number means {angle, order 1, mode "0.0"}; angle 0/None -> None."""
    if isinstance(value, Mapping):
        angle = _as_float(value.get("angle"))
        order = value.get("order", 1)
        mode = value.get("mode", "0.0")
    else:
        angle, order, mode = _as_float(value), 1, "0.0"
    if angle is None or angle == 0 or not math.isfinite(angle):
        return None
    if order is None:
        order = 1
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 5:
        raise ConfigError(f"rotation.order must be an integer from 0 to 5, not {order!r}")
    mode = "0.0" if mode is None else str(mode)
    if mode != "ortho" and mode not in _SCIPY_MODES and _as_float(mode) is None:
        raise ConfigError(f"rotation.mode must be 'ortho', a fill value or one of {_SCIPY_MODES}, not {mode!r}")
    return Rotation(angle=angle, order=order, mode=mode)
