"""Finding a camera's stream again when it goes silent (the camera may have been restarted)."""

from __future__ import annotations

import logging

from camserver.client import Client
from camserver.errors import CamServerError
from camserver.models.instance import InstanceSpec

__all__ = ["CameraResolver"]

logger = logging.getLogger("camserver.pipeline")


class CameraResolver:
    """Asks the server for a camera's stream address (starting the camera if it stopped), as
    CamServer's pipelines do after ``camera_timeout`` seconds without a frame."""

    def __init__(self, spec: InstanceSpec, *, timeout: float = 10.0) -> None:
        self.server_url = spec.server_url
        self.node = spec.node
        self.timeout = timeout
        config = spec.config
        own_input = spec.input_streams.get("input") or config.get("input_stream")
        self.is_camera_input = bool(spec.camera_stream) and not own_input

    def resolve(self, camera: str, current: str) -> tuple[str, str | None]:
        """The camera's stream address now and its local stream (shared memory, None if it has
        none, or it is on another node of a cluster); ``current`` and None if the server cannot be
        asked."""
        if not self.server_url or not camera:
            return current, None
        try:
            with Client(self.server_url, timeout=self.timeout) as client:
                # on a cluster: its local stream only if the camera runs on this instance's node
                addresses = client.cameras.stream_addresses(camera, node=self.node)
        except CamServerError as error:
            logger.warning("the server has no stream for camera %s: %s", camera, error)
            return current, None
        return addresses.stream, addresses.local_stream
