"""The FastAPI application: ``build_app(settings)`` wires services, routes and error handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from camserver import __version__
from camserver.api import cameras, instances, logs, metrics, nodes, pipelines, proxy, server_routes, viewer
from camserver.api.access_guard import AccessGuard
from camserver.api.api_docs import mount_api_docs
from camserver.api.body_limit import BodyLimit
from camserver.api.envelope import install_error_handlers
from camserver.api.openapi import install_openapi
from camserver.api.request_metrics import RequestMetrics
from camserver.api.web_page import mount_web_page
from camserver.service import ServerSettings, Services
from camserver.service.access_policy import AccessPolicy
from camserver.service.metrics import ServerMetrics
from camserver.service.viewer.hub import ViewerHub

__all__ = ["build_app"]

DESCRIPTION = """
camserver runs cameras and processing pipelines, each in its own process, and publishes their
results as bsread streams over ZMQ. The `/api/v1/cam` and `/api/v1/pipeline` routes answer as
CamServer's do, in its `{"state", "status", ...}` envelope, with real HTTP status codes on errors.
"""


def build_app(
    settings: ServerSettings,
    *,
    services: Services | None = None,
    server_url: str | None = None,
    pipeline_port: int | None = None,
) -> FastAPI:
    """The application for ``settings``; its lifespan starts and closes the services.

    ``server_url`` is the address instances use to reach this API (default: host and port of the
    settings). ``pipeline_port`` is the port (bound) on which ``/api/v1/proxy`` answers for
    pipelines (default: the settings' ``pipeline_port``).
    """
    owned = services is None
    state = services or Services(settings)
    url = server_url or f"http://{settings.stream_host}:{settings.port}"
    viewer_hub = ViewerHub.for_services(state)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(state.start, server_url=url)
        try:
            yield
        finally:
            await asyncio.to_thread(viewer_hub.close)
            if owned:
                await asyncio.to_thread(state.close)

    app = FastAPI(
        title="camserver",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by mount_api_docs, from an installed package
        redoc_url=None,
    )
    app.state.services = state
    app.state.pipeline_port = pipeline_port if pipeline_port is not None else settings.pipeline_port
    app.state.viewer_hub = viewer_hub
    app.state.access_policy = policy = AccessPolicy.from_settings(settings)
    app.state.metrics = server_metrics = ServerMetrics(state)
    # outermost last: figures of every request, then who may ask, then how much they may send
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(AccessGuard, policy=policy)
    app.add_middleware(RequestMetrics, metrics=server_metrics)
    install_error_handlers(app)
    app.include_router(cameras.router)
    app.include_router(pipelines.router)
    app.include_router(logs.router)
    app.include_router(instances.router)
    app.include_router(nodes.router)
    app.include_router(proxy.router)
    app.include_router(proxy.client_paths)
    app.include_router(viewer.router)
    app.include_router(server_routes.router)
    app.include_router(metrics.router)
    install_openapi(app)
    mount_api_docs(app)
    mount_web_page(app)
    return app
