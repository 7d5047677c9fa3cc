"""``custom`` pipelines: a user function makes the messages, paced by ``max_frame_rate``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from camserver.errors import ConfigError, PermissionDenied, ProcessingError
from camserver.models.pipeline import PipelineConfig
from camserver.processing import load_function
from camserver.processing.library import CUSTOM_FUNCTIONS
from camserver.protocol import Timestamp
from camserver.runtime.pipeline_stage import Resources, select_channels

__all__ = ["CustomSource"]

_IDLE = 0.05


def _timestamp(value: Any) -> Timestamp:
    if isinstance(value, tuple | list) and len(value) == 2:
        return Timestamp(int(value[0]), int(value[1]))
    if isinstance(value, int | float):
        return Timestamp.from_seconds(float(value))
    return Timestamp.now()


class CustomSource:
    """Calls ``process(parameters, init) -> (data, timestamp, pulse_id, data_size)`` at most
    ``max_frame_rate`` times a second (as often as it returns, when unset)."""

    def __init__(
        self, config: PipelineConfig, resources: Resources, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._next = clock()
        self._init = True
        self._pulse_id = 0
        self._function: Callable[..., Any] | None = None
        self._function_name: str | None = None
        self.update(config, resources)

    def update(self, config: PipelineConfig, resources: Resources) -> None:
        if not config.function:
            raise ConfigError("a custom pipeline needs a 'function'")
        if config.function in CUSTOM_FUNCTIONS:
            self._function = CUSTOM_FUNCTIONS[config.function]
        elif resources.user_scripts_dir is None:
            raise PermissionDenied("custom pipelines run user code; user scripts are not allowed on this server")
        elif self._function is None or config.reload or config.function != self._function_name:
            self._function = load_function(
                config.function,
                kind="custom",
                search_paths=[Path(resources.user_scripts_dir)],
                reload=config.reload,
            )
        self._function_name = config.function
        self.config = config
        self.parameters = config.parameters()

    def produce(self) -> tuple[dict[str, Any], int, Timestamp] | None:
        """The next message, or None if it is not due yet (after waiting at most a moment)."""
        now = self._clock()
        if now < self._next:
            time.sleep(min(self._next - now, _IDLE))
            return None
        rate = self.config.max_frame_rate
        self._next = max(self._next + 1.0 / rate, now) if rate else now
        assert self._function is not None
        try:
            produced = self._function(self.parameters, self._init)
        except Exception as error:
            raise ProcessingError(f"custom function failed: {error!r}") from error
        self._init = False
        if produced is None:
            return None
        if not isinstance(produced, tuple | list) or len(produced) < 3 or not isinstance(produced[0], dict):
            raise ProcessingError("a custom function returns (data, timestamp, pulse_id, data_size)")
        data, timestamp, pulse_id = produced[0], produced[1], produced[2]
        # no pulse id (CamServer's own custom_pipeline gives none): the messages are numbered
        self._pulse_id = self._pulse_id + 1 if pulse_id is None else int(pulse_id)
        return select_channels(dict(data), self.config, self.parameters), self._pulse_id, _timestamp(timestamp)
