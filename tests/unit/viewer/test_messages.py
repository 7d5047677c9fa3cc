"""The websocket messages: the page's JSDoc types name the keys the server's description names,
and what the browser sends is checked in words."""

from __future__ import annotations

import re
from typing import Any

import pytest

from camserver.api.web_page import STATIC_DIR
from camserver.errors import ConfigError
from camserver.service.viewer import messages

TYPED = [
    messages.RegionMessage,
    messages.HistogramMessage,
    messages.LevelsMessage,
    messages.ImageMessage,
    messages.AxisMessage,
    messages.HistoryMessage,
    messages.FrameMessage,
    messages.StatusMessage,
    messages.PixelsMessage,
    messages.ErrorMessage,
]


def jsdoc_types() -> dict[str, set[str]]:
    """``{typedef name: property names}`` of the page's messages.js."""
    text = (STATIC_DIR / "messages.js").read_text()
    types: dict[str, set[str]] = {}
    for block in re.findall(r"/\*\*(.*?)\*/", text, flags=re.DOTALL):
        name = re.search(r"@typedef \{object\} (\w+)", block)
        if name:
            types[name.group(1)] = set(re.findall(r"@property \{(?:[^{}]|\{[^{}]*\})*\} \[?(\w+)\]?", block))
    return types


@pytest.mark.parametrize("message", TYPED, ids=lambda message: message.__name__)
def test_the_page_names_the_keys_the_server_sends(message: Any) -> None:
    assert jsdoc_types()[message.__name__] == set(message.__annotations__)


def test_the_page_names_the_keys_the_server_reads() -> None:
    types = jsdoc_types()
    assert types["PixelRequest"] == set(messages.PixelRequest.model_fields)
    assert types["BrowserMessage"] == set(messages.BrowserMessage.model_fields)


def test_a_browser_message_carries_acknowledgement_pixels_and_settings() -> None:
    message = messages.BrowserMessage.parse(
        {"ack": 3, "pixels": {"x": 1, "y": 2, "width": 4, "height": 4}, "fps": 5, "colormap": "gray"}
    )
    assert message.ack == 3
    assert message.pixels is not None
    assert (message.pixels.x, message.pixels.seq) == (1, 0)
    assert message.settings() == {"fps": 5, "colormap": "gray"}


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ([1, 2], "viewer messages are JSON objects"),
        ({"ack": "soon"}, "ack"),
        ({"pixels": {"x": -1, "y": 0, "width": 1, "height": 1}}, "pixels.x"),
        ({"pixels": {"x": 0, "y": 0, "width": 100, "height": 100}}, "at most 4096 pixel values"),
    ],
)
def test_a_bad_browser_message_is_refused_in_words(values: Any, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        messages.BrowserMessage.parse(values)
