"""``/docs``: the interactive API description (Swagger UI), served from an installed package.

Facility networks have no internet: the page's script and styles are the Swagger UI files the
``fastapi-offline`` package ships, served by this server under ``/docs/assets``, so the page loads
nothing from anywhere else.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "mount_api_docs"]

#: the Swagger UI files (swagger-ui-bundle.js, swagger-ui.css, favicon.png)
ASSETS = Path(str(files("fastapi_offline") / "static"))


def mount_api_docs(app: FastAPI, *, path: str = "/docs") -> None:
    """Serve Swagger UI at ``path`` and its files under ``<path>/assets``."""
    assets = f"{path}/assets"
    app.mount(assets, StaticFiles(directory=ASSETS), name="api-docs-assets")

    @app.get(path, include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from the validator's site
        )
