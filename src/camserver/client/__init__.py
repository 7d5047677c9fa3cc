"""The Python client of a camserver (or CamServer) server.

:class:`Client` and :class:`AsyncClient` mirror the REST routes with the same nouns
(``cameras``, ``pipelines``, ``backgrounds``, ``scripts``, ``server``); both build every request
and read every reply with the same sans-I/O code (:class:`~camserver.client.call.Call`), and raise
the server's own exception classes (:mod:`camserver.errors`). :func:`read_stream` reads a bsread
stream by address or by camera/pipeline name.

Importing this package loads none of the server's dependencies (FastAPI, uvicorn, numba, scipy).

>>> from camserver.client import Client, read_stream                          # doctest: +SKIP
>>> with Client("http://127.0.0.1:8888") as client:
...     client.cameras.list()
...     with read_stream("simulation", client=client, count=3) as reader:
...         shapes = [message["image"].shape for message in reader]
"""

from camserver.client.async_client import AsyncClient
from camserver.client.call import Call, Reply
from camserver.client.client import Client
from camserver.client.reports import (
    HeartbeatEntry,
    InstanceReport,
    LogRecord,
    NodeInfo,
    NodeList,
    ServerReport,
    StartedInstance,
)
from camserver.client.session import DEFAULT_URL
from camserver.client.stream_reader import StreamReader, is_stream_address, read_stream, resolve_stream
from camserver.protocol import Message

__all__ = [
    "DEFAULT_URL",
    "AsyncClient",
    "Call",
    "Client",
    "HeartbeatEntry",
    "InstanceReport",
    "LogRecord",
    "Message",
    "NodeInfo",
    "NodeList",
    "Reply",
    "ServerReport",
    "StartedInstance",
    "StreamReader",
    "is_stream_address",
    "read_stream",
    "resolve_stream",
]
