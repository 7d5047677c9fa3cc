"""``camserver check-config``: validate a CamServer configuration folder without a server.

Checks every camera config in ``camera_config/`` and every pipeline config in
``pipeline_config/`` as the server would load them, the backgrounds they name in
``background_config/``, the cameras pipelines read from, ``permanent_instances.json`` and the
placement rules of ``servers.json`` (servers named twice, instances or cameras fixed twice or on a
disabled server, ports given twice, cameras that do not exist, servers that are not nodes).
Unknown keys (kept but not used) and keys disabled with a leading ``_`` are reported as notes,
not errors, as CamServer's own configs use them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from camserver.cli.connection import EXIT_ERROR, EXIT_USAGE, fail

__all__ = ["ConfigReport", "check_config", "check_folder"]

#: files of a configuration folder that are not configs
SERVERS = "servers.json"
PERMANENT = "permanent_instances.json"


@dataclass
class ConfigReport:
    """What checking one file found: problems make it invalid, notes do not."""

    path: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """No problems."""
        return not self.problems


def _read_json(path: Path, report: ConfigReport) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        report.problems.append(f"cannot be read as JSON: {error}")
        return None


def _load(path: Path, report: ConfigReport, model: Any) -> tuple[Any, dict[str, Any]] | None:
    """The config of ``path`` validated as ``model``, and its raw data; None (with the problem in
    ``report``) when it cannot be read or is invalid."""
    from camserver.errors import ConfigError

    data = _read_json(path, report)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.problems.append(f"must hold a JSON object, not {type(data).__name__}")
        return None
    try:
        return model.load(data, name=path.stem), data
    except ConfigError as error:
        report.problems.append(str(error))
        return None


def _key_notes(config: Any, data: dict[str, Any], name: str, report: ConfigReport) -> None:
    if config.unknown_keys():
        report.notes.append(f"unknown keys, kept but not used: {', '.join(config.unknown_keys())}")
    if config.disabled_keys():
        report.notes.append(f"disabled keys: {', '.join(config.disabled_keys())}")
    given = data.get("name")
    if isinstance(given, str) and given and given != name:
        report.notes.append(f"its 'name' is '{given}'; the server calls it '{name}' after the file")


class _Backgrounds:
    """The background folder, if there is one to check against."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.present = folder.is_dir()

    def check(self, background: str | bool, camera: str | None, report: ConfigReport) -> None:
        if background is True:
            if not camera:
                return
            pattern = re.compile(rf"^{re.escape(camera)}_\d{{8}}_\d{{6}}_\d{{6}}$")
            if not self.present:
                report.notes.append(f"backgrounds not checked: {self.folder.name}/ does not exist")
            elif not any(pattern.match(path.stem) for path in self.folder.glob("*.npy")):
                report.problems.append(f"camera '{camera}' has no background in {self.folder.name}/")
            return
        if not isinstance(background, str) or not background:
            return
        if not self.present:
            report.notes.append(f"background '{background}' not checked: {self.folder.name}/ does not exist")
        elif not (self.folder / f"{background}.npy").is_file():
            report.problems.append(f"background '{background}' does not exist in {self.folder.name}/")


def _check_cameras(folder: Path, backgrounds: _Backgrounds, reports: list[ConfigReport]) -> set[str]:
    """Check the camera configs; the names (and aliases) pipelines may refer to."""
    from camserver.models import CameraConfig

    names: set[str] = set()
    for path in sorted(folder.glob("*.json")):
        if path.name in (SERVERS, PERMANENT):
            continue
        report = ConfigReport(f"{folder.name}/{path.name}")
        reports.append(report)
        names.add(path.stem)
        loaded = _load(path, report, CameraConfig)
        if loaded is None:
            continue
        config, data = loaded
        names.update(config.aliases)
        _key_notes(config, data, path.stem, report)
        if config.image_background:
            backgrounds.check(config.image_background, path.stem, report)
    return names


def _check_pipelines(
    folder: Path, cameras: set[str] | None, backgrounds: _Backgrounds, reports: list[ConfigReport]
) -> set[str]:
    """Check the pipeline configs; their names."""
    from camserver.models import PipelineConfig

    paths = [path for path in sorted(folder.glob("*.json")) if path.name not in (SERVERS, PERMANENT)]
    names = {path.stem for path in paths}
    for path in paths:
        report = ConfigReport(f"{folder.name}/{path.name}")
        reports.append(report)
        loaded = _load(path, report, PipelineConfig)
        if loaded is None:
            continue
        config, data = loaded
        _key_notes(config, data, path.stem, report)
        reads_camera = not (config.input_stream or config.input_pipeline or config.bsread_address)
        if cameras is not None and config.camera_name and reads_camera and config.camera_name not in cameras:
            report.problems.append(f"camera '{config.camera_name}' does not exist in camera_config/")
        for key in ("input_pipeline", "input_pipeline2", "output_pipeline"):
            other = getattr(config, key)
            if other and other not in names:
                report.notes.append(f"{key} '{other}' is not a pipeline config here (it must be running)")
        if config.image_background:
            backgrounds.check(config.image_background, config.camera_name, report)
    return names


