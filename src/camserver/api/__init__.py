"""The REST API (CamServer-compatible v1 routes), the viewer websocket and the web page."""

from camserver.api.app import build_app

__all__ = ["build_app"]
