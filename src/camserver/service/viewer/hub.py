"""The viewer's feeds: one per watched stream, shared by every browser, closed with the last one.

A camera view starts the camera on demand, as ``GET /api/v1/cam/<name>`` does; a pipeline view uses
the running instance of that id, or starts the saved pipeline of that name, as
``GET /api/v1/pipeline/instance/<id>`` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from camserver.errors import ConfigError, Conflict, InstanceNotFound
from camserver.models.instance import InstanceInfo
from camserver.processing.calibration import camera_axes
from camserver.service.services import Services
from camserver.service.viewer.digest import Axes
from camserver.service.viewer.feed import MessageSource, ViewerFeed

__all__ = ["StreamTarget", "ViewKind", "ViewerHub"]


class ViewKind(StrEnum):
    """What a browser views."""

    CAMERA = "camera"
    PIPELINE = "pipeline"

    @classmethod
    def parse(cls, value: str) -> ViewKind:
        """The kind named ``value``; raises :class:`ConfigError` in words."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ConfigError(f"kind must be 'camera' or 'pipeline', not {value!r}") from None


@dataclass(frozen=True)
class StreamTarget:
    """A resolved view: the stream's address and how to ask after its instance."""

    kind: ViewKind
    name: str
    address: str
    instance_info: Callable[[], InstanceInfo | None]
    #: a camera's calibrated axes for images of a width and height (None: the stream's own)
    calibration: Callable[[int, int], Axes | None] | None = None


Resolver = Callable[[ViewKind, str], StreamTarget]


def _or_none(lookup: Callable[[str], InstanceInfo], name: str) -> Callable[[], InstanceInfo | None]:
    def info() -> InstanceInfo | None:
        try:
            return lookup(name)
        except InstanceNotFound:
            return None

    return info


def services_resolver(services: Services) -> Resolver:
    """Views resolved through the server's managers (starting instances on demand)."""

    def resolve(kind: ViewKind, name: str) -> StreamTarget:
        if not name:
            raise ConfigError("name the camera or pipeline instance to view")
        if kind is ViewKind.CAMERA:
            camera = services.cameras.resolve(name)
            address = services.cameras.stream(camera)

            def calibration(width: int, height: int) -> Axes | None:
                config = services.cameras.config(camera).camera_calibration
                return None if config is None else camera_axes(width, height, config.model_dump())

            return StreamTarget(kind, camera, address, _or_none(services.cameras.instance, camera), calibration)
        address = services.pipelines.stream(name)
        mode = str(services.pipelines.info(name).config.get("mode") or "PUB").upper()
        if mode != "PUB":
            raise Conflict(f"instance '{name}' sends with {mode}; the viewer can only watch PUB streams")
        return StreamTarget(kind, name, address, _or_none(services.pipelines.info, name))

    return resolve


class ViewerHub:
    """Shares :class:`ViewerFeed` s between browsers. ``join`` may block while an instance starts."""

    def __init__(self, resolve: Resolver, *, open_source: Callable[[str], MessageSource] | None = None) -> None:
        self._resolve = resolve
        self._open_source = open_source
        self._lock = threading.Lock()
        self._feeds: dict[tuple[ViewKind, str, str], ViewerFeed] = {}
        self._watchers: dict[ViewerFeed, int] = {}
        self._closed = False

    @classmethod
    def for_services(cls, services: Services) -> ViewerHub:
        """The hub of a server."""
        return cls(services_resolver(services))

    def join(self, kind: ViewKind | str, name: str) -> ViewerFeed:
        """The feed of this camera or pipeline instance, shared with other browsers; every
        ``join`` needs one :meth:`leave`. Raises the managers' errors (not found, cannot start)."""
        view = kind if isinstance(kind, ViewKind) else ViewKind.parse(kind)
        target = self._resolve(view, name)
        key = (target.kind, target.name, target.address)
        with self._lock:
            if self._closed:
                raise Conflict("the server is shutting down")
            feed = self._feeds.get(key)
            if feed is None:
                options: dict[str, Any] = {
                    "name": f"{target.kind.value} {target.name}",
                    "calibration": target.calibration,
                }
                if self._open_source is not None:
                    options["open_source"] = self._open_source
                feed = ViewerFeed(target.address, instance_info=target.instance_info, **options).start()
                self._feeds[key] = feed
            self._watchers[feed] = self._watchers.get(feed, 0) + 1
            return feed

    def leave(self, feed: ViewerFeed) -> None:
        """One browser less; the last one to leave stops the feed."""
        with self._lock:
            remaining = self._watchers.get(feed, 0) - 1
            if remaining > 0:
                self._watchers[feed] = remaining
                return
            self._watchers.pop(feed, None)
            for key, known in list(self._feeds.items()):
                if known is feed:
                    del self._feeds[key]
        feed.close()

    def feeds(self) -> list[dict[str, Any]]:
        """The figures of every open feed."""
        with self._lock:
            feeds = list(self._feeds.values())
        return [feed.statistics() for feed in feeds]

    def close(self) -> None:
        """Stop every feed (server shutdown)."""
        with self._lock:
            self._closed = True
            feeds = list(self._feeds.values())
            self._feeds.clear()
            self._watchers.clear()
        for feed in feeds:
            feed.close()
