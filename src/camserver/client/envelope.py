"""Reading CamServer's response envelope, and raising the server's exception from an error.

Every JSON response is ``{"state": "ok" | "error", "status": "<words>", ...}``. camserver answers
errors with a real HTTP status and the exception's class name in ``error``; the client raises that
class again (:func:`camserver.errors.error_class`), so ``except CameraNotFound`` works on both
sides of the wire. Replies that are not camserver's envelope (a proxy's error page, CamServer's
errors as HTTP 200) are mapped by their status code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from camserver.client.call import Reply
from camserver.errors import (
    CamServerError,
    ConfigError,
    Conflict,
    NotFound,
    PermissionDenied,
    Timeout,
    TransportError,
    error_class,
)

__all__ = ["STATUS_ERRORS", "body_of", "content_of", "error_for", "nothing", "parsed", "text_of"]

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)

#: the error class of a status code when the reply does not name one
STATUS_ERRORS: dict[int, type[CamServerError]] = {
    400: ConfigError,
    401: PermissionDenied,
    403: PermissionDenied,
    404: NotFound,
    405: ConfigError,
    408: Timeout,
    409: Conflict,
    413: ConfigError,
    422: ConfigError,
    502: TransportError,
    503: TransportError,
    504: Timeout,
}


def _status_error(status_code: int) -> type[CamServerError]:
    return STATUS_ERRORS.get(status_code, CamServerError)


def _decode(reply: Reply) -> Any:
    try:
        return json.loads(reply.content)
    except ValueError:
        return None


def error_for(reply: Reply) -> CamServerError:
    """The exception an error reply stands for: the class the server named, else by status."""
    document = _decode(reply) if "json" in reply.content_type else None
    if isinstance(document, dict) and document.get("state") == "error":
        name = document.get("error")
        cls = error_class(name if isinstance(name, str) else None)
        if cls is CamServerError and name != "CamServerError":
            cls = _status_error(reply.status_code)
        message = document.get("status")
        return cls(str(message) if message else f"{reply.method} {reply.url} failed (HTTP {reply.status_code})")
    text = " ".join(reply.text.split())[:200]
    detail = f": {text}" if text else ""
    return _status_error(reply.status_code)(f"{reply.method} {reply.url} answered HTTP {reply.status_code}{detail}")


def body_of(reply: Reply) -> dict[str, Any]:
    """The envelope of a successful JSON reply; raises the server's exception otherwise."""
    if reply.status_code >= 400:
        raise error_for(reply)
    document = _decode(reply)
    if not isinstance(document, dict) or "state" not in document:
        raise CamServerError(
            f"{reply.method} {reply.url} did not answer with camserver's JSON envelope "
            f"(HTTP {reply.status_code}, {reply.content_type or 'no content type'})"
        )
    if document["state"] != "ok":
        raise error_for(reply)
    return document


def content_of(reply: Reply) -> bytes:
    """The raw body of a successful reply (a PNG image); raises the server's exception otherwise."""
    if reply.status_code >= 400:
        raise error_for(reply)
    if "json" in reply.content_type:
        body_of(reply)  # CamServer answers errors as HTTP 200 JSON: raise it
        raise CamServerError(f"{reply.method} {reply.url} answered JSON where it should send content")
    return reply.content


def text_of(reply: Reply) -> str:
    """The text body of a successful reply (``/txt`` log routes)."""
    return content_of(reply).decode("utf-8", errors="replace")


def nothing(reply: Reply) -> None:
    """Check a reply that carries no result."""
    body_of(reply)


def parsed(model: type[R]) -> Callable[[Reply], R]:
    """A parser of successful replies into ``model`` (a class of :mod:`camserver.models.replies`,
    the same the server answers with); raises the server's exception for an error reply."""

    def parse(reply: Reply) -> R:
        document = body_of(reply)
        try:
            return model.model_validate(document)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
            )
            raise CamServerError(
                f"{reply.method} {reply.url} answered an unexpected {model.__name__}: {problems}"
            ) from None

    return parse
