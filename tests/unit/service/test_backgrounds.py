"""Background images: ids, exact-camera "latest", .npy uploads."""

from __future__ import annotations

import io
import pickle
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from camserver.errors import BackgroundNotFound, ConfigError, NotFound
from camserver.service.backgrounds import BackgroundStore, array_from_npy_bytes

ID_PATTERN = re.compile(r"^(?P<camera>.+)_(?P<stamp>\d{8}_\d{6}_\d{6})$")


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def image(value: int = 7, shape: tuple[int, int] = (4, 6)) -> np.ndarray:
    return np.full(shape, value, dtype=np.uint16)


def test_new_id_is_the_camera_and_a_timestamp(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    before = datetime.now().replace(microsecond=0)

    background_id = store.new_id("SARES20-CAM:01")

    match = ID_PATTERN.match(background_id)
    assert match is not None
    assert match["camera"] == "SARES20-CAM:01"
    stamp = datetime.strptime(match["stamp"], "%Y%m%d_%H%M%S_%f")
    assert before <= stamp <= datetime.now()


def test_new_id_refuses_an_invalid_camera_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid camera name"):
        BackgroundStore(tmp_path).new_id("../cam")


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    original = np.arange(24, dtype=np.uint16).reshape(4, 6)

    returned = store.save("cam_20240320_144334_156830", original)
    loaded = store.load("cam_20240320_144334_156830")

    assert returned == "cam_20240320_144334_156830"
    assert loaded.dtype == np.uint16
    np.testing.assert_array_equal(loaded, original)
    assert store.path(returned) == tmp_path / "cam_20240320_144334_156830.npy"


def test_save_stores_a_non_contiguous_image_as_it_looks(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    original = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]

    store.save("view", original)

    np.testing.assert_array_equal(store.load("view"), original)


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)

    for index in range(5):
        store.save(f"cam_20240101_00000{index}_000000", image(index))

    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".npy"] * 5
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]


def test_save_refuses_invalid_ids(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path / "backgrounds")

    for background_id in ("../escape", "a/b", "..", ""):
        with pytest.raises(ConfigError, match="invalid background id"):
            store.save(background_id, image())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backgrounds"]


