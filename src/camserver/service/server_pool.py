"""CamServer's ``servers.json``: the servers of a pool and their placement rules, read and checked.

The file maps each server to its rules::

    {"http://sf-daqsync-01.psi.ch:8881": {"enabled": true, "expanding": true,
                                           "cameras": ["camA"], "instances": ["pipe_x:5554", "#off"]}}

A key is a CamServer worker URL or a plain server name. camserver places instances on nodes, and
names a node by its server name (the node label ``camserver/server``): a URL stands for its host
name (``sf-daqsync-01.psi.ch``), or ``host-port`` where two URLs of one file share a host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from camserver.errors import ConfigError

__all__ = ["SERVER_KEYS", "ServerPool", "ServerRules", "server_names"]

#: the keys a server's rules may have
SERVER_KEYS = ("enabled", "expanding", "cameras", "instances")
#: what a node label value may be (Ray's rule), so a server name can be one
_LABEL_VALUE = re.compile(r"\A[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?\Z")


def server_names(keys: list[str]) -> dict[str, str]:
    """``{key: server name}`` for the keys of one file (see the module's docstring)."""
    hosts: dict[str, str] = {}
    for key in keys:
        hosts[key] = (urlsplit(key).hostname or key) if "://" in key else key
    names: dict[str, str] = {}
    for key, host in hosts.items():
        shared = sum(1 for other in hosts.values() if other == host) > 1
        port = urlsplit(key).port if "://" in key and shared else None
        names[key] = f"{host}-{port}" if port else host
    return names


@dataclass(frozen=True, slots=True)
class ServerRules:
    """One server's rules: whether it is in the pool, takes instances by load, and what is fixed on it."""

    key: str
    name: str
    enabled: bool = True
    expanding: bool = True
    cameras: tuple[str, ...] = ()
    #: fixed instances and their ports (None: any port), entries switched off with ``#`` left out
    instances: tuple[tuple[str, int | None], ...] = ()


def _entries(key: str, value: Any, what: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(f"server {key}: '{what}' must be a list of names")
        return []
    return [item.strip() for item in value if item.strip() and not item.strip().startswith("#")]


def _instance(key: str, entry: str, problems: list[str]) -> tuple[str, int | None] | None:
    name, colon, port_text = entry.partition(":")
    name = name.strip()
    if not colon:
        return name, None
    try:
        port = int(port_text)
    except ValueError:
        problems.append(f"server {key}: instance entry '{entry}' has no port number after ':'")
        return None
    if not 1 <= port <= 65535:
        problems.append(f"server {key}: instance entry '{entry}': port {port} is not in 1-65535")
        return None
    return name, port


@dataclass(frozen=True, slots=True)
class ServerPool:
    """The servers of one ``servers.json`` (cameras' or pipelines'), in file order.

    An empty pool (no file) has no rules: every node takes instances by load.
    """

    servers: tuple[ServerRules, ...] = ()
    #: what is wrong with the file; :meth:`from_json` keeps what it can read
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ServerPool:
        """The pool of a parsed ``servers.json``; problems found on the way are in :attr:`problems`."""
        problems: list[str] = []
        if not isinstance(data, Mapping):
            raise ConfigError("servers.json must hold a JSON object {server: rules}")
        names = server_names([str(key) for key in data])
        servers: list[ServerRules] = []
        for key, rules in data.items():
            if not isinstance(rules, Mapping):
                problems.append(f"server {key}: its rules must be a JSON object")
                continue
            unknown = sorted(set(rules) - set(SERVER_KEYS))
            if unknown:
                problems.append(f"server {key}: unknown keys {', '.join(unknown)} (known: {', '.join(SERVER_KEYS)})")
            flags = {}
            for flag in ("enabled", "expanding"):
                value = rules.get(flag, True)
                if not isinstance(value, bool):
                    problems.append(f"server {key}: '{flag}' must be true or false, not {value!r}")
                    value = True
                flags[flag] = value
            name = names[str(key)]
            if not _LABEL_VALUE.match(name):
                problems.append(
                    f"server {key}: its name '{name}' cannot be a node label (letters, digits, '-', '_', '.'; "
                    "at most 63 characters)"
                )
            fixed = [
                _instance(str(key), entry, problems)
                for entry in _entries(str(key), rules.get("instances"), "instances", problems)
            ]
            servers.append(
                ServerRules(
                    key=str(key),
                    name=name,
                    enabled=flags["enabled"],
                    expanding=flags["expanding"],
                    cameras=tuple(_entries(str(key), rules.get("cameras"), "cameras", problems)),
                    instances=tuple(entry for entry in fixed if entry is not None),
                )
            )
        return cls(tuple(servers), tuple(problems))

    # -- the rules --------------------------------------------------------------------------

    @property
    def enabled(self) -> tuple[ServerRules, ...]:
        """Servers in the pool (``enabled`` not false)."""
        return tuple(server for server in self.servers if server.enabled)

    @property
    def load_targets(self) -> tuple[str, ...]:
        """Names of the servers that take instances by load (enabled, ``expanding`` not false)."""
        return tuple(server.name for server in self.enabled if server.expanding)

    def fixed(self, *names: str | None) -> tuple[str, int | None] | None:
        """``(server, port)`` an instance of one of ``names`` is fixed to by ``instances``, if any."""
        for name in names:
            if not name:
                continue
            for server in self.enabled:
                for instance, port in server.instances:
                    if instance == name:
                        return server.name, port
        return None

    def camera_server(self, camera: str | None) -> str | None:
        """The server whose ``cameras`` list names ``camera`` (its pipelines go there), if any."""
        if camera:
            for server in self.enabled:
                if camera in server.cameras:
                    return server.name
        return None

    def fixed_port(self, *names: str | None) -> int | None:
        """The port ``instances`` fixes for an instance of one of ``names``, on any enabled server."""
        found = self.fixed(*names)
        return found[1] if found else None

    def named(self, name: str) -> ServerRules | None:
        """The server of that name or key."""
        return next((server for server in self.servers if name in (server.name, server.key)), None)

    # -- checks -----------------------------------------------------------------------------

    def check(self, *, cameras: set[str] | None = None, nodes: set[str] | None = None) -> list[str]:
        """Everything wrong with the rules: what :meth:`from_json` found, an instance or camera fixed
        on two servers or on a disabled one, two servers with one name, ports given twice, and
        cameras that do not exist (when ``cameras`` is given) or servers that are not nodes of the
        cluster (when its ``nodes`` are given)."""
        problems = list(self.problems)
        if nodes is not None:
            problems += [
                f"server {server.key} is unknown: no node of the cluster is called '{server.name}' "
                f"(nodes: {', '.join(sorted(nodes)) or 'none'})"
                for server in self.enabled
                if server.name not in nodes
            ]
        seen_names: dict[str, str] = {}
        for server in self.servers:
            if server.name in seen_names:
                problems.append(f"servers {seen_names[server.name]} and {server.key} are both called '{server.name}'")
            seen_names.setdefault(server.name, server.key)
        pinned: dict[str, str] = {}
        cameras_at: dict[str, str] = {}
        ports: dict[int, str] = {}
        for server in self.servers:
            for instance, port in server.instances:
                if not server.enabled:
                    problems.append(f"instance '{instance}' is fixed on server {server.key}, which is disabled")
                    continue
                if instance in pinned:
                    problems.append(
                        f"instance '{instance}' is fixed on two servers: {pinned[instance]} and {server.key}"
                    )
                pinned.setdefault(instance, server.key)
                if port is not None:
                    if port in ports:
                        problems.append(f"port {port} is given twice: to {ports[port]} and to '{instance}'")
                    ports.setdefault(port, f"'{instance}'")
            for camera in server.cameras:
                if not server.enabled:
                    problems.append(f"camera '{camera}' is listed by server {server.key}, which is disabled")
                    continue
                if camera in cameras_at:
                    problems.append(
                        f"camera '{camera}' is listed by two servers: {cameras_at[camera]} and {server.key}"
                    )
                cameras_at.setdefault(camera, server.key)
                if cameras is not None and camera not in cameras:
                    problems.append(f"server {server.key} lists camera '{camera}', which does not exist")
        return problems

    def notes(self, *, configs: set[str] | None = None) -> list[str]:
        """What is worth knowing but not wrong: server names, fixed instances that are not config
        names (they may be instance ids)."""
        notes = [f"server {server.key} is '{server.name}'" for server in self.servers if server.key != server.name]
        if configs is not None:
            for server in self.enabled:
                notes += [
                    f"instance '{instance}' (server {server.key}) is not a config name here: it must be an instance id"
                    for instance, _ in server.instances
                    if instance not in configs
                ]
        return notes

    def ports(self) -> dict[int, str]:
        """``{port: instance}`` of every fixed port of enabled servers."""
        return {port: instance for server in self.enabled for instance, port in server.instances if port is not None}
