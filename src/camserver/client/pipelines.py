"""``client.pipelines``: the routes under ``/api/v1/pipeline`` (CamServer's pipeline server).

:class:`PipelineCalls` builds the calls (sans-I/O); :class:`Pipelines` and
:class:`AsyncPipelines` send them with a sync or an async client.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from camserver.client.call import START_TIME, STOP_TIME, Call, Reply, config_body, segment
from camserver.client.envelope import nothing, parsed
from camserver.client.reports import Groups, InstanceReport, LogRecords, Names, StartedInstance
from camserver.client.server import ServerCalls
from camserver.models.instance import InstanceKind
from camserver.models.pipeline import PipelineConfig
from camserver.models.replies import (
    ConfigReply,
    ExitCodeReply,
    GroupsReply,
    InstanceInfoReply,
    PipelineNamesReply,
    StartedReply,
    StreamReply,
)

__all__ = ["AsyncPipelines", "PipelineCalls", "Pipelines"]

T = TypeVar("T")
PREFIX = "/api/v1/pipeline"
#: a pipeline start may start its camera first
CREATE_TIME = 2 * START_TIME


def _pipeline_config(reply: Reply) -> PipelineConfig:
    return PipelineConfig.load(parsed(ConfigReply)(reply).config)


def _started(reply: Reply) -> StartedInstance:
    return parsed(StartedReply)(reply)


def _instance_params(instance_id: str | None) -> dict[str, str]:
    return {"instance_id": instance_id} if instance_id else {}


class PipelineCalls:
    """The calls of the pipeline routes."""

    @staticmethod
    def list() -> Call[Names]:
        """Names of all pipeline configs."""
        return Call("GET", PREFIX, lambda reply: parsed(PipelineNamesReply)(reply).pipelines)

    @staticmethod
    def groups() -> Call[Groups]:
        """``{group: [pipelines]}``."""
        return Call("GET", f"{PREFIX}/groups", lambda reply: parsed(GroupsReply)(reply).groups)

    @staticmethod
    def config(name: str) -> Call[PipelineConfig]:
        """A named pipeline config, every default filled in."""
        return Call("GET", f"{PREFIX}/{segment(name)}/config", _pipeline_config)

    @staticmethod
    def set_config(name: str, config: PipelineConfig | Mapping[str, Any]) -> Call[PipelineConfig]:
        """Validate and save a named config; the saved config."""
        return Call("POST", f"{PREFIX}/{segment(name)}/config", _pipeline_config, json=config_body(config))

    @staticmethod
    def delete_config(name: str) -> Call[None]:
        """Delete a named pipeline config."""
        return Call("DELETE", f"{PREFIX}/{segment(name)}/config", nothing)

    @staticmethod
    def create_from_name(
        name: str, *, instance_id: str | None = None, additional_config: Mapping[str, Any] | None = None
    ) -> Call[StartedInstance]:
        """Start an instance of a named config, ``additional_config`` merged over it."""
        params = _instance_params(instance_id)
        if additional_config:
            params["additional_config"] = json.dumps(dict(additional_config))
        return Call("POST", f"{PREFIX}/{segment(name)}", _started, params=params, server_time=CREATE_TIME)

    @staticmethod
    def create_from_config(
        config: PipelineConfig | Mapping[str, Any], *, instance_id: str | None = None
    ) -> Call[StartedInstance]:
        """Start an instance of the config given."""
        return Call(
            "POST",
            PREFIX,
            _started,
            params=_instance_params(instance_id),
            json=config_body(config),
            server_time=CREATE_TIME,
        )

    @staticmethod
    def stream(instance_id: str) -> Call[str]:
        """The stream of a running instance; a saved pipeline of that name is started."""
        return Call(
            "GET",
            f"{PREFIX}/instance/{segment(instance_id)}",
            lambda reply: parsed(StreamReply)(reply).stream,
            server_time=CREATE_TIME,
        )

    @staticmethod
    def stream_from_config(config: PipelineConfig | Mapping[str, Any]) -> Call[StartedInstance]:
        """A read-only instance with exactly this config, shared with other callers."""
        return Call("POST", f"{PREFIX}/instance", _started, json=config_body(config), server_time=CREATE_TIME)

    @staticmethod
    def info(instance_id: str) -> Call[InstanceReport]:
        """An instance: state, statistics, config."""
        return Call(
            "GET",
            f"{PREFIX}/instance/{segment(instance_id)}/info",
            lambda reply: parsed(InstanceInfoReply)(reply).info.identified(instance_id, InstanceKind.PIPELINE),
        )

    @staticmethod
    def instance_config(instance_id: str) -> Call[PipelineConfig]:
        """The config an instance runs with."""
        return Call("GET", f"{PREFIX}/instance/{segment(instance_id)}/config", _pipeline_config)

    @staticmethod
    def update_config(instance_id: str, changes: Mapping[str, Any]) -> Call[PipelineConfig]:
        """Change a running instance's config (CamServer's partial update); its new config."""
        return Call("POST", f"{PREFIX}/instance/{segment(instance_id)}/config", _pipeline_config, json=dict(changes))

    @staticmethod
    def exit_code(instance_id: str) -> Call[int | None]:
        """The exit code of an ended instance; None while it runs."""
        return Call(
            "GET",
            f"{PREFIX}/instance/{segment(instance_id)}/exitcode",
            lambda reply: parsed(ExitCodeReply)(reply).exitcode,
        )

    @staticmethod
    def stop(instance_id: str) -> Call[None]:
        """Stop an instance."""
        return Call("DELETE", f"{PREFIX}/{segment(instance_id)}", nothing, server_time=STOP_TIME)

    @staticmethod
    def delete(instance_id: str) -> Call[None]:
        """Stop an instance and free its port."""
        return Call("DELETE", f"{PREFIX}/{segment(instance_id)}/del", nothing, server_time=STOP_TIME)

    @staticmethod
    def stop_all() -> Call[None]:
        """Stop every pipeline instance."""
        return Call("DELETE", PREFIX, nothing, server_time=STOP_TIME)

    @staticmethod
    def instances() -> Call[dict[str, InstanceReport]]:
        """Running pipeline instances by id."""
        return ServerCalls.instances(InstanceKind.PIPELINE)

    @staticmethod
    def logs(instance_id: str) -> Call[LogRecords]:
        """The instance's recent log records."""
        return ServerCalls.instance_logs(instance_id)


