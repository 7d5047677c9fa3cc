"""Where an instance may run: the outcome of the placement rules, handed to a backend's ``start``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Placement"]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where to start one instance, and what it claims there.

    ``node`` is the server (node) chosen first. A ``pinned`` instance runs only there: while that
    node is gone it waits for it and comes back on it. Otherwise, when ``node`` cannot take it
    (lost, or full), the instance may go to any server of ``pool`` (None: any node of the
    cluster). ``bandwidth`` is the network capacity in Mbit/s it claims on its node; ``port`` a
    stream port the rules fixed (CamServer's ``"name:port"``). ``reason`` says in words which rule
    decided, for logs and error messages.
    """

    node: str | None = None
    pinned: bool = False
    pool: tuple[str, ...] | None = None
    bandwidth: float = 0.0
    port: int | None = None
    reason: str = ""
