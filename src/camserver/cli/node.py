"""``camserver node``: make this machine a node of a camserver Ray cluster (runs ``ray start``)."""

from __future__ import annotations

import os
import shlex
import socket
from typing import Annotated

import typer

from camserver.cli.connection import EXIT_USAGE, fail

__all__ = ["node"]


def _labels(values: list[str]) -> dict[str, str]:
    labels = {}
    for value in values:
        key, equals, label = value.partition("=")
        if not equals or not key or not label:
            fail(f"--label {value!r}: give key=value", EXIT_USAGE)
        labels[key] = label
    return labels


def _ports(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    first, dash, last = value.partition("-")
    if not dash or not first.isdigit() or not last.isdigit() or int(first) > int(last):
        fail(f"--worker-ports {value!r}: give a range FIRST-LAST", EXIT_USAGE)
    return int(first), int(last)


def node(
    head: Annotated[bool, typer.Option("--head", help="start the cluster's head (the first node)")] = False,
    address: Annotated[str | None, typer.Option(help="host:port of the head to join (every node but the head)")] = None,
    server_name: Annotated[
        str | None,
        typer.Option(help="the node's server name, as servers.json names it (default: this host's name)"),
    ] = None,
    bandwidth: Annotated[
        float, typer.Option(min=0, help="network capacity instances may claim on this node, Mbit/s")
    ] = 10000.0,
    port: Annotated[int, typer.Option(help="--head: the port the head listens on")] = 6379,
    node_ip: Annotated[
        str | None, typer.Option(help="the address of this node other nodes and clients reach it at")
    ] = None,
    label: Annotated[list[str] | None, typer.Option(help="another node label key=value (repeatable)")] = None,
    worker_ports: Annotated[
        str | None, typer.Option(help="ports Ray's workers may use, FIRST-LAST (keep them off the stream ports)")
    ] = None,
    object_store_mb: Annotated[
        int, typer.Option(min=75, help="Ray's object store, MB (instances barely use it)")
    ] = 200,
    block: Annotated[bool, typer.Option(help="stay in the foreground until stopped (for systemd)")] = True,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the ray start command, do not run it")] = False,
) -> None:
    """Make this machine a node of a camserver cluster: ``ray start`` with the node's server name,
    its network capacity and camserver's defaults. Ray token authentication and the rest of its
    environment (RAY_AUTH_MODE, RAY_AUTH_TOKEN) are passed through."""
    from camserver.backends.ray_node import ray_start_command

    if head == bool(address):
        fail("give either --head (the first node) or --address HOST:PORT (joining a head)", EXIT_USAGE)
    command = ray_start_command(
        server=server_name or socket.gethostname(),
        bandwidth=bandwidth,
        head=head,
        address=address,
        port=port,
        node_ip=node_ip,
        labels=_labels(label or []),
        worker_ports=_ports(worker_ports),
        object_store_mb=object_store_mb,
        block=block,
    )
    if dry_run:
        typer.echo(shlex.join(command))
        return
    typer.echo(shlex.join(command), err=True)
    try:
        os.execv(command[0], command)  # the node is Ray's own process from here on
    except OSError as error:
        fail(f"cannot run {command[0]}: {error} (install camserver[cluster])", EXIT_USAGE)
