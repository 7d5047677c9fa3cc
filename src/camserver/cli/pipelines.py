"""``camserver pipelines``: list, show, set and delete pipeline configs."""

from __future__ import annotations

from camserver.cli.config_commands import config_commands

__all__ = ["app"]

app = config_commands(
    "pipeline", saved="validated by the server", deleted="running instances keep running until stopped"
)
