"""CamServer's response envelope, and the one table from exception class to HTTP status.

Every JSON response is ``{"state": "ok" | "error", "status": "<words>", ...}`` as CamServer sends
it, but errors carry real HTTP status codes, and the name of the exception class in ``error`` so
that camserver's client raises the same class again.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from camserver.errors import (
    CamServerError,
    ConfigError,
    Conflict,
    InstanceError,
    MethodNotAllowed,
    NotFound,
    PermissionDenied,
    ProcessingError,
    ProtocolError,
    SourceError,
    StorageError,
    Timeout,
    TooLarge,
    TransportError,
)
from camserver.models.replies import ErrorReply
from camserver.models.reports import ImagePayload

__all__ = [
    "STATUS_OF",
    "allowed_methods",
    "error_responses",
    "image_payload",
    "install_error_handlers",
    "ok",
    "status_of",
]

logger = logging.getLogger("camserver.api")

#: HTTP status of each error class; the most specific class in an error's MRO decides
STATUS_OF: dict[type[BaseException], int] = {
    ConfigError: 400,
    MethodNotAllowed: 405,
    TooLarge: 413,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    ProcessingError: 500,
    TransportError: 500,
    ProtocolError: 502,
    SourceError: 503,
    InstanceError: 503,
    Timeout: 504,
    StorageError: 507,
    CamServerError: 500,
}


#: what each status means in ``/openapi.json``
_MEANINGS = {
    400: "the request or a value in it is invalid (ConfigError)",
    403: "this route needs the server's token, or the feature is off on this server (PermissionDenied)",
    404: "nothing of that name exists (NotFound and its kinds)",
    405: "the path is a route, not for this method (MethodNotAllowed; see the Allow header)",
    409: "the request contradicts the current state (Conflict)",
    500: "a fault of the server (CamServerError)",
    502: "a stream sent something unreadable (ProtocolError)",
    503: "a camera source is offline or an instance failed (SourceError, InstanceError)",
    504: "something did not happen in time (Timeout)",
}


def ok(status: str = "ok", **fields: Any) -> dict[str, Any]:
    """A successful response body as a dict (routes without a reply model of their own)."""
    return {"state": "ok", "status": status, **fields}


def image_payload(image: Any) -> ImagePayload:
    """An image as CamServer's ``image_bytes`` answers carry it: base64 bytes, shape, dtype."""
    return ImagePayload(
        bytes=base64.b64encode(image.tobytes()).decode(), shape=list(image.shape), dtype=image.dtype.str
    )


def _error(status_code: int, message: str, error: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorReply(status=message, error=error).model_dump()
    return JSONResponse(body, status_code=status_code, headers=headers)


def status_of(error: BaseException | type[BaseException]) -> int:
    """The HTTP status of an error (or error class): the most specific class in its MRO decides."""
    cls = error if isinstance(error, type) else type(error)
    for base in cls.__mro__:
        if base in STATUS_OF:
            return STATUS_OF[base]
    return 500


def error_responses(*errors: type[CamServerError]) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that may raise ``errors``: their statuses, and 500 (a server
    fault can happen anywhere), each answered with :class:`ErrorReply`."""
    codes = sorted({status_of(error) for error in errors} | {500})
    return {code: {"model": ErrorReply, "description": _MEANINGS[code]} for code in codes}


def _route_patterns(app: Any) -> list[tuple[re.Pattern[str], set[str]]]:
    patterns: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "route_patterns", None)
    if patterns is None:
        patterns = []
        for template, operations in app.openapi().get("paths", {}).items():
            regex = "".join(
                "[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}]*\})", template)
            )
            patterns.append((re.compile(regex), {method.upper() for method in operations}))
        app.state.route_patterns = patterns
    return patterns


def allowed_methods(request: Request, also: str = "") -> list[str]:
    """The methods the routes of this request's path take (as ``/openapi.json`` describes them,
    and ``also``, an ``Allow`` value the router gave)."""
    methods = {method.strip() for method in also.split(",") if method.strip()}
    for pattern, operations in _route_patterns(request.app):
        if pattern.fullmatch(request.url.path):
            methods |= operations
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the envelope and its status."""

    async def camserver_error(request: Request, error: Exception) -> JSONResponse:
        status_code = status_of(error)
        if status_code >= 500:
            logger.error("%s %s failed: %s", request.method, request.url.path, error)
        headers = None
        if status_code == 405:  # a route that exists for this method only to say which ones to use
            refused = {request.method, "HEAD"} if request.method == "GET" else {request.method}
            headers = {"Allow": ", ".join(method for method in allowed_methods(request) if method not in refused)}
        return _error(status_code, str(error), type(error).__name__, headers)

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            return _error(404, f"Not found: {request.method} {request.url.path}", "NotFound")
        if error.status_code == 405:
            allowed = allowed_methods(request, (error.headers or {}).get("Allow", ""))
            message = f"{request.method} is not a method of {request.url.path}; it takes {', '.join(allowed)}"
            return _error(405, message, MethodNotAllowed.__name__, {"Allow": ", ".join(allowed)})
        name = "ConfigError" if 400 <= error.status_code < 500 else "CamServerError"
        if error.status_code == 413:
            name = TooLarge.__name__
        return _error(error.status_code, f"{error.detail}: {request.method} {request.url.path}", name)

    async def invalid_request(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
        return _error(400, f"invalid request: {problems}", "ConfigError")

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("%s %s failed", request.method, request.url.path)
        return _error(500, f"internal error: {type(error).__name__}: {error}", "CamServerError")

    app.add_exception_handler(CamServerError, camserver_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
