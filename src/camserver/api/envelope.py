"""CamServer's response envelope, and the one table from exception class to HTTP status.

Every JSON response is ``{"state": "ok" | "error", "status": "<words>", ...}`` as CamServer sends
it, but errors carry real HTTP status codes, and the name of the exception class in ``error`` so
that camserver's client raises the same class again.
"""

from __future__ import annotations

import base64
import logging
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

__all__ = ["STATUS_OF", "image_payload", "install_error_handlers", "ok"]

logger = logging.getLogger("camserver.api")

#: HTTP status of each error class; the most specific class in an error's MRO decides
STATUS_OF: dict[type[BaseException], int] = {
    ConfigError: 400,
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


def ok(status: str = "ok", **fields: Any) -> dict[str, Any]:
    """A successful response body."""
    return {"state": "ok", "status": status, **fields}


def image_payload(image: Any) -> dict[str, Any]:
    """An image as CamServer's ``image_bytes`` answers carry it: base64 bytes, shape, dtype."""
    return {"bytes": base64.b64encode(image.tobytes()).decode(), "shape": list(image.shape), "dtype": image.dtype.str}


def _error(status_code: int, message: str, error: str) -> JSONResponse:
    return JSONResponse({"state": "error", "status": message, "error": error}, status_code=status_code)


def _status(error: BaseException) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the envelope and its status."""

    async def camserver_error(request: Request, error: Exception) -> JSONResponse:
        status_code = _status(error)
        if status_code >= 500:
            logger.error("%s %s failed: %s", request.method, request.url.path, error)
        return _error(status_code, str(error), type(error).__name__)

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            return _error(404, f"Not found: {request.method} {request.url.path}", "NotFound")
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
