"""What routes get injected: the services, and the token check of mutating routes."""

from __future__ import annotations

import hmac

from fastapi import Request

from camserver.errors import PermissionDenied
from camserver.service import Services

__all__ = ["authorize", "services"]


def services(request: Request) -> Services:
    """The server's services."""
    found: Services = request.app.state.services
    return found


def authorize(request: Request) -> None:
    """Mutating routes need ``Authorization: Bearer <token>`` when the server has a token."""
    token = request.app.state.services.settings.token
    if not token:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
        raise PermissionDenied("this route needs 'Authorization: Bearer <token>' with the server's token")
