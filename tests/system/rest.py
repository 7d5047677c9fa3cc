"""The REST routes system tests call, over httpx: every call states the status it expects."""

from __future__ import annotations

from typing import Any

import httpx

from tests.waiting import DEADLINE, wait_until

__all__ = ["Rest"]

PIPELINE = "/api/v1/pipeline"
CAMERA = "/api/v1/cam"


class Rest:
    """A camserver server's REST API; pipeline shortcuts take instance ids."""

    def __init__(self, url: str, *, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, timeout=60.0, headers=headers)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, status: int = 200, **options: Any) -> dict[str, Any]:
        """The JSON body of a call; fails the test unless the answer has ``status``."""
        response = self.http.request(method, path, **options)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        assert body["state"] == ("ok" if status < 400 else "error"), body
        return body

    # -- pipelines ------------------------------------------------------------------------------

    def create(self, config: dict[str, Any], *, instance_id: str | None = None) -> tuple[str, str]:
        """Start an instance of ``config``: its id and stream address."""
        params = {"instance_id": instance_id} if instance_id else None
        body = self.call("POST", PIPELINE, json=config, params=params)
        return body["instance_id"], body["stream"]

    def info(self, instance_id: str) -> dict[str, Any]:
        """A pipeline instance's report (CamServer's keys and camserver's)."""
        info: dict[str, Any] = self.call("GET", f"{PIPELINE}/instance/{instance_id}/info")["info"]
        return info

    def statistics(self, instance_id: str) -> dict[str, Any]:
        """A pipeline instance's latest figures, as numbers."""
        detail: dict[str, Any] = self.info(instance_id)["detail"]
        return detail

    def update(self, instance_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a running instance's config; applies from the next frame."""
        config: dict[str, Any] = self.call("POST", f"{PIPELINE}/instance/{instance_id}/config", json=changes)["config"]
        return config

    def stop(self, instance_id: str) -> None:
        self.call("DELETE", f"{PIPELINE}/{instance_id}")

    def exit_code(self, instance_id: str) -> int | None:
        code: int | None = self.call("GET", f"{PIPELINE}/instance/{instance_id}/exitcode")["exitcode"]
        return code

    def wait_exit(self, instance_id: str, *, timeout: float = DEADLINE) -> int:
        """The exit code of a pipeline instance that ends by itself."""
        wait_until(lambda: self.exit_code(instance_id) is not None, f"{instance_id} to end", timeout=timeout)
        code = self.exit_code(instance_id)
        assert code is not None
        return code

    def wait_figure(self, instance_id: str, name: str, at_least: int, *, timeout: float = DEADLINE) -> int:
        """Wait until the instance reports the figure ``name`` at ``at_least`` or more; the figure."""

        def reached() -> tuple[int] | None:
            value: int = self.statistics(instance_id)[name]
            return (value,) if value >= at_least else None

        return wait_until(reached, f"{name} of {instance_id} to reach {at_least}", timeout=timeout)[0]

    def logs(self, name: str) -> list[list[str]]:
        """The log records of the camera and/or pipeline instance ``name``."""
        records: list[list[str]] = self.call("GET", f"/api/v1/logs/instance/{name}")["logs"]
        return records

    def log_text(self, name: str) -> str:
        return "\n".join(" - ".join(record) for record in self.logs(name))

    # -- cameras and scripts --------------------------------------------------------------------

    def camera_info(self, name: str) -> dict[str, Any]:
        info: dict[str, Any] = self.call("GET", f"{CAMERA}/{name}/info")["info"]
        return info

    def camera_stream(self, name: str) -> str:
        stream: str = self.call("GET", f"{CAMERA}/{name}")["stream"]
        return stream

    def upload_script(self, name: str, text: str, *, status: int = 200) -> dict[str, Any]:
        return self.call("PUT", f"{PIPELINE}/script/{name}/script_bytes", content=text.encode(), status=status)

    def upload_lib(self, name: str, text: str, *, status: int = 200) -> dict[str, Any]:
        return self.call("PUT", f"{PIPELINE}/lib/{name}/lib_bytes", content=text.encode(), status=status)
