"""Streams of named channels from PSI's DataBuffer dispatcher, as CamServer (through psi-bsread) asks for them.

``POST <url>/stream`` with ``{"channels": [{"name": ...}], "streamType": "pub_sub" | "push_pull",
"verify": ..., "channelValidation": {"inconsistency": ...}}`` (and ``"compression": "none"`` when
compression is disabled) answers ``{"stream": "tcp://host:port"}``, the address of a bsread stream
of those channels; ``DELETE <url>/stream`` with that address as plain text gives it back. The
dispatcher also drops a stream nobody reads, so the stream is connected right after the request.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx

from camserver.errors import SourceError

__all__ = ["DispatcherClient"]

logger = logging.getLogger("camserver.sources.dispatcher")


class DispatcherClient:
    """Requests and releases dispatcher streams at ``url`` (e.g. ``https://dispatcher-api.psi.ch/sf-databuffer``)."""

    def __init__(
        self, url: str, *, verify: bool = True, disable_compression: bool = False, timeout: float = 10.0
    ) -> None:
        self.url = url.rstrip("/")
        self.verify = verify
        self.disable_compression = disable_compression
        self.timeout = timeout

    def request_stream(self, channels: Sequence[str], *, mode: str = "SUB") -> str:
        """The address of a new stream of ``channels`` (PUB/SUB, or PUSH/PULL for ``mode`` PULL)."""
        request: dict[str, object] = {
            "channels": [{"name": name} for name in channels],
            "streamType": "push_pull" if mode.upper() == "PULL" else "pub_sub",
            "verify": self.verify,
            "channelValidation": {"inconsistency": "adjust-individual" if self.verify else "keep-as-is"},
        }
        if self.disable_compression:
            request["compression"] = "none"
        try:
            response = httpx.post(f"{self.url}/stream", json=request, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise SourceError(f"the dispatcher at {self.url} cannot be reached: {error}") from None
        if response.is_error:
            raise SourceError(f"the dispatcher at {self.url} refused the channels {list(channels)}: {response.text}")
        try:
            address = response.json()["stream"]
        except (ValueError, KeyError, TypeError):
            raise SourceError(f"the dispatcher at {self.url} answered without a stream: {response.text:.200}") from None
        if not isinstance(address, str) or not address:
            raise SourceError(f"the dispatcher at {self.url} answered the stream {address!r}")
        logger.info("dispatcher %s: stream %s for %s", self.url, address, list(channels))
        return address

    def remove_stream(self, address: str) -> None:
        """Give a stream back (failures are logged: the dispatcher drops unread streams anyway)."""
        try:
            response = httpx.request(
                "DELETE",
                f"{self.url}/stream",
                content=address,
                headers={"content-type": "text/plain"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            logger.warning("cannot give back the dispatcher stream %s: %s", address, error)
            return
        if response.is_error:
            logger.warning("the dispatcher did not take back %s: %s", address, response.text)
