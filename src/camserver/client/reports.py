"""The typed reports the client returns: defined once in :mod:`camserver.models` and used by the
server as well; this module names them for the client's users and adds a few aliases."""

from __future__ import annotations

from camserver.models.node import NodeInfo, NodeList
from camserver.models.replies import StartedReply
from camserver.models.reports import HeartbeatEntry, InstanceReport, LogRecord, ServerReport

__all__ = [
    "Groups",
    "Heartbeat",
    "HeartbeatEntry",
    "InstanceReport",
    "LogRecord",
    "LogRecords",
    "Names",
    "NodeInfo",
    "NodeList",
    "ServerReport",
    "StartedInstance",
]

#: a pipeline instance the server started (or found): its id, stream and config
StartedInstance = StartedReply
#: names (of cameras, pipelines, backgrounds, scripts); an alias, since noun classes have a ``list`` method
Names = list[str]
#: ``{group: [names]}``
Groups = dict[str, list[str]]
#: log records, oldest first
LogRecords = list[LogRecord]
#: ``/heartbeat``: ``{instance: figures}``
Heartbeat = dict[str, HeartbeatEntry]
