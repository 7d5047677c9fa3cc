"""Request bodies bounded by the server's settings, refused with 413 before they are parsed.

A body whose ``Content-Length`` is over the limit of its route is answered at once, without
reading a byte of it; a body sent without a length (chunked) is counted as it arrives and refused
as soon as it passes the limit, so no route ever holds more than the limit in memory. Limits by
route: user scripts and libraries ``max_script_bytes``, backgrounds ``max_background_bytes``,
every other body (JSON configs and updates) ``max_config_bytes``.
"""

from __future__ import annotations

import json
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from camserver.errors import TooLarge
from camserver.service.settings import ServerSettings

__all__ = ["BodyLimit"]

_SCRIPTS = re.compile(r"^/api/v1/(?:cam|pipeline)/(?:script/[^/]+/script_bytes|lib/[^/]+/lib_bytes)$")
_BACKGROUNDS = re.compile(r"^/api/v1/(?:(?:cam|pipeline)/background/[^/]+/image_bytes|pipeline/background)$")


class BodyLimit:
    """ASGI middleware bounding request bodies (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self.settings = settings

    def limit(self, path: str) -> tuple[int, str]:
        """The largest body a route takes, and the setting that says so."""
        if _SCRIPTS.match(path):
            return self.settings.max_script_bytes, "max_script_bytes"
        if _BACKGROUNDS.match(path):
            return self.settings.max_background_bytes, "max_background_bytes"
        return self.settings.max_config_bytes, "max_config_bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit(scope["path"])
        what = f"{scope['method']} {scope['path']}"
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(
                send,
                TooLarge(
                    f"{what}: a body of {declared} bytes is over this route's limit of "
                    f"{limit} bytes (the server's {setting} setting)"
                ),
            )
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # raised inside the route while it reads the body (FastAPI passes HTTPException
                    # on as it is): the error handlers answer 413 in the envelope
                    raise HTTPException(
                        413, f"the body is over this route's limit of {limit} bytes (the server's {setting} setting)"
                    )
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, error: TooLarge) -> None:
    body = json.dumps({"state": "error", "status": str(error), "error": type(error).__name__}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.append((b"connection", b"close"))  # the unread body is not worth draining
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
