"""Routes about the server itself outside the two prefixes: ``GET /base`` (CamServer's page asks it
for its route prefix)."""

from __future__ import annotations

from fastapi import APIRouter

from camserver.api.envelope import error_responses
from camserver.models.replies import BaseReply

__all__ = ["BASES", "router"]

router = APIRouter(tags=["server"])

#: the route prefixes of this server; CamServer's camera server answers the first
BASES = ["/api/v1/cam", "/api/v1/pipeline"]


@router.get(
    "/base",
    summary="The route prefix (CamServer's camera server's), and every prefix this server answers",
    response_model=BaseReply,
    responses=error_responses(),
)
def base() -> BaseReply:
    return BaseReply(status="Base", base=BASES[0], bases=BASES)
