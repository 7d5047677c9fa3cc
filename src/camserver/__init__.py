"""camserver: a stream-processing server for facility cameras.

Cameras and pipelines run in private processes and publish bsread streams over ZMQ. The packages
follow the layers in ``docs/explanations/architecture.md``; the public entry points are
:mod:`camserver.client` (talk to a running server), :mod:`camserver.processing` (the beam metrics
as plain functions) and the ``camserver`` command.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("camserver")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
