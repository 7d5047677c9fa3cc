"""What a browser may ask of the viewer, and the words it gets back when it asks wrongly."""

from __future__ import annotations

import pytest

from camserver.errors import ConfigError
from camserver.service.viewer.settings import ViewSettings


def test_defaults_are_a_rainbow_at_ten_frames_a_second_with_automatic_contrast() -> None:
    settings = ViewSettings()
    assert (settings.colormap, settings.fps, settings.min_value, settings.max_value, settings.zoom) == (
        "rainbow",
        10.0,
        None,
        None,
        None,
    )


def test_query_strings_are_read_with_their_short_names() -> None:
    settings = ViewSettings.parse({"colormap": "Jet", "min": "10", "max": "auto", "zoom": "1, 2, 30, 40", "fps": "5"})
    assert settings.colormap == "jet"
    assert settings.min_value == 10.0
    assert settings.max_value is None
    assert settings.zoom == (1, 2, 30, 40)
    assert settings.fps == 5.0


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"colormap": "plasma-ish"}, "unknown colormap 'plasma-ish'"),
        ({"fps": "100"}, "fps"),
        ({"fps": "0"}, "fps"),
        ({"min": "5", "max": "5"}, "min (5) must be below max (5)"),
        ({"zoom": "1,2,3"}, "zoom"),
        ({"zoom": "0,0,0,10"}, "zoom width and height must be at least 1 pixel"),
        ({"min": "nan"}, "min"),
        ({"brightness": "3"}, "brightness"),
    ],
)
def test_bad_settings_are_refused_in_words(values: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match="invalid viewer settings") as error:
        ViewSettings.parse(values)
    assert words in str(error.value)


def test_updated_settings_keep_what_was_not_changed() -> None:
    settings = ViewSettings.parse({"colormap": "gray", "fps": 2})
    changed = settings.updated({"zoom": [0, 0, 8, 8], "min": 1})
    assert (changed.colormap, changed.fps, changed.zoom, changed.min_value) == ("gray", 2.0, (0, 0, 8, 8), 1.0)
    assert settings.zoom is None  # frozen: the old settings are unchanged


def test_the_frame_rate_does_not_change_the_picture_key() -> None:
    assert ViewSettings(fps=2).render_key() == ViewSettings(fps=20).render_key()
    assert ViewSettings(colormap="jet").render_key() != ViewSettings().render_key()
