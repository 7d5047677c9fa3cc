"""Public test helpers: in-memory twins of camserver's plug-in points and simulated devices.

The simulated EPICS IOC itself is :mod:`camserver.testing.epics_ioc` (it needs the ``epics``
extra); :class:`IocProcess` runs it in a child process on loopback.
"""

from camserver.testing.ioc_process import IocProcess, ca_environment, free_ca_ports
from camserver.testing.memory_source import MemorySource

__all__ = ["IocProcess", "MemorySource", "ca_environment", "free_ca_ports"]
