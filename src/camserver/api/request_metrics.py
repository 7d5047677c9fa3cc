"""Counting every answered REST request by route, method and status, with its duration."""

from __future__ import annotations

import time

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from camserver.service.metrics import ServerMetrics

__all__ = ["RequestMetrics"]


class RequestMetrics:
    """ASGI middleware feeding :class:`ServerMetrics`. The route is the route's template
    (``/api/v1/cam/{name}``), so each camera does not make a series of its own; requests no route
    matched count under ``unmatched``."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = route.path if isinstance(route, BaseRoute) and hasattr(route, "path") else "unmatched"
            self.metrics.observe_request(scope["method"], template, status, time.perf_counter() - started)
