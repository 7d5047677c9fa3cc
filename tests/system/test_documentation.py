"""Every Python code block of the README and docs/, and every file in examples/, runs.

The blocks of one page run in order in one namespace, against a server started with the demo and
with user scripts allowed; the address ``http://127.0.0.1:8888`` in them is that server's. A block
preceded by ``<!-- not run: <reason> -->`` is skipped (the reason shows in the page itself).
"""

from __future__ import annotations

import os
import re
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from camserver.client import Client
from camserver.testing.server import RunningServer, running_server

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(r"(?P<skip><!-- not run: [^>]+ -->\s*\n)?```python\n(?P<code>.*?)```", re.DOTALL)
DEFAULT_URL = "http://127.0.0.1:8888"


def blocks(page: Path) -> list[str]:
    return [match["code"] for match in BLOCK.finditer(page.read_text()) if not match["skip"]]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("docs-data"), demo=True, allow_user_scripts=True) as server:
        yield server


@pytest.mark.parametrize("page", [page for page in PAGES if blocks(page)], ids=lambda page: str(page.relative_to(ROOT)))
def test_code_blocks_run(
    page: Path, demo_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAMSERVER_URL", demo_server.url)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        for number, code in enumerate(blocks(page), start=1):
            source = code.replace(DEFAULT_URL, demo_server.url)
            try:
                exec(compile(source, f"{page.name}[block {number}]", "exec"), namespace)
            except Exception as error:  # noqa: BLE001 - any failure of a documented example fails the test
                pytest.fail(f"{page.relative_to(ROOT)}, block {number} failed: {type(error).__name__}: {error}")
    finally:
        for value in namespace.values():  # a page may keep a client open across its blocks
            if isinstance(value, Client):
                value.close()


EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_examples_run(example: Path, demo_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    arguments = {"stream_demo.py": ["--seconds", "1.5", "--width", "320", "--height", "240"]}
    monkeypatch.setattr(sys, "argv", [str(example), *arguments.get(example.name, ["--server", demo_server.url])])
    monkeypatch.setenv("CAMSERVER_URL", demo_server.url)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(example), run_name="__main__")
    assert exit_info.value.code in (0, None)
    assert os.environ["CAMSERVER_URL"] == demo_server.url
