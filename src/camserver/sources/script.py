"""User-defined sources (``source_type: script``), only where the server allows user scripts.

The config's ``class`` key names a module ``<class>.py`` in the server's user-scripts folder that
defines a class of the same name implementing :class:`camserver.sources.Source`. The class is
called with the camera config (a :class:`camserver.models.ScriptCamera`) and must not open
anything before :meth:`Source.open`.
"""

from __future__ import annotations

from pathlib import Path

from camserver.errors import ConfigError, PermissionDenied, ScriptNotFound
from camserver.models.camera import ScriptCamera
from camserver.processing.function_loader import load_module
from camserver.sources.source import Source

__all__ = ["load_user_source"]


def load_user_source(config: ScriptCamera, user_scripts: Path | None) -> Source:
    """Import ``<user_scripts>/<class>.py`` and make its source; nothing is imported unless allowed."""
    if user_scripts is None:
        raise PermissionDenied(
            "user scripts are not allowed on this server (start it with --allow-user-scripts): "
            f"camera {config.name or config.source!r} with source_type 'script' is refused"
        )
    name = config.class_
    if not name or not name.isidentifier():
        raise ConfigError(f"a script camera needs 'class': the name of a Python class, not {name!r}")
    if not (Path(user_scripts) / f"{name}.py").is_file():
        raise ScriptNotFound(f"user script '{name}.py' not found in the user scripts folder")
    module = load_module(name, search_paths=[Path(user_scripts)])
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        raise ConfigError(f"user script '{name}.py' defines no class {name!r}")
    try:
        source = cls(config)
    except Exception as error:  # noqa: BLE001 - as above
        raise ConfigError(f"user source {name!r} could not be created: {type(error).__name__}: {error}") from None
    if not isinstance(source, Source):
        raise ConfigError(
            f"user source {name!r} does not implement the Source protocol "
            "(geometry, dropped, open(), read(timeout), close())"
        )
    return source
