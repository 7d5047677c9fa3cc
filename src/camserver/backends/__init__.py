"""Where instances run: :class:`LocalBackend` (processes on this host) behind the :class:`Backend`
interface that a cluster backend implements too."""

from camserver.backends.backend import Backend
from camserver.backends.local import DEFAULT_PRELOAD, LocalBackend

__all__ = ["DEFAULT_PRELOAD", "Backend", "LocalBackend"]
