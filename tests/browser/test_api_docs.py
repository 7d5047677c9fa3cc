"""``/docs`` renders in Chromium on a network without internet: every request goes to the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from camserver.testing.server import RunningServer, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A plain server: the API description needs no instances."""
    with running_server(tmp_path_factory.mktemp("docs-data")) as running:
        yield running


def test_the_api_description_renders_from_the_servers_own_files(
    browser_context: Any, server: RunningServer, screenshots: Path
) -> None:
    requested: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    tab = browser_context.new_page()

    def only_the_server(route: Any) -> None:  # the facility network: nothing else answers
        if route.request.url.startswith(f"{server.url}/"):
            route.continue_()
        else:
            route.abort()

    tab.route("**/*", only_the_server)
    tab.on("request", lambda request: requested.append(request.url))
    tab.on("requestfailed", lambda request: failed.append(request.url))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        tab.goto(f"{server.url}/docs")
        tab.wait_for_selector(".opblock-summary-path", state="attached")
        paths = tab.locator(".opblock-summary-path").all_inner_texts()
        title = tab.locator(".info .title").inner_text()
        tab.locator(".opblock-summary-path", has_text="/api/v1/cam/{name}/geometry").first.click()
        tab.wait_for_selector("text=GeometryReply", state="attached")
        tab.screenshot(path=str(screenshots / "api-docs.png"))
    finally:
        tab.close()
    assert "camserver" in title
    assert "/api/v1/cam/{name}" in [path.replace("\u200b", "") for path in paths]
    assert len(paths) > 50
    assert f"{server.url}/docs/assets/swagger-ui-bundle.js" in requested
    assert f"{server.url}/openapi.json" in requested
    assert [url for url in requested if not url.startswith(f"{server.url}/")] == []
    assert failed == []
    assert errors == []
