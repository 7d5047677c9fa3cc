"""Images on the REST API: ``image_bytes`` replies to arrays, arrays to ``.npy`` uploads."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import numpy as np

from camserver.errors import CamServerError, ConfigError
from camserver.models.reports import ImagePayload

__all__ = ["array_from_payload", "npy_bytes"]


def array_from_payload(payload: ImagePayload) -> np.ndarray[Any, Any]:
    """The array of an ``image_bytes`` reply: ``{"bytes": base64, "shape": [h, w], "dtype": "<u2"}``."""
    try:
        data = base64.b64decode(payload.bytes, validate=True)
        array = np.frombuffer(data, dtype=np.dtype(payload.dtype))
        return array.reshape([int(size) for size in payload.shape])
    except (TypeError, ValueError, binascii.Error) as error:
        raise CamServerError(f"the server sent an image that cannot be read: {error}") from None


def npy_bytes(array: Any) -> bytes:
    """``array`` as ``.npy`` bytes (``numpy.save``), the upload format of backgrounds.

    Only 2-D numeric images are backgrounds; anything else is refused before it is sent.
    """
    image = np.asarray(array)
    if image.ndim != 2 or image.dtype.kind not in "uif":
        raise ConfigError(f"a background is a 2-D numeric image, not {image.ndim}-D {image.dtype}")
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(image), allow_pickle=False)
    return buffer.getvalue()
