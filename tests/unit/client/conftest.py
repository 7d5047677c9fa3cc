"""Fixtures of the client unit tests."""

from __future__ import annotations

import pytest

from tests.unit.client.scripted_server import ScriptedServer


@pytest.fixture
def server() -> ScriptedServer:
    """A scripted server answering ``{"state": "ok"}`` until told otherwise."""
    return ScriptedServer()