class Pipelines:
    """Pipelines of a server, over a sync :class:`~camserver.client.Client` (``client.pipelines``)."""

    def __init__(self, send: Callable[[Call[Any]], Any]) -> None:
        self._send = send

    def list(self) -> Names:
        """Names of all pipeline configs."""
        return self._call(PipelineCalls.list())

    def groups(self) -> Groups:
        """``{group: [pipelines]}``."""
        return self._call(PipelineCalls.groups())

    def config(self, name: str) -> PipelineConfig:
        """A named pipeline config, every default filled in."""
        return self._call(PipelineCalls.config(name))

    def set_config(self, name: str, config: PipelineConfig | Mapping[str, Any]) -> PipelineConfig:
        """Validate and save a named config; the saved config."""
        return self._call(PipelineCalls.set_config(name, config))

    def delete_config(self, name: str) -> None:
        """Delete a named pipeline config."""
        self._call(PipelineCalls.delete_config(name))

    def create_from_name(
        self, name: str, *, instance_id: str | None = None, additional_config: Mapping[str, Any] | None = None
    ) -> StartedInstance:
        """Start an instance of a named config, ``additional_config`` merged over it."""
        call = PipelineCalls.create_from_name(name, instance_id=instance_id, additional_config=additional_config)
        return self._call(call)

    def create_from_config(
        self, config: PipelineConfig | Mapping[str, Any], *, instance_id: str | None = None
    ) -> StartedInstance:
        """Start an instance of the config given."""
        return self._call(PipelineCalls.create_from_config(config, instance_id=instance_id))

    def stream(self, instance_id: str) -> str:
        """The stream of a running instance; a saved pipeline of that name is started."""
        return self._call(PipelineCalls.stream(instance_id))

    def stream_from_config(self, config: PipelineConfig | Mapping[str, Any]) -> StartedInstance:
        """A read-only instance with exactly this config, shared with other callers."""
        return self._call(PipelineCalls.stream_from_config(config))

    def info(self, instance_id: str) -> InstanceReport:
        """An instance: state, statistics, config."""
        return self._call(PipelineCalls.info(instance_id))

    def instance_config(self, instance_id: str) -> PipelineConfig:
        """The config an instance runs with."""
        return self._call(PipelineCalls.instance_config(instance_id))

    def update_config(self, instance_id: str, changes: Mapping[str, Any]) -> PipelineConfig:
        """Change a running instance's config (CamServer's partial update); its new config."""
        return self._call(PipelineCalls.update_config(instance_id, changes))

    def exit_code(self, instance_id: str) -> int | None:
        """The exit code of an ended instance; None while it runs."""
        return self._call(PipelineCalls.exit_code(instance_id))

    def stop(self, instance_id: str) -> None:
        """Stop an instance."""
        self._call(PipelineCalls.stop(instance_id))

    def delete(self, instance_id: str) -> None:
        """Stop an instance and free its port."""
        self._call(PipelineCalls.delete(instance_id))

    def stop_all(self) -> None:
        """Stop every pipeline instance."""
        self._call(PipelineCalls.stop_all())

    def instances(self) -> dict[str, InstanceReport]:
        """Running pipeline instances by id."""
        return self._call(PipelineCalls.instances())

    def logs(self, instance_id: str) -> LogRecords:
        """The instance's recent log records."""
        return self._call(PipelineCalls.logs(instance_id))

    def _call(self, call: Call[T]) -> T:
        result: T = self._send(call)
        return result


