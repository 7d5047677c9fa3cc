"""Value types shared by the camera and pipeline configs, with CamServer's accepted spellings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

__all__ = [
    "CompressionSetting",
    "ImageDtype",
    "NameList",
    "Port",
    "Roi",
    "SocketModeName",
    "compression_name",
]

_COMPRESSIONS = ("none", "bitshuffle_lz4")


def compression_name(value: Any) -> str:
    """CamServer accepts ``true`` for ``bitshuffle_lz4`` and ``false``/``""`` for none."""
    if value is True:
        return "bitshuffle_lz4"
    if value is False or value == "" or value is None:
        return "none"
    if isinstance(value, str) and value.lower() in _COMPRESSIONS:
        return value.lower()
    if value == "lz4":
        raise ValueError("lz4 is not sent: bsread implementations disagree on its size prefix; use bitshuffle_lz4")
    raise ValueError(f"unknown compression {value!r}; use 'none' or 'bitshuffle_lz4' (or true)")


#: a compression as CamServer configs write it, normalised to ``"none"`` / ``"bitshuffle_lz4"``
CompressionSetting = Annotated[Literal["none", "bitshuffle_lz4"], BeforeValidator(compression_name)]


def _name_list(value: Any) -> str | list[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError("must be a string or a list of strings")


#: ``alias`` and ``group``: one name or a list of names (kept as given)
NameList = Annotated[str | list[str], BeforeValidator(_name_list)]

Port = Annotated[int, Field(ge=1, le=65535)]


def _roi(value: Any) -> list[int]:
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise ValueError("must be [offset_x, size_x, offset_y, size_y]")
    numbers = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or int(item) != item:
            raise ValueError("must be four integers [offset_x, size_x, offset_y, size_y]")
        numbers.append(int(item))
    offset_x, size_x, offset_y, size_y = numbers
    if offset_x < 0 or offset_y < 0:
        raise ValueError("offsets must not be negative")
    if size_x <= 0 or size_y <= 0:
        raise ValueError("sizes must be positive")
    return numbers


#: a region of interest ``[offset_x, size_x, offset_y, size_y]`` in pixels
Roi = Annotated[list[int], BeforeValidator(_roi)]

ImageDtype = Literal["uint8", "uint16", "uint32", "int8", "int16", "int32", "float32", "float64"]


def _socket_mode(value: Any) -> str:
    if isinstance(value, str):
        return value.upper()
    raise ValueError("must be a string")


SocketModeName = Annotated[Literal["PUB", "PUSH", "SUB", "PULL", "FILE"], BeforeValidator(_socket_mode)]
