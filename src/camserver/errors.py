"""The one exception tree of camserver.

Every error camserver raises on purpose is a :class:`CamServerError`. Each class also inherits the
builtin exception a Python user would expect, so ``except KeyError`` still catches a missing camera::

    CamServerError
    ├── ConfigError (ValueError)                 a config, name or request value is invalid
    │   ├── MethodNotAllowed                     the route exists, not with this HTTP method
    │   └── TooLarge                             a request body over the server's limit
    ├── NotFound (KeyError)
    │   ├── CameraNotFound
    │   ├── PipelineNotFound
    │   ├── InstanceNotFound
    │   ├── BackgroundNotFound
    │   └── ScriptNotFound
    ├── Conflict (RuntimeError)                  the request contradicts the current state
    │   └── ReadOnlyInstance
    ├── PermissionDenied (PermissionError)       a disabled feature or a missing credential
    ├── ProtocolError (ValueError)               bsread wire format
    │   ├── DecodeError                          a received message cannot be decoded
    │   └── EncodeError                          a value cannot be put on the wire
    ├── TransportError (OSError)                 a socket cannot be bound, connected or used
    │   └── PortInUse                            the port to bind is taken by another socket
    ├── SourceError (ConnectionError)            a camera source is offline or misbehaves
    ├── ProcessingError (RuntimeError)           processing of one frame failed
    ├── InstanceError (RuntimeError)             an instance failed to start or died
    │   └── PlacementError                       no node may take it (rules, lost nodes, capacity)
    ├── StorageError (OSError)                   a file of the data directory cannot be written
    └── Timeout (TimeoutError)                   something did not happen in time

The REST API maps each class to an HTTP status in one table; the client raises the same class again
from the ``error`` field of the response body (:func:`error_class`).
"""

from __future__ import annotations

__all__ = [
    "BackgroundNotFound",
    "CamServerError",
    "CameraNotFound",
    "ConfigError",
    "Conflict",
    "DecodeError",
    "EncodeError",
    "InstanceError",
    "InstanceNotFound",
    "MethodNotAllowed",
    "NotFound",
    "PermissionDenied",
    "PipelineNotFound",
    "PlacementError",
    "PortInUse",
    "ProcessingError",
    "ProtocolError",
    "ReadOnlyInstance",
    "ScriptNotFound",
    "SourceError",
    "StorageError",
    "Timeout",
    "TooLarge",
    "TransportError",
    "error_class",
]


class CamServerError(Exception):
    """Base of every error camserver raises on purpose."""

    def __str__(self) -> str:
        # KeyError quotes its message; every camserver error reads as the plain sentence.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class ConfigError(CamServerError, ValueError):
    """A config, a name or a request value is invalid."""


class MethodNotAllowed(ConfigError):
    """The path is a route, but not for this HTTP method (answered 405 with ``Allow``)."""


class TooLarge(ConfigError):
    """A request body is larger than the server takes for that route."""


class NotFound(CamServerError, KeyError):
    """Something named does not exist."""


class CameraNotFound(NotFound):
    """No camera config of that name (or alias)."""


class PipelineNotFound(NotFound):
    """No pipeline config of that name."""


class InstanceNotFound(NotFound):
    """No running or known instance with that id."""


class BackgroundNotFound(NotFound):
    """No background image with that id (or none yet for that camera)."""


class ScriptNotFound(NotFound):
    """No user script or library of that name."""


class Conflict(CamServerError, RuntimeError):
    """The request contradicts the current state (e.g. changing the camera of a running pipeline)."""


class ReadOnlyInstance(Conflict):
    """The instance was created read-only; its config cannot be changed."""


class PermissionDenied(CamServerError, PermissionError):
    """A feature is disabled on this server (e.g. user scripts) or a credential is missing."""


class ProtocolError(CamServerError, ValueError):
    """The bsread wire format was violated."""


class DecodeError(ProtocolError):
    """A received bsread message cannot be decoded; the text says what is wrong."""


class EncodeError(ProtocolError):
    """A value cannot be put on the bsread wire (unsupported type, bad name, ...)."""


class TransportError(CamServerError, OSError):
    """A ZMQ socket cannot be bound, connected or used."""


class PortInUse(TransportError):
    """The port a stream is to bind is taken by another socket (of this host)."""


class SourceError(CamServerError, ConnectionError):
    """A camera source is offline, not initialised, or delivers unusable frames."""


class ProcessingError(CamServerError, RuntimeError):
    """Processing of one frame failed."""


class InstanceError(CamServerError, RuntimeError):
    """An instance failed to start, or ended with an error."""


class PlacementError(InstanceError):
    """No node may take the instance: the placement rules, lost nodes or their network capacity
    leave none; the message names the rule or the figures."""


class StorageError(CamServerError, OSError):
    """A file of the data directory cannot be written (disk full, read-only, no permission); the
    previous version of the file is kept."""


class Timeout(CamServerError, TimeoutError):
    """Something did not happen within its deadline."""


def _all_subclasses(cls: type[CamServerError]) -> list[type[CamServerError]]:
    found: list[type[CamServerError]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def error_class(name: str | None) -> type[CamServerError]:
    """Return the camserver exception class called ``name``; :class:`CamServerError` if unknown."""
    if name:
        for cls in _all_subclasses(CamServerError):
            if cls.__name__ == name:
                return cls
    return CamServerError
