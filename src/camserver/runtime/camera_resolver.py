"""Finding a camera's stream again when it goes silent (the camera may have been restarted)."""

from __future__ import annotations

import logging

import httpx

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
            response = httpx.get(
                f"{self.server_url.rstrip('/')}/api/v1/cam/{camera}",
                params={"node": self.node} if self.node else None,  # its local stream only if on this node
                timeout=self.timeout,
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("cannot ask the server for camera %s: %s", camera, error)
            return current, None
        stream = body.get("stream") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(stream, str):
            logger.warning("the server has no stream for camera %s: %s", camera, body.get("status"))
            return current, None
        local = body.get("local_stream")
        return stream, local if isinstance(local, str) else None
