"""``camserver serve --demo``: simulated cameras and pipelines, so live data flows at once."""

from __future__ import annotations

from typing import Any

from camserver.service.config_store import ConfigStore

__all__ = ["DEMO_CAMERAS", "DEMO_PIPELINES", "install_demo"]

#: a small fast camera and a large one (raise its frame_rate to 100 on a machine with cores to spare)
DEMO_CAMERAS: dict[str, dict[str, Any]] = {
    "simulation": {
        "source": "simulated beam",
        "source_type": "simulation",
        "size_x": 640,
        "size_y": 480,
        "frame_rate": 100,
        "image_type": "beam",
        "group": "demo",
        "alias": ["sim"],
    },
    "simulation_large": {
        "source": "simulated beam",
        "source_type": "simulation",
        "size_x": 2560,
        "size_y": 2160,
        "frame_rate": 10,
        "image_type": "beam",
        "group": "demo",
    },
}

#: the standard metrics on each camera, with good region and slices
DEMO_PIPELINES: dict[str, dict[str, Any]] = {
    "simulation_sp": {
        "camera_name": "simulation",
        "pipeline_type": "processing",
        "image_good_region": {"threshold": 0.3, "gfscale": 1.8},
        "image_slices": {"number_of_slices": 5, "scale": 2.0, "orientation": "vertical"},
        "group": "demo",
    },
    "simulation_large_sp": {
        "camera_name": "simulation_large",
        "pipeline_type": "processing",
        "image_threshold": 150,
        "image_good_region": {"threshold": 0.3, "gfscale": 1.8},
        "group": "demo",
    },
}


def install_demo(cameras: ConfigStore, pipelines: ConfigStore) -> list[str]:
    """Save the demo configs that do not exist yet (a user's edits are kept); returns the demo
    pipelines, which the server then runs as permanent instances."""
    for name, config in DEMO_CAMERAS.items():
        if not cameras.exists(name):
            cameras.set(name, config)
    for name, config in DEMO_PIPELINES.items():
        if not pipelines.exists(name):
            pipelines.set(name, config)
    return list(DEMO_PIPELINES)
