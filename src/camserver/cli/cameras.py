"""``camserver cameras``: list, show, set and delete camera configs."""

from __future__ import annotations

from camserver.cli.config_commands import config_commands

__all__ = ["app"]

app = config_commands(
    "camera", saved="a running camera applies it", deleted="a running instance keeps running until stopped"
)
