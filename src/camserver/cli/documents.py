"""Config documents on the command line: read JSON or YAML files, print JSON or YAML."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from camserver.cli.connection import EXIT_USAGE, fail

__all__ = ["print_document", "read_document"]


def read_document(path: Path) -> dict[str, Any]:
    """The JSON object or YAML mapping in ``path`` (``-``: stdin); a usage error otherwise."""
    import yaml

    shown = "stdin" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {shown}: {error}", EXIT_USAGE)
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        fail(f"{shown} is not valid {kind}: {error}", EXIT_USAGE)
    if document is None:
        fail(f"{shown} is empty", EXIT_USAGE)
    if not isinstance(document, dict):
        fail(f"{shown} must hold one config (a mapping of keys to values), not {type(document).__name__}", EXIT_USAGE)
    return document


def print_document(document: Any, *, as_yaml: bool = False) -> None:
    """Print ``document`` as indented JSON, or as YAML."""
    if as_yaml:
        import yaml

        typer.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True).rstrip("\n"))
    else:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
