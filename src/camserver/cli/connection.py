"""How a command reaches the server (``--server``, ``--token``, ``--timeout``), and how it fails.

A command asks :func:`connection` for the options the root command parsed, opens a client with
:meth:`Connection.client`, and runs inside :func:`reported_errors`: every camserver error ends the
command with ``error: <message>`` on stderr and exit code 1, never a traceback; so does an
``OSError`` (a file that cannot be written, a full disk).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import typer

from camserver.errors import CamServerError

if TYPE_CHECKING:
    from camserver.client import Client

__all__ = [
    "DEFAULT_SERVER",
    "EXIT_ERROR",
    "EXIT_USAGE",
    "Connection",
    "connection",
    "fail",
    "reported_errors",
]

#: where ``camserver serve`` listens by default (kept here so ``--help`` imports no client)
DEFAULT_SERVER = "http://127.0.0.1:8888"
#: the server refused the request, or could not be reached
EXIT_ERROR = 1
#: the command line (or a file it names) is wrong
EXIT_USAGE = 2


@dataclass(frozen=True)
class Connection:
    """The server a command talks to."""

    url: str = DEFAULT_SERVER
    token: str | None = None
    timeout: float = 10.0

    def client(self) -> Client:
        """A client of the server; a malformed ``--server`` is a usage error."""
        from camserver.client import Client

        try:
            return Client(self.url, timeout=self.timeout, token=self.token)
        except CamServerError as error:
            fail(str(error), EXIT_USAGE)


def connection(context: typer.Context) -> Connection:
    """The connection options of the root command (defaults if it was not run, as in tests of a
    sub-app)."""
    found = context.find_object(Connection)
    return found if found is not None else Connection()


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a camserver error (or a failing file or socket) into ``error: <message>`` and exit code 1."""
    try:
        yield
    except (CamServerError, OSError) as error:
        fail(str(error) or type(error).__name__)