def _check_permanent(path: Path, pipelines: set[str], reports: list[ConfigReport]) -> None:
    report = ConfigReport(f"{path.parent.name}/{path.name}")
    reports.append(report)
    data = _read_json(path, report)
    if data is None:
        return
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        report.problems.append("must hold a JSON object {instance: pipeline config name}")
        return
    for instance, name in data.items():
        if instance.startswith("#"):
            continue  # CamServer's way of switching an entry off
        if name not in pipelines:
            report.problems.append(f"instance '{instance}' names pipeline '{name}', which does not exist")


def _check_servers(
    path: Path,
    reports: list[ConfigReport],
    *,
    configs: set[str],
    cameras: set[str] | None,
    nodes: set[str] | None,
    taken: dict[int, str],
) -> None:
    """Check a ``servers.json``: its rules (see :meth:`ServerPool.check`), the cameras its
    ``cameras`` lists name, the nodes its servers must be (``nodes``), and ports that the other
    file (``taken``: ``{port: where}``) gives already."""
    from camserver.errors import ConfigError
    from camserver.service.server_pool import ServerPool

    report = ConfigReport(f"{path.parent.name}/{path.name}")
    reports.append(report)
    data = _read_json(path, report)
    if data is None:
        return
    try:
        pool = ServerPool.from_json(data)
    except ConfigError:
        report.problems.append("must hold a JSON object {server url: placement rules}")
        return
    report.problems += pool.check(cameras=cameras, nodes=nodes)
    report.notes += pool.notes(configs=configs)
    for port, instance in pool.ports().items():
        if port in taken:
            report.problems.append(f"port {port} of '{instance}' is given to {taken[port]} already")
        taken.setdefault(port, f"'{instance}' in {report.path}")


def check_folder(folder: Path, *, backgrounds: Path | None = None, nodes: set[str] | None = None) -> list[ConfigReport]:
    """Check a configuration folder; one report per file, in folder and name order. ``nodes``: the
    server names of a cluster's nodes, which the servers of ``servers.json`` must be."""
    camera_folder, pipeline_folder = folder / "camera_config", folder / "pipeline_config"
    background_store = _Backgrounds(backgrounds or folder / "background_config")
    reports: list[ConfigReport] = []
    cameras: set[str] | None = None
    ports: dict[int, str] = {}  # fixed ports are one range across cameras and pipelines of a cluster
    if camera_folder.is_dir():
        cameras = _check_cameras(camera_folder, background_store, reports)
        if (camera_folder / SERVERS).is_file():
            names = {path.stem for path in camera_folder.glob("*.json")}
            _check_servers(camera_folder / SERVERS, reports, configs=names, cameras=None, nodes=nodes, taken=ports)
    if pipeline_folder.is_dir():
        pipelines = _check_pipelines(pipeline_folder, cameras, background_store, reports)
        if (pipeline_folder / PERMANENT).is_file():
            _check_permanent(pipeline_folder / PERMANENT, pipelines, reports)
        if (pipeline_folder / SERVERS).is_file():
            _check_servers(
                pipeline_folder / SERVERS, reports, configs=pipelines, cameras=cameras, nodes=nodes, taken=ports
            )
    return reports


def check_config(
    folder: Annotated[
        Path, typer.Argument(help="configuration folder (with camera_config/, pipeline_config/)", show_default=False)
    ],
    backgrounds: Annotated[
        Path | None, typer.Option(help="background folder (default: FOLDER/background_config)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only the files with problems")] = False,
    nodes: Annotated[
        str | None,
        typer.Option(help="comma-separated server names of the cluster's nodes, which servers.json's servers must be"),
    ] = None,
) -> None:
    """Validate every camera and pipeline config of a configuration folder, and its servers.json
    placement rules, without a server."""
    if not folder.is_dir():
        fail(f"{folder} is not a folder", EXIT_USAGE)
    if not (folder / "camera_config").is_dir() and not (folder / "pipeline_config").is_dir():
        fail(f"{folder} has neither camera_config/ nor pipeline_config/", EXIT_USAGE)
    node_names = {name.strip() for name in nodes.split(",") if name.strip()} if nodes is not None else None
    reports = check_folder(folder, backgrounds=backgrounds, nodes=node_names)
    for report in reports:
        if quiet and report.valid:
            continue
        typer.echo(f"{'ok' if report.valid else 'INVALID':<8}{report.path}")
        for problem in report.problems:
            typer.echo(f"        error: {problem}")
        if not quiet:
            for note in report.notes:
                typer.echo(f"        note: {note}")
    invalid = sum(not report.valid for report in reports)
    if invalid:
        fail(f"{invalid} of {len(reports)} files are invalid", EXIT_ERROR)
    typer.echo(f"{len(reports)} files checked: all valid")
