"""``camserver serve``: run the server in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import uvicorn

__all__ = ["serve"]


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """A uvicorn server for which SIGTERM and Ctrl-C are the normal way to stop: it shuts down (and
    stops every instance), then the process exits with code 0 instead of dying of the signal
    uvicorn would raise again."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            handlers = {signum: signal.signal(signum, self.handle_exit) for signum in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for signum, handler in handlers.items():
                    signal.signal(signum, handler)

    return Server(config)


def _open_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    listener.set_inheritable(True)
    return listener


def serve(
    host: Annotated[str | None, typer.Option(help="interface to bind (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="REST API port (default 8888; 0 = any free port)")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="configs, backgrounds, scripts (default ./camserver-data)")
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="add simulated cameras and pipelines")] = False,
    allow_user_scripts: Annotated[
        bool, typer.Option("--allow-user-scripts", help="allow uploaded Python functions and sources")
    ] = False,
    token: Annotated[str | None, typer.Option(help="bearer token for mutating routes", envvar=None)] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="allow mutating routes without a token on a non-loopback host")
    ] = False,
    config: Annotated[Path | None, typer.Option(help="settings file (TOML or JSON)")] = None,
    log_level: Annotated[str | None, typer.Option(help="CRITICAL, ERROR, WARNING, INFO or DEBUG")] = None,
    backend: Annotated[
        str | None, typer.Option(help="local (processes on this host, default) or ray (a Ray cluster)")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="ray: host:port of the cluster's head to join (default: start one here)")
    ] = None,
    pipeline_port: Annotated[
        int | None,
        typer.Option(help="a second port, where /api/v1/proxy answers for pipelines (CamServer's 8889)"),
    ] = None,
    log_format: Annotated[
        str | None, typer.Option(help="'text' or 'json' (one JSON object per line, with instance ids)")
    ] = None,
    read_network: Annotated[
        list[str] | None,
        typer.Option(help="network (CIDR) that may read without a token; repeat for more (default: all)"),
    ] = None,
    write_network: Annotated[
        list[str] | None,
        typer.Option(help="network (CIDR) that may also write without a token, e.g. a control-system network"),
    ] = None,
) -> None:
    """Serve cameras and pipelines over REST on one port; instances run as child processes (or as
    actors on a Ray cluster with --backend ray)."""
    from camserver.errors import ConfigError
    from camserver.service import ServerSettings

    flags: dict[str, Any] = {
        key: value
        for key, value in {
            "host": host,
            "port": port,
            "data_dir": data_dir,
            "token": token,
            "log_level": log_level.upper() if log_level else None,
            "backend": backend,
            "ray_address": ray_address,
            "pipeline_port": pipeline_port,
            "log_format": log_format.lower() if log_format else None,
            "read_networks": read_network or None,
            "write_networks": write_network or None,
        }.items()
        if value is not None
    }
    if demo:
        flags["demo"] = True
    if allow_user_scripts:
        flags["allow_user_scripts"] = True
    try:
        settings = ServerSettings.load(config_file=config, **flags)
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if not settings.loopback_only and not settings.token and not settings.write_networks and not no_auth:
        typer.echo(
            f"error: bound to {settings.host}, reachable from other hosts: give --token (or "
            "CAMSERVER_TOKEN) so that only its holders can change configs and instances, "
            "--write-network to trust a network, or --no-auth to allow anyone",
            err=True,
        )
        raise typer.Exit(2)
    if settings.backend == "local":  # its imports run while the web stack's do
        from camserver.backends.local import start_fork_server

        start_fork_server()
    import uvicorn

    from camserver.api import build_app

    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        from camserver.service.json_log import JsonLogFormatter

        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    listeners = []
    for port_wanted in (settings.port, settings.pipeline_port):
        if port_wanted is None:
            continue
        try:
            listeners.append(_open_socket(settings.host, port_wanted))
        except OSError as error:
            typer.echo(f"error: cannot listen on {settings.host}:{port_wanted}: {error}", err=True)
            raise typer.Exit(2) from None
    bound_port = listeners[0].getsockname()[1]
    pipeline_bound = listeners[1].getsockname()[1] if len(listeners) > 1 else None
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    local_host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else shown_host
    if settings.backend == "ray" and settings.host in ("0.0.0.0", ""):
        local_host = settings.stream_host  # instances on other nodes reach the API there
    app = build_app(settings, server_url=f"http://{local_host}:{bound_port}", pipeline_port=pipeline_bound)
    typer.echo(f"camserver listening on http://{shown_host}:{bound_port} (data in {settings.data_dir})", err=True)
    if pipeline_bound is not None:
        typer.echo(f"camserver pipeline proxy on http://{shown_host}:{pipeline_bound}", err=True)
    # JPEG frames of the viewer do not compress: per-message deflate would only cost time
    uvicorn_config = uvicorn.Config(
        app,
        log_level=settings.log_level.lower(),
        access_log=False,
        ws_per_message_deflate=False,
        log_config=None,  # uvicorn's records go through the handler above, in the same format
    )
    server = _server(uvicorn_config)
    server.run(sockets=listeners)
