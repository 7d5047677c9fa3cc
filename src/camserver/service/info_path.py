"""CamServer's nested ``info``/``diag`` paths: ``/proxy/info/active_instances/_keys``.

Each segment steps into the value: ``_keys`` and ``_values`` of a dict, ``_split_<sep>`` the
value's text split at ``<sep>``, an integer the n-th item of a list (or the value of a dict's n-th
key), anything else a key.
"""

from __future__ import annotations

from typing import Any

from camserver.errors import NotFound

__all__ = ["navigate"]


def _step(value: Any, segment: str) -> Any:
    if segment == "_keys" and isinstance(value, dict):
        return list(value)
    if segment == "_values" and isinstance(value, dict):
        return list(value.values())
    if segment.startswith("_split_"):
        return str(value).split(segment[len("_split_") :])
    if segment.lstrip("-").isdigit() and isinstance(value, list | dict):
        items = list(value.values()) if isinstance(value, dict) else value
        index = int(segment)
        if -len(items) <= index < len(items):
            return items[index]
    if isinstance(value, dict) and segment in value:
        return value[segment]
    raise NotFound(f"'{segment}' is not in {type(value).__name__} {str(value)[:80]}")


def navigate(value: Any, path: str) -> Any:
    """The part of ``value`` that ``path`` (segments separated by ``/``) names; raises
    :class:`NotFound` saying which segment is not there."""
    for segment in (part for part in path.split("/") if part):
        value = _step(value, segment)
    return value
