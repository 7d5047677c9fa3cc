"""The ``camserver`` command line (Typer): a shell over the client and the server."""

__all__: list[str] = []
