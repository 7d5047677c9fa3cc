"""Images for people: colour maps, levels, PNG and JPEG bytes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from camserver.errors import ConfigError
from camserver.service.image_renderer import COLORMAPS, colormap_table, render_png, to_rgb

BLACK = [0, 0, 0]
WHITE = [255, 255, 255]


def decoded(png: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(png))
    picture.load()
    return picture


def ramp(height: int = 20, width: int = 30, dtype: str = "uint16") -> np.ndarray:
    return np.arange(height * width, dtype=dtype).reshape(height, width)


def test_png_decodes_to_the_image_size() -> None:
    picture = decoded(render_png(ramp(20, 30)))

    assert picture.format == "PNG"
    assert picture.size == (30, 20)
    assert picture.mode == "RGB"


@pytest.mark.parametrize(("scale", "size"), [(0.5, (15, 10)), (2.0, (60, 40)), (1.0, (30, 20)), (0.01, (1, 1))])
def test_png_is_scaled(scale: float, size: tuple[int, int]) -> None:
    assert decoded(render_png(ramp(20, 30), scale=scale)).size == size


@pytest.mark.parametrize("scale", [0.0, -1.0, 17.0])
def test_scale_out_of_range_is_refused(scale: float) -> None:
    with pytest.raises(ConfigError, match="scale"):
        render_png(ramp(), scale=scale)


def test_png_pixels_follow_the_colormap() -> None:
    image = np.array([[0, 100], [50, 100]], dtype=np.uint16)

    picture = np.asarray(decoded(render_png(image, colormap="gray")))

    assert picture[0, 0].tolist() == BLACK
    assert picture[0, 1].tolist() == WHITE
    assert 120 <= picture[1, 0, 0] <= 135


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "int32", "float32", "float64"])
def test_gray_endpoints(dtype: str) -> None:
    image = np.array([[0, 10], [5, 10]], dtype=dtype)

    rgb = to_rgb(image, colormap="gray")

    assert rgb.shape == (2, 2, 3)
    assert rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == BLACK
    assert rgb[0, 1].tolist() == WHITE


def test_gray_endpoints_over_the_full_uint16_range() -> None:
    rgb = to_rgb(np.array([[0, 65535]], dtype=np.uint16), colormap="gray")

    assert rgb[0].tolist() == [BLACK, WHITE]


def test_given_levels_clip() -> None:
    image = np.array([[0, 10, 20, 30]], dtype=np.uint16)

    rgb = to_rgb(image, colormap="gray", min_value=10, max_value=20)

    assert rgb[0].tolist() == [BLACK, BLACK, WHITE, WHITE]


@pytest.mark.parametrize("name", sorted(COLORMAPS))
def test_every_colormap_is_a_256_entry_rgb_table(name: str) -> None:
    table = colormap_table(name)

    assert table.shape == (256, 3)
    assert table.dtype == np.uint8


def test_colormap_names_are_case_insensitive_and_grey_is_gray() -> None:
    assert np.array_equal(colormap_table("GRAY"), colormap_table("grey"))
    assert colormap_table("gray")[0].tolist() == BLACK
    assert colormap_table("gray")[255].tolist() == WHITE


def test_default_colormap_is_rainbow() -> None:
    image = ramp(4, 4)

    assert np.array_equal(to_rgb(image), to_rgb(image, colormap="rainbow"))
    assert not np.array_equal(to_rgb(image), to_rgb(image, colormap="gray"))


def test_unknown_colormap_lists_the_available_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        render_png(ramp(), colormap="plasma-ish")

    message = str(raised.value)
    assert "plasma-ish" in message
    for name in ("gray", "rainbow", "jet", "viridis"):
        assert name in message


@pytest.mark.parametrize("value", [0, 7, 65535])
def test_constant_images_render(value: int) -> None:
    image = np.full((8, 9), value, dtype=np.uint16)

    rgb = to_rgb(image, colormap="gray")
    picture = decoded(render_png(image))

    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) == 1
    assert picture.size == (9, 8)


def test_nan_and_infinities_render_against_the_finite_range() -> None:
    image = np.array([[0.0, 10.0, 5.0], [np.nan, np.inf, -np.inf]])

    rgb = to_rgb(image, colormap="gray")

    assert rgb[0, 0].tolist() == BLACK
    assert rgb[0, 1].tolist() == WHITE
    assert 120 <= rgb[0, 2, 0] <= 135
    assert rgb[1, 1].tolist() == WHITE
    assert rgb[1, 2].tolist() == BLACK
    assert decoded(render_png(image)).size == (3, 2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_images_with_infinities_render_without_warnings(dtype: str) -> None:
    image = np.array([[1.0, 2.0], [np.inf, -np.inf]], dtype=dtype)

    rgb = to_rgb(image, colormap="gray")

    assert rgb[0, 0].tolist() == BLACK
    assert rgb[0, 1].tolist() == WHITE


@pytest.mark.parametrize("fill", [np.nan, np.inf, -np.inf])
def test_images_without_finite_values_render(fill: float) -> None:
    image = np.full((3, 4), fill, dtype=np.float32)

    picture = decoded(render_png(image, colormap="gray"))

    assert picture.size == (4, 3)


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4)])
def test_only_2d_images_render(shape: tuple[int, ...]) -> None:
    with pytest.raises(ConfigError, match="only 2-D images"):
        render_png(np.zeros(shape, dtype=np.uint16))
