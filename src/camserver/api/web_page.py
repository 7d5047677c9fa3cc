"""The web page: ``GET /`` serves it, ``/web/`` its scripts and styles (package data, no build step).

The page is plain HTML, ES modules and CSS from ``camserver/api/static``; it loads nothing from
anywhere else and talks to the server only through the REST routes and the viewer's websocket.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "mount_web_page", "router"]

#: the page's files
STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    """The page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


def mount_web_page(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files under ``/web``."""
    app.include_router(router)
    app.mount("/web", StaticFiles(directory=STATIC_DIR), name="web")
