"""``/metrics``: the server's figures in Prometheus' text format (see docs/reference/metrics.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from camserver.service.metrics import CONTENT_TYPE, ServerMetrics

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Figures of instances, the node and the REST API, in Prometheus' text format",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}},
)
def metrics(request: Request) -> Response:
    server_metrics: ServerMetrics = request.app.state.metrics
    return Response(server_metrics.exposition(), media_type=CONTENT_TYPE)
