"""What routes get injected: the services, and the write check of mutating routes."""

from __future__ import annotations

from fastapi import Request

from camserver.service import Services
from camserver.service.access_policy import AccessPolicy

__all__ = ["authorize", "services"]


def services(request: Request) -> Services:
    """The server's services."""
    found: Services = request.app.state.services
    return found


def authorize(request: Request) -> None:
    """Mutating routes need a client in the server's ``write_networks`` or ``Authorization: Bearer
    <token>`` when the server has a token (the access guard checked it before the body was read;
    this keeps the rule on the route itself)."""
    policy: AccessPolicy = request.app.state.access_policy
    client = request.client.host if request.client else None
    policy.check_write(client, request.headers.get("authorization"))
