"""CamServer's ``permanent_instances.json``: instances the server keeps running."""

from __future__ import annotations

import json
from pathlib import Path

from camserver.errors import ConfigError

__all__ = ["read_permanent_instances"]


def read_permanent_instances(path: Path) -> dict[str, str]:
    """``{instance: config}`` from ``path``; keys starting with ``#`` are switched off and an empty
    config name means the instance's own name. A missing file means none."""
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path.name} is not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name} must hold an object {{instance: config}}")
    return {
        str(instance): str(config or instance) for instance, config in raw.items() if not str(instance).startswith("#")
    }
