"""``camserver serve`` in a child process, as a user starts it: the address it prints, its output,
its children, and a stop by signal."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import psutil

from tests.waiting import wait_until

__all__ = ["CAMSERVER", "ServerProcess", "all_gone"]

CAMSERVER = str(Path(sys.executable).parent / "camserver")
LISTENING = re.compile(r"listening on (http://\S+)")


class ServerProcess:
    """``camserver serve ...`` in a child process. ``prefix`` runs it under another command (for
    example ``unshare`` to give it a file system of its own); that command must ``exec`` it."""

    def __init__(self, *arguments: str, environment: dict[str, str] | None = None, prefix: Sequence[str] = ()) -> None:
        self.process = subprocess.Popen(
            [*prefix, CAMSERVER, "serve", *arguments],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(environment or {})},
            start_new_session=True,  # a process group of its own, as a shell gives a command
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, name="camserver-stderr", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self) -> str:
        """The address the server says it listens on."""
        found = wait_until(lambda: LISTENING.search(self.output) or self.process.poll() is not None,
                           "the server to say where it listens")  # fmt: skip
        assert isinstance(found, re.Match), f"the server exited: {self.output}"
        return found[1]

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def stop(self, signum: int, *, group: bool = False) -> int:
        """Send ``signum`` (to the whole process group, as Ctrl-C in a shell does, if ``group``)
        and wait for the exit code."""
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)
        return self.wait()

    def wait(self) -> int:
        """The exit code, once the process and its output have ended."""
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code

    def kill(self) -> None:
        """Leave nothing behind: kill what a failed test left running, close the output."""
        if self.process.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                for process in [*self.descendants(), psutil.Process(self.process.pid)]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        process.kill()
        self.wait()


def all_gone(processes: list[psutil.Process]) -> bool:
    """Whether every one of ``processes`` has ended."""
    return not any(process.is_running() and process.status() != psutil.STATUS_ZOMBIE for process in processes)
