"""A scripted server for client unit tests: ``httpx.MockTransport`` answering what a test sets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class ScriptedServer:
    """Answers every request with ``reply`` (JSON body, or bytes with a content type) and keeps
    the requests it saw."""

    status_code: int = 200
    body: Any = field(default_factory=lambda: {"state": "ok", "status": "ok"})
    content_type: str = "application/json"
    requests: list[httpx.Request] = field(default_factory=list)
    failure: Exception | None = None

    def answer(self, body: Any, *, status_code: int = 200, content_type: str = "application/json") -> None:
        self.body, self.status_code, self.content_type = body, status_code, content_type

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failure is not None:
            raise self.failure
        content = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return httpx.Response(self.status_code, content=content, headers={"content-type": self.content_type})

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def ok(**fields: Any) -> dict[str, Any]:
    """A successful envelope."""
    return {"state": "ok", "status": "ok", **fields}
