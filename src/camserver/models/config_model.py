"""What camera and pipeline configs share: CamServer's expansion rules and readable errors.

A config is a flat JSON object, as CamServer stores it. Loading one follows CamServer's
``expand_config``: a key given as ``null`` counts as not given, so its default applies. Keys the
model does not know are kept (and written back) but never acted on; :meth:`ConfigModel.unknown_keys`
reports them. Keys starting with ``_`` are CamServer's way of switching a key off and are reported
as :meth:`ConfigModel.disabled_keys` instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from camserver.errors import ConfigError

__all__ = ["NAME_PATTERN", "ConfigModel", "check_name", "describe_validation_error"]

#: names of cameras, pipelines, instances, backgrounds and scripts (``\Z``: no trailing newline)
NAME_PATTERN = re.compile(r"\A[A-Za-z0-9_.:-]{1,200}\Z")


def check_name(name: str, *, what: str = "name") -> str:
    """Return ``name`` if it is a valid camserver name, else raise :class:`ConfigError`."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name in (".", ".."):
        raise ConfigError(f"invalid {what} {name!r}: use 1 to 200 letters, digits and the characters _ . : -")
    return name


def describe_validation_error(error: ValidationError, *, subject: str) -> str:
    """One readable sentence per problem, e.g. ``camera 'x': mirror_x: Input should be a valid boolean``."""
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        given = item.get("input")
        shown = "" if isinstance(given, dict) else f" (got {given!r:.60})"
        problems.append(f"{location}: {message}{shown}" if location else f"{message}{shown}")
    return f"{subject}: " + "; ".join(problems)


class ConfigModel(BaseModel):
    """Base of the camera and pipeline configs."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_default=False)

    #: what the config is called in messages ("camera", "pipeline")
    kind: ClassVar[str] = "config"
    #: keys CamServer's README documents under another name: {alias: key}
    drift: ClassVar[dict[str, str]] = {}
    #: CamServer keys accepted for compatibility that change nothing here, with the reason
    inert: ClassVar[dict[str, str]] = {}

    @classmethod
    def prepare(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Apply CamServer's expansion before validation: drop ``null`` keys, map drifted names."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"a {cls.kind} config must be a JSON object, not {type(data).__name__}")
        prepared: dict[str, Any] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise ConfigError(f"{cls.kind} config keys must be strings, not {key!r}")
            if value is None:
                continue
            canonical = cls.drift.get(key, key)
            if canonical != key and canonical in data and data[canonical] is not None:
                continue  # the canonical key wins when both are given
            prepared[canonical] = value
        return prepared

    @classmethod
    def load(cls, data: Mapping[str, Any], *, name: str | None = None) -> Self:
        """Validate a config as a user or a file gives it; raises :class:`ConfigError`."""
        return cls.validate_config(data, name=name)

    @classmethod
    def validate_config(cls, data: Mapping[str, Any], *, name: str | None = None) -> Self:
        """Validate ``data`` as exactly this class (``load`` may choose a subclass first)."""
        prepared = cls.prepare(data)
        if name is not None:
            prepared["name"] = check_name(name, what=f"{cls.kind} name")
        subject = f"{cls.kind} {prepared.get('name', '')!r}" if prepared.get("name") else f"{cls.kind} config"
        try:
            return cls.model_validate(prepared)
        except ValidationError as error:
            raise ConfigError(describe_validation_error(error, subject=subject)) from None

    def unknown_keys(self) -> list[str]:
        """Keys kept from the input that this server does not act on."""
        return sorted(key for key in (self.model_extra or {}) if not key.startswith("_"))

    def inert_keys(self) -> dict[str, str]:
        """Keys set to something other than their default that have no effect here, with why."""
        fields = type(self).model_fields
        found = {}
        for key, reason in self.inert.items():
            field = fields.get(key)
            if field is not None and key in self.model_fields_set and getattr(self, key) != field.default:
                found[field.alias or key] = reason
        return found

    def disabled_keys(self) -> list[str]:
        """Keys switched off with a leading underscore, CamServer's convention."""
        return sorted(key for key in (self.model_extra or {}) if key.startswith("_"))

    def to_dict(self, *, expanded: bool = True) -> dict[str, Any]:
        """The config as JSON-ready data.

        ``expanded=True`` gives every key with its effective value (what the REST API returns);
        ``expanded=False`` only what was set, as it is stored.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=not expanded)

    def updated(self, changes: Mapping[str, Any]) -> Self:
        """A new config with ``changes`` applied over the keys set here (then re-validated)."""
        merged = self.to_dict(expanded=False)
        merged.update(changes)
        return type(self).load(merged)
