"""One REST call, sans-I/O: what to send (:class:`Call`) and what came back (:class:`Reply`).

Every method of :class:`~camserver.client.Client` and :class:`~camserver.client.AsyncClient`
builds a :class:`Call` with the same code; the two clients differ only in how they move it over
HTTP. A call carries its own parser, so a reply is turned into a result (or an exception) in one
place, whichever client sent it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

__all__ = ["GRAB_TIME", "START_TIME", "STOP_TIME", "Call", "Reply", "config_body", "segment"]

T = TypeVar("T")

#: seconds a camserver server may take to start an instance (its default ``start_timeout``)
START_TIME = 30.0
#: seconds it may take to stop one (``stop_timeout`` and the grace before a kill)
STOP_TIME = 12.0
#: seconds it may take to grab one frame straight from a source, or to probe it
GRAB_TIME = 10.0


def segment(name: str) -> str:
    """``name`` as one path segment: a ``/`` or ``?`` in a name cannot reach another route."""
    return quote(str(name), safe="")


def config_body(config: Mapping[str, Any] | Any) -> dict[str, Any]:
    """A config to send: a model as the keys it sets, a mapping as it is."""
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict(expanded=False))
    return dict(config)


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP response as plain data."""

    method: str
    url: str
    status_code: int
    content_type: str
    content: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """A request to the server and how to read its reply.

    ``path`` starts with ``/api/v1``; ``parse`` turns the reply into the result or raises the
    server's exception. ``server_time`` is how long the server itself may work on the request by
    its own deadlines (starting an instance, collecting a background); a client waits its timeout
    plus that, so a slow start is reported by the server instead of cut off by the client.
    """

    method: str
    path: str
    parse: Callable[[Reply], T]
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    server_time: float = 0.0

    def headers(self, token: str | None) -> dict[str, str]:
        """The request headers: JSON accepted, the body's type, the bearer token if any."""
        headers = {"Accept": "application/json, image/png, text/plain"}
        if self.content_type is not None:
            headers["Content-Type"] = self.content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers
