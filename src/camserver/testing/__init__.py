"""Public test helpers: in-memory twins of camserver's plug-in points, simulated devices, and
hostile bsread messages (:class:`HostileMessages`) to try a receiver against.

The simulated EPICS IOC itself is :mod:`camserver.testing.epics_ioc` (it needs the ``epics``
extra); :class:`IocProcess` runs it in a child process on loopback.
"""

from camserver.testing.hostile_messages import HostileMessages, Outcome
from camserver.testing.ioc_process import IocProcess, ca_environment, free_ca_ports
from camserver.testing.memory_source import MemorySource

__all__ = ["HostileMessages", "IocProcess", "MemorySource", "Outcome", "ca_environment", "free_ca_ports"]
