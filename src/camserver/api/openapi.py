"""``/openapi.json`` as the API answers: request errors are 400 with the envelope, never 422, and
every error is JSON, also on routes whose success is a PNG image or text.

FastAPI describes a failed request validation as 422 with its own error body; camserver answers
such requests 400 with :class:`~camserver.models.replies.ErrorReply` (the envelope CamServer's
clients read). This replaces the one with the other in the generated description, so that what
``/openapi.json`` promises is what the server sends.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

__all__ = ["install_openapi"]

_ERROR_REPLY = {"$ref": "#/components/schemas/ErrorReply"}
_INVALID = {
    "description": "the request or a value in it is invalid (ConfigError)",
    "content": {"application/json": {"schema": _ERROR_REPLY}},
}


def _corrected(schema: dict[str, Any]) -> dict[str, Any]:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None:
                responses.setdefault("400", _INVALID)
            for code, response in responses.items():
                if int(code) >= 400:  # errors are JSON, also on routes answering PNG or text
                    response["content"] = {"application/json": {"schema": _ERROR_REPLY}}
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) describe request errors as answered."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _corrected(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