def test_ids_are_sorted_and_belong_to_the_camera(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    for background_id in (
        "cam_20240320_144334_156830",
        "cam_20230101_000000_000000",
        "cam_20240320_144334_000001",
        "cam_x_20250101_000000_000000",
        "camera_20250101_000000_000000",
        "cam_manual",
    ):
        store.save(background_id, image())

    assert store.ids("cam") == [
        "cam_20230101_000000_000000",
        "cam_20240320_144334_000001",
        "cam_20240320_144334_156830",
    ]
    assert store.ids("cam_x") == ["cam_x_20250101_000000_000000"]
    assert store.ids("nobody") == []


def test_latest_matches_the_camera_name_exactly(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    store.save("cam_20240101_000000_000000", image(1))
    store.save("cam_x_20250101_000000_000000", image(2))  # newer, and "cam_x" starts with "cam_"

    assert store.latest("cam") == "cam_20240101_000000_000000"
    assert store.latest("cam_x") == "cam_x_20250101_000000_000000"
    assert store.load(store.latest("cam"))[0, 0] == 1


def test_latest_of_a_camera_whose_name_has_regex_characters(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    store.save("cam.1_20240101_000000_000000", image())
    store.save("camX1_20250101_000000_000000", image())

    assert store.latest("cam.1") == "cam.1_20240101_000000_000000"


def test_latest_is_the_newest_by_time(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    store.save("cam_20240101_235959_999999", image())
    store.save("cam_20240102_000000_000000", image())
    store.save("cam_20231231_000000_000000", image())

    assert store.latest("cam") == "cam_20240102_000000_000000"


def test_new_ids_sort_after_older_ones(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    store.save("cam_20000101_000000_000000", image())

    fresh = store.save(store.new_id("cam"), image())

    assert store.latest("cam") == fresh


def test_latest_without_backgrounds_raises_background_not_found(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    store.save("cam_x_20250101_000000_000000", image())

    with pytest.raises(BackgroundNotFound, match=re.escape("No background for camera 'cam'.")):
        store.latest("cam")


def test_missing_background_raises_background_not_found(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)

    with pytest.raises(BackgroundNotFound) as raised:
        store.load("cam_20240101_000000_000000")

    assert str(raised.value) == "Background 'cam_20240101_000000_000000' does not exist."
    assert isinstance(raised.value, NotFound)
    assert isinstance(raised.value, KeyError)
    with pytest.raises(BackgroundNotFound):
        store.path("cam_20240101_000000_000000")


def test_a_stored_pickle_is_not_loaded(tmp_path: Path) -> None:
    store = BackgroundStore(tmp_path)
    np.save(tmp_path / "evil.npy", np.array([[{"a": 1}]], dtype=object), allow_pickle=True)

    with pytest.raises(ConfigError, match=r"evil\.npy cannot be read"):
        store.load("evil")


@pytest.mark.parametrize(
    "content", [b"", b"\x93NUMPY\x01\x00v\x00{", b"not an array at all"], ids=["empty", "truncated", "text"]
)
def test_a_broken_stored_file_is_a_config_error_naming_it(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "broken.npy").write_bytes(content)

    with pytest.raises(ConfigError, match=r"background file broken\.npy cannot be read"):
        BackgroundStore(tmp_path).load("broken")


def test_npy_bytes_round_trip() -> None:
    original = np.arange(12, dtype=np.uint16).reshape(3, 4)

    array = array_from_npy_bytes(npy_bytes(original))

    assert array.dtype == np.uint16
    np.testing.assert_array_equal(array, original)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "int16", "int32", "float32", "float64"])
def test_npy_bytes_of_numeric_images_are_accepted(dtype: str) -> None:
    original = np.ones((2, 3), dtype=dtype)

    assert array_from_npy_bytes(npy_bytes(original)).dtype == np.dtype(dtype)


def test_a_pickle_is_not_npy_bytes() -> None:
    payload = pickle.dumps(np.ones((2, 3), dtype=np.uint16), protocol=0)

    with pytest.raises(ConfigError, match=r"not \.npy bytes"):
        array_from_npy_bytes(payload)


@pytest.mark.parametrize(
    "array",
    [np.zeros(5, dtype=np.uint16), np.zeros((2, 3, 4), dtype=np.uint16), np.array(3.0)],
    ids=["1-D", "3-D", "0-D"],
)
def test_images_that_are_not_2d_are_refused(array: np.ndarray) -> None:
    with pytest.raises(ConfigError, match=f"2-D numeric image, not {array.ndim}-D"):
        array_from_npy_bytes(npy_bytes(array))


@pytest.mark.parametrize(
    "array",
    [np.zeros((2, 2), dtype=bool), np.zeros((2, 2), dtype="U3"), np.zeros((2, 2), dtype=np.complex64)],
    ids=["bool", "text", "complex"],
)
def test_non_numeric_images_are_refused(array: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="2-D numeric image"):
        array_from_npy_bytes(npy_bytes(array))


def test_object_arrays_in_npy_are_refused() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([[None, 1]], dtype=object), allow_pickle=True)

    with pytest.raises(ConfigError, match="cannot be read"):
        array_from_npy_bytes(buffer.getvalue())


@pytest.mark.parametrize(
    "payload",
    [b"", b"hello", b"\x89PNG\r\n\x1a\n", b'{"data": [[1, 2]]}', bytes(range(256))],
    ids=["empty", "text", "png", "json", "binary"],
)
def test_garbage_is_refused(payload: bytes) -> None:
    with pytest.raises(ConfigError, match=r"not \.npy bytes"):
        array_from_npy_bytes(payload)


def test_truncated_npy_bytes_are_refused() -> None:
    payload = npy_bytes(np.ones((20, 20), dtype=np.uint16))

    for cut in (8, 40, len(payload) - 10):
        with pytest.raises(ConfigError, match="cannot be read"):
            array_from_npy_bytes(payload[:cut])