class AsyncPipelines:
    """Pipelines of a server, over an :class:`~camserver.client.AsyncClient` (``client.pipelines``)."""

    def __init__(self, send: Callable[[Call[Any]], Awaitable[Any]]) -> None:
        self._send = send

    async def list(self) -> Names:
        """Names of all pipeline configs."""
        return await self._call(PipelineCalls.list())

    async def groups(self) -> Groups:
        """``{group: [pipelines]}``."""
        return await self._call(PipelineCalls.groups())

    async def config(self, name: str) -> PipelineConfig:
        """A named pipeline config, every default filled in."""
        return await self._call(PipelineCalls.config(name))

    async def set_config(self, name: str, config: PipelineConfig | Mapping[str, Any]) -> PipelineConfig:
        """Validate and save a named config; the saved config."""
        return await self._call(PipelineCalls.set_config(name, config))

    async def delete_config(self, name: str) -> None:
        """Delete a named pipeline config."""
        await self._call(PipelineCalls.delete_config(name))

    async def create_from_name(
        self, name: str, *, instance_id: str | None = None, additional_config: Mapping[str, Any] | None = None
    ) -> StartedInstance:
        """Start an instance of a named config, ``additional_config`` merged over it."""
        call = PipelineCalls.create_from_name(name, instance_id=instance_id, additional_config=additional_config)
        return await self._call(call)

    async def create_from_config(
        self, config: PipelineConfig | Mapping[str, Any], *, instance_id: str | None = None
    ) -> StartedInstance:
        """Start an instance of the config given."""
        return await self._call(PipelineCalls.create_from_config(config, instance_id=instance_id))

    async def stream(self, instance_id: str) -> str:
        """The stream of a running instance; a saved pipeline of that name is started."""
        return await self._call(PipelineCalls.stream(instance_id))

    async def stream_from_config(self, config: PipelineConfig | Mapping[str, Any]) -> StartedInstance:
        """A read-only instance with exactly this config, shared with other callers."""
        return await self._call(PipelineCalls.stream_from_config(config))

    async def info(self, instance_id: str) -> InstanceReport:
        """An instance: state, statistics, config."""
        return await self._call(PipelineCalls.info(instance_id))

    async def instance_config(self, instance_id: str) -> PipelineConfig:
        """The config an instance runs with."""
        return await self._call(PipelineCalls.instance_config(instance_id))

    async def update_config(self, instance_id: str, changes: Mapping[str, Any]) -> PipelineConfig:
        """Change a running instance's config (CamServer's partial update); its new config."""
        return await self._call(PipelineCalls.update_config(instance_id, changes))

    async def exit_code(self, instance_id: str) -> int | None:
        """The exit code of an ended instance; None while it runs."""
        return await self._call(PipelineCalls.exit_code(instance_id))

    async def stop(self, instance_id: str) -> None:
        """Stop an instance."""
        await self._call(PipelineCalls.stop(instance_id))

    async def delete(self, instance_id: str) -> None:
        """Stop an instance and free its port."""
        await self._call(PipelineCalls.delete(instance_id))

    async def stop_all(self) -> None:
        """Stop every pipeline instance."""
        await self._call(PipelineCalls.stop_all())

    async def instances(self) -> dict[str, InstanceReport]:
        """Running pipeline instances by id."""
        return await self._call(PipelineCalls.instances())

    async def logs(self, instance_id: str) -> LogRecords:
        """The instance's recent log records."""
        return await self._call(PipelineCalls.logs(instance_id))

    async def _call(self, call: Call[T]) -> T:
        result: T = await self._send(call)
        return result
