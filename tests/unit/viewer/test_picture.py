"""Decimation, levels and colouring of the viewer's pictures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import simplejpeg

from camserver.errors import ConfigError
from camserver.service.viewer.colour import COLORMAPS
from camserver.service.viewer.picture import PictureRenderer, ViewRegion, decimate, view_region
from camserver.service.viewer.settings import ViewSettings

Array = np.ndarray[Any, Any]


def test_a_large_image_is_decimated_by_a_whole_step_to_fit() -> None:
    region = view_region(2560, 2160, max_width=1280, max_height=1280)
    assert region == ViewRegion(0, 0, 2560, 2160, 2)
    assert (region.picture_width, region.picture_height) == (1280, 1080)


def test_a_small_image_is_shown_whole() -> None:
    assert view_region(640, 480) == ViewRegion(0, 0, 640, 480, 1)


def test_the_step_rounds_up_so_the_picture_never_exceeds_the_limit() -> None:
    region = view_region(1300, 100, max_width=1280)
    assert region.step == 2
    assert region.picture_width == 650


def test_a_zoom_is_clamped_into_the_image() -> None:
    assert view_region(100, 80, (90, -5, 50, 20)) == ViewRegion(90, 0, 10, 20, 1)
    assert view_region(100, 80, (500, 500, 5, 5)) == ViewRegion(99, 79, 1, 1, 1)


def test_an_empty_image_cannot_be_shown() -> None:
    with pytest.raises(ConfigError, match="empty image"):
        view_region(0, 10)


def test_decimation_is_a_view_of_every_step_th_pixel() -> None:
    image = np.arange(100 * 120, dtype=np.uint16).reshape(100, 120)
    pixels = decimate(image, ViewRegion(10, 20, 50, 31, 4))
    assert np.shares_memory(pixels, image)  # a view: no copy
    assert pixels.shape == (8, 13)
    assert pixels[0, 0] == image[20, 10]
    assert pixels[1, 1] == image[24, 14]
    assert pixels[-1, -1] == image[48, 58]


@pytest.mark.parametrize("dtype", ["uint8", "uint16", ">u2", "int32", "float32", "float64"])
def test_every_pixel_type_maps_low_to_the_first_and_high_to_the_last_colour(dtype: str) -> None:
    image = np.array([[0, 50, 100]], dtype=dtype)
    picture = PictureRenderer().colour(image, 0.0, 100.0, "gray")
    assert picture.shape == (1, 3, 4)
    assert picture.dtype == np.uint8
    assert picture[0, 0, :3].tolist() == [0, 0, 0]
    assert picture[0, 2, :3].tolist() == [255, 255, 255]
    assert 120 <= picture[0, 1, 0] <= 135


def test_colours_come_from_the_named_colour_map() -> None:
    image = np.array([[0, 255]], dtype=np.uint8)
    picture = PictureRenderer().colour(image, 0.0, 255.0, "jet")
    table = COLORMAPS["jet"]
    assert picture[0, 0, :3].tolist() == table[0].tolist()
    assert picture[0, 1, :3].tolist() == table[255].tolist()


def test_values_outside_the_levels_are_clipped_and_nan_shows_as_low() -> None:
    image = np.array([[-50.0, np.nan, 500.0]])
    picture = PictureRenderer().colour(image, 0.0, 100.0, "gray")
    assert picture[0, :, 0].tolist() == [0, 0, 255]


def test_an_unknown_colour_map_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown colormap"):
        PictureRenderer().colour(np.zeros((1, 1), np.uint16), 0, 1, "sepia")


def test_render_makes_a_jpeg_of_the_decimated_region() -> None:
    image = np.zeros((300, 400), np.uint16)
    image[100:200, 100:300] = 1000
    rendered = PictureRenderer().render(image, ViewSettings(colormap="gray", max_width=100, max_height=100))
    assert rendered.region == ViewRegion(0, 0, 400, 300, 4)
    decoded = simplejpeg.decode_jpeg(rendered.jpeg, colorspace="GRAY")
    assert decoded.shape[:2] == (75, 100)
    assert decoded[40, 50, 0] > 200  # the bright block
    assert decoded[5, 5, 0] < 30  # the dark floor
    assert (rendered.contrast.low, rendered.contrast.high) == (0.0, 1000.0)
    assert rendered.contrast.histogram is not None


def test_a_hot_pixel_does_not_set_the_automatic_contrast() -> None:
    rng = np.random.default_rng(1)
    image = rng.normal(100, 5, (480, 640)).astype(np.uint16)
    image[200:260, 300:380] += 2000  # the beam
    image[10, 10] = 60000  # a hot pixel
    rendered = PictureRenderer().render(image, ViewSettings(colormap="gray"))
    assert 2000 < rendered.contrast.high < 2200
    decoded = simplejpeg.decode_jpeg(rendered.jpeg, colorspace="GRAY")
    assert decoded[230, 340, 0] > 200  # the beam is bright, not a sliver of the range


def test_render_refuses_an_image_that_is_not_2d() -> None:
    with pytest.raises(ConfigError, match="2-D images"):
        PictureRenderer().render(np.zeros((4, 4, 3), np.uint8), ViewSettings())


def test_a_fixed_contrast_reuses_the_colour_table() -> None:
    renderer = PictureRenderer()
    image = np.arange(16, dtype=np.uint16).reshape(4, 4)
    first = renderer.colour(image, 0.0, 15.0, "gray")
    table = renderer._table
    second = renderer.colour(image, 0.0, 15.0, "gray")
    assert renderer._table is table
    assert np.array_equal(first, second)
    renderer.colour(image, 0.0, 10.0, "gray")
    assert renderer._table is not table
