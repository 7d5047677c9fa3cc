"""One pipeline's processing: pre-processing chain, function, include/exclude (§5.1, §5.2).

:class:`ImageProcessor` is built from the pipeline's parameters (the plain dict a user function
receives) and the background array the caller loaded. It owns everything that has state: the live
parameter dict handed to the function, the background, and the averaging buffers.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from camserver.errors import CamServerError, ProcessingError
from camserver.processing.averaging import FrameAverager
from camserver.processing.library import merge
from camserver.processing.metrics import process_image, standard_metrics
from camserver.processing.preprocessor import PreProcessor
from camserver.processing.provenance import processing_parameters
from camserver.processing.settings import (
    BackgroundMode,
    GoodRegionSettings,
    ProcessingSettings,
    SlicesSettings,
    good_region_settings,
    slices_settings,
)

__all__ = ["ImageProcessor", "ProcessingFunction"]

Array = np.ndarray[Any, Any]
ProcessingFunction = Callable[..., "dict[str, Any] | None"]
_log = logging.getLogger(__name__)


class ImageProcessor:
    """Process the frames of one pipeline; see the module docstring.

    ``camera_geometry`` is the ``(width, height)`` of the camera's frames, used only to warn (in
    :attr:`warnings` and the log) when the background cannot match it. ``function`` is None for the
    built-in standard metrics, or a callable with CamServer's ``process_image`` signature.
    """

    def __init__(
        self,
        parameters: Mapping[str, Any],
        background: Array | None = None,
        *,
        camera_geometry: tuple[int, int] | None = None,
        function: ProcessingFunction | None = None,
    ) -> None:
        self.camera_geometry = camera_geometry
        self.function = function
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._early: FrameAverager | None = None
        self._pre: PreProcessor | None = None
        self.parameters: dict[str, Any] = {}
        self.settings = ProcessingSettings()
        self._parsed: tuple[GoodRegionSettings | None, SlicesSettings | None] = (None, None)
        self.update(parameters, background)

    def update(self, parameters: Mapping[str, Any], background: Array | None = None) -> None:
        """Apply a new config from the next frame on; raises ConfigError (and keeps the old one) if invalid.

        ``background`` is the array for ``image_background`` (None when none is available).
        Averaging buffers are kept only when the settings that fill them did not change.
        """
        settings = ProcessingSettings.from_parameters(parameters)
        good_region = good_region_settings(parameters)
        slicing = slices_settings(parameters)
        live = dict(parameters)
        if good_region is not None:
            live["image_good_region"] = dataclasses.asdict(good_region)
        if slicing is not None:
            live["image_slices"] = dataclasses.asdict(slicing)
        live["rotation"] = None if settings.rotation is None else dataclasses.asdict(settings.rotation)
        if settings.background_mode is not BackgroundMode.OFF:
            live["image_background_ok"] = background is not None
        with self._lock:
            old, old_pre = self.settings, self._pre
            self.warnings = self._check_background(settings, background)
            early = self._early if settings.averaging == old.averaging and old_pre is not None else None
            if settings.averaging != 0:
                size, rolling = abs(settings.averaging), settings.averaging < 0
                self._early = early if early is not None else FrameAverager(size, rolling=rolling)
            else:
                self._early = None
            keep = (
                old_pre is not None
                and old_pre.averager is not None
                and _chain(old) == _chain(settings)
                and old_pre.source_background is background
            )
            self._pre = PreProcessor(settings, background, old_pre.averager if keep and old_pre else None)
            self.settings, self.parameters, self._parsed = settings, live, (good_region, slicing)

    def _check_background(self, settings: ProcessingSettings, background: Array | None) -> list[str]:
        notes = []
        if settings.background_mode is not BackgroundMode.OFF and background is None:
            notes.append(f"Invalid background image file: {settings.background_id}")
        elif background is not None and self.camera_geometry is not None:
            width, height = self.camera_geometry
            if background.shape != (height, width):
                notes.append(f"Background shape {background.shape} does not match the camera ({height}, {width})")
        for note in notes:
            _log.warning(note)
        return notes

    @property
    def takes_lent_frames(self) -> bool:
        """Whether :meth:`process` may be given ``lent=True``: the built-in function, no averaging
        (nothing keeps the frame beyond the call, so a frame found overwritten afterwards can be
        thrown away with all that came of it)."""
        settings = self.settings
        builtin = self.function is None or self.function is process_image or self.function is merge
        return builtin and settings.averaging == 0 and settings.image_averaging <= 1

    def process(
        self,
        image: Array,
        pulse_id: int,
        timestamp: Any,
        x_axis: Array,
        y_axis: Array,
        bsdata: Mapping[str, Any] | None = None,
        *,
        lent: bool = False,
    ) -> dict[str, Any] | None:
        """The output channels for one frame, or None to skip it (averaging block incomplete, or the
        function returned None). ``timestamp`` is the ``(sec, ns)`` tuple. ``image`` is never modified.
        ``lent``: ``image`` is not the caller's to keep (see :attr:`takes_lent_frames`): the output
        image is written out even where it could be the frame itself."""
        pre, early, function = self._pre, self._early, self.function
        settings, parameters, parsed = self.settings, self.parameters, self._parsed
        assert pre is not None
        if early is not None:
            averaged = early.add(image)
            if averaged is None:
                return None
            image = averaged
        builtin = function is None or function is process_image or function is merge
        frame = pre.run(image, x_axis, y_axis, profiles=builtin, copy=lent)
        parameters.pop("background_data", None)
        parameters.pop("processing_error", None)
        if frame.error is not None:
            if not settings.notify_on_error:
                raise ProcessingError(frame.error)
            parameters["processing_error"] = frame.error
        if frame.background_data is not None:
            parameters["background_data"] = frame.background_data
        output = frame.image
        if output.flags.writeable:
            output = output.view()
            output.flags.writeable = False
        if builtin:
            result: dict[str, Any] | None = standard_metrics(
                output, frame.x_axis, frame.y_axis, parameters, timestamp, frame=frame.frame, parsed=parsed
            )
            if function is merge and bsdata and result is not None:
                result.update(bsdata)
        else:
            assert function is not None
            result = _call(function, output, pulse_id, timestamp, frame.x_axis, frame.y_axis, parameters, bsdata)
        if result is None:
            return None
        return _select(result, settings, parameters)


def _call(function: ProcessingFunction, *arguments: Any) -> dict[str, Any] | None:
    try:
        result = function(*arguments)
    except CamServerError:
        raise
    except Exception as error:
        raise ProcessingError(
            f"processing function {getattr(function, '__name__', function)!r} failed: {error!r}"
        ) from error
    if result is not None and not isinstance(result, dict):
        raise ProcessingError(f"a processing function must return a dict or None, not {type(result).__name__}")
    return result


def _select(result: dict[str, Any], settings: ProcessingSettings, parameters: Mapping[str, Any]) -> dict[str, Any]:
    if settings.include is not None:
        result = {name: result.get(name) for name in settings.include}
    if settings.exclude is not None:
        for name in settings.exclude:
            result.pop(name, None)
    if "processing_parameters" not in result and "processing_parameters" not in (settings.exclude or ()):
        result["processing_parameters"] = processing_parameters(parameters)
    return result


def _chain(settings: ProcessingSettings) -> ProcessingSettings:
    """The settings that shape the pre-processed frame (those a late-averaging buffer depends on)."""
    return dataclasses.replace(settings, include=None, exclude=None, notify_on_error=False, averaging=0)
