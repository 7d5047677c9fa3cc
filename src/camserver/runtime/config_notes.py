"""Telling the instance's log which config keys it will not act on."""

from __future__ import annotations

import logging

from camserver.models.config_model import ConfigModel

__all__ = ["log_config_notes"]


def log_config_notes(config: ConfigModel, logger: logging.Logger) -> None:
    """One warning per unknown key and per accepted key that has no effect here."""
    for key in config.unknown_keys():
        logger.warning("config key '%s' is not a camserver key: kept, not used", key)
    for key, reason in config.inert_keys().items():
        logger.warning("config key '%s' has no effect in camserver: %s", key, reason)
