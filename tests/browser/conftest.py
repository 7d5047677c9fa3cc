"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against a demo server.

No browser is downloaded: Playwright starts ``/usr/bin/chromium`` (``apt-get install chromium``)
with a fresh profile per session. Set ``CAMSERVER_SCREENSHOTS=docs/images`` to refresh the
screenshots of the user documentation; otherwise they go to a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from camserver.testing.server import RunningServer, running_server
from tests.conftest import check_no_leaks

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():  # pragma: no cover - the test setup installs it
    pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the 'test' extra")


@pytest.fixture(scope="module", autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """The server's instances and the browser live for the module; nothing may outlive it."""
    yield from check_no_leaks()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """``camserver serve --demo``: simulated cameras and their permanent pipelines."""
    with running_server(tmp_path_factory.mktemp("browser-data"), demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: Any, server: RunningServer) -> Iterator[Any]:
    """A new tab on the server's page; the test fails if the page's scripts threw."""
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(f"{server.url}/")
    try:
        yield tab
    finally:
        tab.close()
    assert errors == [], f"the page's scripts failed: {errors}"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$CAMSERVER_SCREENSHOTS`` (e.g. docs/images), else a temporary folder."""
    chosen = os.environ.get("CAMSERVER_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
