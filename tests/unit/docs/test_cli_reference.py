"""The CLI reference names every command."""

from __future__ import annotations

from pathlib import Path

import typer.main

from camserver.cli.app import app

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "cli.md"


def command_paths() -> list[str]:
    found: list[str] = []

    def walk(command: object, prefix: str) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if getattr(sub, "commands", None):
                walk(sub, f"{prefix}{name} ")
            else:
                found.append(f"{prefix}{name}")

    walk(typer.main.get_command(app), "")
    return found


def test_every_command_is_in_the_reference() -> None:
    text = REFERENCE.read_text()
    assert command_paths()
    missing = [
        path for path in command_paths() if f"camserver {path}" not in text and f"`{path.split()[-1]}`" not in text
    ]
    assert missing == []
