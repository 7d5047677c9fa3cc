"""Importing the client loads none of the server's dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

SERVER_ONLY = ("fastapi", "uvicorn", "numba", "scipy", "starlette")


def test_importing_the_client_loads_no_server_dependency() -> None:
    loaded = f"sorted(name for name in {SERVER_ONLY!r} if name in sys.modules)"
    code = (
        "import json, sys\n"
        "import camserver.client\n"
        "from camserver.client import AsyncClient, Client, read_stream\n"
        f"print(json.dumps({loaded}))\n"
        "import camserver.api\n"  # the same check sees the server's imports
        f"print(json.dumps({loaded}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    with_client, with_server = (json.loads(line) for line in result.stdout.splitlines())
    assert with_client == []
    assert {"fastapi", "starlette"} <= set(with_server)
