"""``client.scripts``: user scripts and libraries (routes under ``/api/v1/pipeline``).

Reading works on every server; writing and deleting only where the server allows user scripts
(else :class:`~camserver.errors.PermissionDenied`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from camserver.client.call import Call, Reply, segment
from camserver.client.envelope import nothing, parsed
from camserver.client.reports import Names
from camserver.errors import CamServerError
from camserver.models.replies import LibNamesReply, LibReply, ScriptNamesReply, ScriptReply

__all__ = ["AsyncScripts", "ScriptCalls", "Scripts"]

T = TypeVar("T")
PREFIX = "/api/v1/pipeline"


def _encoded(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def _library(reply: Reply) -> bytes:
    library = parsed(LibReply)(reply)
    content = library.lib
    if library.base64:
        try:
            return base64.b64decode(content, validate=True)
        except binascii.Error as error:
            raise CamServerError(f"the server sent a library that is not base64: {error}") from None
    return content.encode("utf-8")


class ScriptCalls:
    """The calls of the script and library routes."""

    @staticmethod
    def list() -> Call[Names]:
        """Names of the user scripts."""
        return Call("GET", f"{PREFIX}/script", lambda reply: parsed(ScriptNamesReply)(reply).scripts)

    @staticmethod
    def get(name: str) -> Call[str]:
        """A script's text."""
        return Call(
            "GET", f"{PREFIX}/script/{segment(name)}/script_bytes", lambda reply: parsed(ScriptReply)(reply).script
        )

    @staticmethod
    def set(name: str, content: str | bytes) -> Call[None]:
        """Upload a script (a ``.py`` file defining ``process_image`` or ``process``)."""
        return Call(
            "PUT",
            f"{PREFIX}/script/{segment(name)}/script_bytes",
            nothing,
            content=_encoded(content),
            content_type="application/octet-stream",
        )

    @staticmethod
    def delete(name: str) -> Call[None]:
        """Delete a script."""
        return Call("DELETE", f"{PREFIX}/script/{segment(name)}/script_bytes", nothing)

    @staticmethod
    def libs() -> Call[Names]:
        """Names of the user libraries."""
        return Call("GET", f"{PREFIX}/lib", lambda reply: parsed(LibNamesReply)(reply).libs)

    @staticmethod
    def get_lib(name: str) -> Call[bytes]:
        """A library's bytes."""
        return Call("GET", f"{PREFIX}/lib/{segment(name)}/lib_bytes", _library)

    @staticmethod
    def set_lib(name: str, content: str | bytes) -> Call[None]:
        """Upload a library file."""
        return Call(
            "PUT",
            f"{PREFIX}/lib/{segment(name)}/lib_bytes",
            nothing,
            content=_encoded(content),
            content_type="application/octet-stream",
        )

    @staticmethod
    def delete_lib(name: str) -> Call[None]:
        """Delete a library file."""
        return Call("DELETE", f"{PREFIX}/lib/{segment(name)}/lib_bytes", nothing)


class Scripts:
    """User scripts, over a sync :class:`~camserver.client.Client` (``client.scripts``)."""

    def __init__(self, send: Callable[[Call[Any]], Any]) -> None:
        self._send = send

    def list(self) -> Names:
        """Names of the user scripts."""
        return self._call(ScriptCalls.list())

    def get(self, name: str) -> str:
        """A script's text."""
        return self._call(ScriptCalls.get(name))

    def set(self, name: str, content: str | bytes) -> None:
        """Upload a script (a ``.py`` file defining ``process_image`` or ``process``)."""
        self._call(ScriptCalls.set(name, content))

    def delete(self, name: str) -> None:
        """Delete a script."""
        self._call(ScriptCalls.delete(name))

    def libs(self) -> Names:
        """Names of the user libraries."""
        return self._call(ScriptCalls.libs())

    def get_lib(self, name: str) -> bytes:
        """A library's bytes."""
        return self._call(ScriptCalls.get_lib(name))

    def set_lib(self, name: str, content: str | bytes) -> None:
        """Upload a library file."""
        self._call(ScriptCalls.set_lib(name, content))

    def delete_lib(self, name: str) -> None:
        """Delete a library file."""
        self._call(ScriptCalls.delete_lib(name))

    def _call(self, call: Call[T]) -> T:
        result: T = self._send(call)
        return result


class AsyncScripts:
    """User scripts, over an :class:`~camserver.client.AsyncClient` (``client.scripts``)."""

    def __init__(self, send: Callable[[Call[Any]], Awaitable[Any]]) -> None:
        self._send = send

    async def list(self) -> Names:
        """Names of the user scripts."""
        return await self._call(ScriptCalls.list())

    async def get(self, name: str) -> str:
        """A script's text."""
        return await self._call(ScriptCalls.get(name))

    async def set(self, name: str, content: str | bytes) -> None:
        """Upload a script (a ``.py`` file defining ``process_image`` or ``process``)."""
        await self._call(ScriptCalls.set(name, content))

    async def delete(self, name: str) -> None:
        """Delete a script."""
        await self._call(ScriptCalls.delete(name))

    async def libs(self) -> Names:
        """Names of the user libraries."""
        return await self._call(ScriptCalls.libs())

    async def get_lib(self, name: str) -> bytes:
        """A library's bytes."""
        return await self._call(ScriptCalls.get_lib(name))

    async def set_lib(self, name: str, content: str | bytes) -> None:
        """Upload a library file."""
        await self._call(ScriptCalls.set_lib(name, content))

    async def delete_lib(self, name: str) -> None:
        """Delete a library file."""
        await self._call(ScriptCalls.delete_lib(name))

    async def _call(self, call: Call[T]) -> T:
        result: T = await self._send(call)
        return result
