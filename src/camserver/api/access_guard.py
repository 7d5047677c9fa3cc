"""The first thing every request meets: the server's :class:`AccessPolicy`, applied before any
route runs or any byte of a body is read.

A refused request gets CamServer's envelope with status 403 and the reason in words; a refused
websocket is closed before it is accepted (the browser sees HTTP 403).
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from camserver.errors import PermissionDenied
from camserver.service.access_policy import UNSAFE_METHODS, AccessPolicy

__all__ = ["AccessGuard", "request_headers"]

logger = logging.getLogger("camserver.api")

#: what any client may fetch: the web page's files and the API's description (no data)
_OPEN_PREFIXES = ("/web/",)
_OPEN_PATHS = frozenset({"/", "/docs", "/openapi.json", "/favicon.ico"})


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers, lower-case names (the last of repeated ones)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


class AccessGuard:
    """ASGI middleware: Host, network or token, cross-site rules (see :class:`AccessPolicy`)."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            self.check(scope)
        except PermissionDenied as error:
            client = scope.get("client")
            logger.warning("refused %s %s from %s: %s", scope.get("method", "WEBSOCKET"), scope["path"], client, error)
            await self._refuse(scope, receive, send, error)
            return
        await self.app(scope, receive, send)

    def check(self, scope: Scope) -> None:
        """Raise :class:`PermissionDenied` if the policy refuses the request."""
        headers = request_headers(scope)
        client = scope["client"][0] if scope.get("client") else None
        path: str = scope["path"]
        self.policy.check_host(headers.get("host"))
        if path in _OPEN_PATHS or path.startswith(_OPEN_PREFIXES):
            return
        authorization = headers.get("authorization")
        self.policy.check_read(client, authorization)
        if scope["type"] == "websocket":
            return  # its Origin is checked where it is accepted (api/viewer.py)
        method = scope["method"].upper()
        if method in UNSAFE_METHODS:
            self.policy.check_write(client, authorization)
        self.policy.check_site(method, path, headers, scheme=scope.get("scheme", "http"))

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: PermissionDenied) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008, "reason": str(error)[:120]})
            return
        body = json.dumps({"state": "error", "status": str(error), "error": type(error).__name__}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
