"""The pre-processing chain in CamServer's order (camserver-reference.md §5.2), fused where it can be.

binning -> background -> mirror x/y -> rotation -> region of interest -> threshold -> late averaging
-> scale and offset. Mirrors, orthogonal rotations and the ROI are views, so background subtraction,
threshold, the write of the C-contiguous output image and (for the default function) both profiles
and min/max happen in one pass over the pixels (:func:`~camserver.processing.kernels.pixel_pass`).
Arbitrary rotation angles interpolate, so there the background is subtracted before rotating.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.processing.averaging import FrameAverager
from camserver.processing.background import background_for
from camserver.processing.binning import bin_image
from camserver.processing.kernels import (
    MODE_NONE,
    MODE_SIGNED,
    MODE_SUBTRACT,
    Dark,
    PassResult,
    pixel_pass,
    prepare_dark,
)
from camserver.processing.kernels import bin_frame as _bin_frame
from camserver.processing.levels import scale_offset
from camserver.processing.orientation import mirror, rotate, rotate_orthogonal
from camserver.processing.roi import crop
from camserver.processing.settings import BackgroundMode, ProcessingSettings

__all__ = ["PreProcessor", "PreprocessedFrame"]

Array = np.ndarray[Any, Any]
_PREPARED_KEPT = 4


@dataclass(frozen=True)
class PreprocessedFrame:
    """The frame after pre-processing, with what was learnt on the way.

    ``frame`` holds the profiles and min/max of ``image`` when they were computed in the same pass;
    ``error`` is CamServer's ``processing_error`` text (background missing or of the wrong size);
    ``background_data`` is the background handed to the function in ``passive`` mode.
    """

    image: Array
    x_axis: Array
    y_axis: Array
    frame: PassResult | None = None
    error: str | None = None
    background_data: Array | None = None


class PreProcessor:
    """Runs the chain for one pipeline config; holds the (binned) background and the late-averaging buffer."""

    def __init__(
        self, settings: ProcessingSettings, background: Array | None, averager: FrameAverager | None = None
    ) -> None:
        self.settings = settings
        self.source_background = background
        if background is not None and (settings.binning_x > 1 or settings.binning_y > 1):
            background = _bin_frame(background, settings.binning_x, settings.binning_y, settings.binning_mean)
        self.background = background
        self._converted: dict[str, Array] = {}
        self._prepared: dict[tuple[str, tuple[int, ...], int], Array | Dark] = {}
        late = settings.image_averaging
        if late > 1:
            self.averager = averager if averager is not None and averager.size == late else None
            self.averager = self.averager or FrameAverager(late, rolling=True)
        else:
            self.averager = None

    def _background(self, dtype: np.dtype[Any]) -> Array:
        assert self.background is not None
        kind = "f" if dtype.kind == "f" else "i"
        if kind not in self._converted:
            self._converted[kind] = background_for(self.background, dtype)  # once per config
        return self._converted[kind]

    def _prepare(self, background: Array, image: Array, mode: int) -> Array | Dark:
        """The (oriented, cropped) background as the pass reads it best, made once per config: a
        :class:`Dark` for uint16 frames when it fits, else a C-contiguous array. The view it comes
        from depends only on the settings and the frame's shape, so it is kept by shape."""
        key = (image.dtype.str, image.shape, mode)
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= _PREPARED_KEPT:  # shapes change rarely; never let this grow
                self._prepared.clear()
            dark = prepare_dark(background) if image.dtype == np.uint16 and mode == MODE_SUBTRACT else None
            prepared = dark if dark is not None else np.ascontiguousarray(background)
            self._prepared[key] = prepared
        return prepared

    def run(
        self, image: Array, x_axis: Array, y_axis: Array, *, profiles: bool, copy: bool = False
    ) -> PreprocessedFrame:
        """Pre-process ``image`` (never modified); compute profiles in the same pass when ``profiles``.
        ``copy``: the result is never ``image`` itself (nor a view of it), even without any step."""
        settings = self.settings
        original = image
        if settings.binning_x > 1 or settings.binning_y > 1:
            image, x_axis, y_axis = bin_image(
                image,
                x_axis,
                y_axis,
                binning_x=settings.binning_x,
                binning_y=settings.binning_y,
                mean=settings.binning_mean,
            )
        error: str | None = None
        passive: Array | None = None
        background: Array | None = None
        mode = MODE_NONE
        if settings.background_mode is not BackgroundMode.OFF:
            if self.background is None:
                error = f"Invalid background image file: {settings.background_id}"
            elif self.background.shape != image.shape:
                error = "Bad background image size"
            elif settings.background_mode is BackgroundMode.PASSIVE:
                passive = self.background
            else:
                background = self._background(image.dtype)
                mode = MODE_SIGNED if settings.background_mode is BackgroundMode.SIGNED else MODE_SUBTRACT
        rotation = settings.rotation
        turns = 0 if rotation is None else rotation.orthogonal_turns
        if rotation is not None and turns is None:  # interpolated rotation: subtract first, then rotate
            if background is not None:
                whole = self._prepare(background, image, mode)
                image = self._write(image, whole, mode=mode, threshold=None, profiles=False)[0]
                background, mode = None, MODE_NONE
            image, x_axis, y_axis = mirror(
                image, x_axis, y_axis, mirror_x=settings.mirror_x, mirror_y=settings.mirror_y
            )
            image, x_axis, y_axis = rotate(image, x_axis, y_axis, rotation)
        else:
            image, x_axis, y_axis = mirror(
                image, x_axis, y_axis, mirror_x=settings.mirror_x, mirror_y=settings.mirror_y
            )
            image, x_axis, y_axis = rotate_orthogonal(image, x_axis, y_axis, turns or 0)
            if background is not None:
                background = _orient(background, settings.mirror_x, settings.mirror_y, turns or 0)
        if settings.roi is not None:
            if background is not None:
                background = crop(background, x_axis, y_axis, settings.roi)[0]
            image, x_axis, y_axis = crop(image, x_axis, y_axis, settings.roi)
        prepared = None if background is None else self._prepare(background, image, mode)
        later = self.averager is not None or settings.scale is not None or settings.offset is not None
        measured: PassResult | None = None
        write = mode != MODE_NONE or settings.threshold is not None or not image.flags.c_contiguous
        write = write or (copy and np.may_share_memory(image, original))
        if write or (profiles and not later):
            image, measured = self._write(
                image,
                prepared,
                mode=mode,
                threshold=settings.threshold,
                profiles=profiles and not later,
                write=write,
            )
        if self.averager is not None:
            image = self.averager.add(image)  # type: ignore[assignment]  # rolling: never None
        image = scale_offset(image, settings.scale, settings.offset)
        return PreprocessedFrame(image, x_axis, y_axis, measured if profiles and not later else None, error, passive)

    @staticmethod
    def _write(
        image: Array,
        background: Array | Dark | None,
        *,
        mode: int,
        threshold: float | None,
        profiles: bool,
        write: bool = True,
    ) -> tuple[Array, PassResult]:
        out = None
        if write:
            dtype = np.dtype(np.int32) if mode == MODE_SIGNED and image.dtype.kind != "f" else image.dtype
            out = np.empty(image.shape, dtype)
        result = pixel_pass(image, background, mode=mode, threshold=threshold, out=out, profiles=profiles)
        return (out if out is not None else image), result


def _orient(background: Array, mirror_x: bool, mirror_y: bool, turns: int) -> Array:
    if mirror_x:
        background = background[:, ::-1]
    if mirror_y:
        background = background[::-1, :]
    return np.rot90(background, turns) if turns else background
