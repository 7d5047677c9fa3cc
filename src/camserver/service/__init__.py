"""The managers behind the API: config stores, backgrounds, ports, cameras, pipelines, settings."""

from camserver.service.backgrounds import BackgroundStore, array_from_npy_bytes, array_from_upload
from camserver.service.cameras import CameraManager
from camserver.service.config_store import ConfigStore, FileConfigStore, write_json_atomically
from camserver.service.image_renderer import COLORMAPS, render_png, to_rgb
from camserver.service.instance_report import heartbeat_entry, instance_report
from camserver.service.log_ring import LogRing
from camserver.service.ports import PortAllocator
from camserver.service.services import DataLayout, Services
from camserver.service.settings import ServerSettings

__all__ = [
    "COLORMAPS",
    "BackgroundStore",
    "CameraManager",
    "ConfigStore",
    "DataLayout",
    "FileConfigStore",
    "LogRing",
    "PortAllocator",
    "ServerSettings",
    "Services",
    "array_from_npy_bytes",
    "array_from_upload",
    "heartbeat_entry",
    "instance_report",
    "render_png",
    "to_rgb",
    "write_json_atomically",
]
