"""Loading processing functions: built-ins by name, user modules by name on search paths or by file path.

CamServer's ``function`` key names a built-in module (``default``/``processor``, ``transparent``,
``merge``, ``psen`` for processing pipelines; ``propagate_stream``, ``propagate_stream_with_prefix`` for
stream pipelines; ``custom_pipeline`` for custom pipelines; ``psss`` is built by the pipeline with its
EPICS link), a user script ``<name>.py`` in the scripts folder, or a path containing ``/``. A user
module must define ``process_image`` (processing) or ``process`` (stream and custom pipelines).
Loaded modules are kept in ``sys.modules`` under a name derived from their path, so a second load is
free; ``reload=True`` executes the file again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from camserver.errors import ConfigError
from camserver.processing.library import CUSTOM_FUNCTIONS, PROCESSING_FUNCTIONS, STREAM_FUNCTIONS

__all__ = ["FunctionKind", "load_function", "load_module", "required_function"]

FunctionKind = Literal["processing", "stream", "custom"]
_REQUIRED = {"processing": "process_image", "stream": "process", "custom": "process"}


def required_function(kind: FunctionKind) -> str:
    """The function a user module of ``kind`` must define."""
    try:
        return _REQUIRED[kind]
    except KeyError:
        raise ConfigError(f"unknown function kind {kind!r}; use one of {sorted(_REQUIRED)}") from None


def load_function(
    name_or_path: str | Path,
    *,
    kind: FunctionKind,
    search_paths: Sequence[Path] = (),
    reload: bool = False,
) -> Callable[..., Any]:
    """The callable for ``name_or_path``; ConfigError when the module or its function is missing."""
    required = required_function(kind)
    name = str(name_or_path)
    builtins = {"processing": PROCESSING_FUNCTIONS, "stream": STREAM_FUNCTIONS, "custom": CUSTOM_FUNCTIONS}.get(
        kind, {}
    )
    if name in builtins:
        return builtins[name]
    module = load_module(name, search_paths=search_paths, reload=reload)
    function = getattr(module, required, None)
    if not callable(function):
        raise ConfigError(f"Function module '{name}' ({module.__file__}) does not define '{required}()'.")
    return function  # type: ignore[no-any-return]


def load_module(name_or_path: str | Path, *, search_paths: Sequence[Path] = (), reload: bool = False) -> ModuleType:
    """A user module by name (``<name>.py`` on ``search_paths``) or by path, imported once and
    again only with ``reload``; ConfigError when it is missing or fails to import."""
    name = str(name_or_path)
    return _module(name, _locate(name, search_paths), reload)


def _locate(name: str, search_paths: Sequence[Path]) -> Path:
    if not name:
        raise ConfigError("No processing function given.")
    if "/" in name or "\\" in name:
        path = Path(name)
        candidates = [path]
    else:
        stem = name[:-3] if name.endswith(".py") else name
        candidates = [Path(folder) / f"{stem}.py" for folder in search_paths]
        compiled = [Path(folder) / f"{stem}{suffix}" for folder in search_paths for suffix in (".c", ".so")]
        if not any(candidate.is_file() for candidate in candidates) and any(c.is_file() for c in compiled):
            raise ConfigError(f"Function '{name}' is compiled code (.c/.so), which camserver does not load.")
    for candidate in candidates:
        if candidate.is_file():
            if candidate.suffix != ".py":
                raise ConfigError(f"Function file '{candidate}' is not a Python file (.py).")
            return candidate.resolve()
    searched = ", ".join(str(candidate) for candidate in candidates) or "no search path given"
    raise ConfigError(f"User module '{name}' not found (looked for: {searched}).")


def _module(name: str, path: Path, reload: bool) -> ModuleType:
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:12]
    module_name = f"camserver_user_function_{path.stem}_{digest}"
    if not reload and module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"User module '{name}' ({path}) cannot be imported.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise ConfigError(f"User module '{name}' ({path}) failed to load: {type(error).__name__}: {error}") from error
    return module
