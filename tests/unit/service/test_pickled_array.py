"""Pickled background uploads: numpy's own pickles are read, everything else is refused unrun."""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from camserver.errors import ConfigError
from camserver.service.backgrounds import array_from_upload
from camserver.service.pickled_array import ALLOWED_GLOBALS, array_from_pickle

RECONSTRUCT = np._core.multiarray._reconstruct  # what ndarray.__reduce__ names


class Reduces:
    """An object that pickles as ``callable(*arguments)`` (the classic way to run code on load)."""

    def __init__(self, target: Any, *arguments: Any, state: Any = None) -> None:
        self.target, self.arguments, self.state = target, arguments, state

    def __reduce__(self) -> Any:
        if self.state is None:
            return (self.target, self.arguments)
        return (self.target, self.arguments, self.state)


def fake_array(state: Any, protocol: int = 2) -> bytes:
    """A pickle shaped like an ndarray's, with the BUILD state given."""
    return pickle.dumps(Reduces(RECONSTRUCT, np.ndarray, (0,), b"b", state=state), protocol=protocol)


# -- what is accepted -------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", ">u2", "float32", "<f8"])
def test_numpy_pickles_of_every_protocol_are_read_exactly(protocol: int, dtype: str) -> None:
    original = (np.arange(12).reshape(3, 4) * 3).astype(dtype)

    array = array_from_pickle(pickle.dumps(original, protocol=protocol))

    np.testing.assert_array_equal(array, original)
    assert array.dtype == np.dtype(dtype).newbyteorder("=")
    assert array.flags.c_contiguous
    assert array.flags.writeable


def test_fortran_order_and_views_are_read_as_their_values() -> None:
    original = np.asfortranarray(np.arange(20, dtype=np.uint16).reshape(4, 5))
    np.testing.assert_array_equal(array_from_pickle(pickle.dumps(original, protocol=0)), original)
    view = np.arange(40, dtype=np.uint16).reshape(5, 8)[::2, 1::3]
    np.testing.assert_array_equal(array_from_pickle(pickle.dumps(view, protocol=2)), view)


def test_a_numpy_1_pickle_is_read() -> None:
    original = np.arange(6, dtype=np.uint16).reshape(2, 3)
    payload = pickle.dumps(original, protocol=0).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"cnumpy.core.multiarray\n_reconstruct" in payload

    np.testing.assert_array_equal(array_from_pickle(payload), original)


def test_uploads_accept_the_pickle_psi_camserver_client_sends_and_npy_bytes() -> None:
    original = np.full((4, 6), 9, np.uint16)
    np.testing.assert_array_equal(array_from_upload(pickle.dumps(original, protocol=0)), original)
    buffer = io.BytesIO()
    np.save(buffer, original, allow_pickle=False)
    np.testing.assert_array_equal(array_from_upload(buffer.getvalue()), original)


def test_the_allow_list_names_only_what_an_array_pickle_needs() -> None:
    assert {name for _, name in ALLOWED_GLOBALS} == {"ndarray", "dtype", "_reconstruct", "_frombuffer", "encode"}


# -- what runs code is refused before it runs --------------------------------------------------


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "ran"


def hostile_pickles(marker: Path) -> dict[str, Any]:
    command = f"touch {marker}"
    return {
        "os.system": Reduces(os.system, command),
        "eval": Reduces(eval, f"open({str(marker)!r}, 'w')"),
        "exec": Reduces(exec, f"open({str(marker)!r}, 'w')"),
        "subprocess": Reduces(subprocess.Popen, ["touch", str(marker)]),
        "getattr": Reduces(getattr, Reduces(__import__, "os"), "system"),
        "object array holding a reducer": np.array([Reduces(os.system, command)], dtype=object),
        "nested object arrays": np.array(
            [np.arange(2), np.array([Reduces(os.system, command)], dtype=object)], dtype=object
        ),
        "array subclass": np.zeros((2, 2)).view(np.matrix),
        "array inside a dict": {"image": np.zeros((2, 2)), "run": Reduces(os.system, command)},
        "array after a reducer": (Reduces(os.system, command), np.zeros((2, 2))),
    }


@pytest.mark.parametrize("protocol", [0, 2, 5])
@pytest.mark.parametrize(
    "case",
    ["os.system", "eval", "exec", "subprocess", "getattr", "object array holding a reducer", "nested object arrays",
     "array subclass", "array inside a dict", "array after a reducer"],
)  # fmt: skip
def test_hostile_pickles_are_refused_and_nothing_runs(marker: Path, case: str, protocol: int) -> None:
    payload = pickle.dumps(hostile_pickles(marker)[case], protocol=protocol)

    with pytest.raises(ConfigError, match="refused|not a readable pickle"):
        array_from_upload(payload)

    assert not marker.exists()


def test_the_refusal_names_what_the_pickle_asked_for(marker: Path) -> None:
    with pytest.raises(ConfigError, match=r"refused: the pickle refers to (posix|os|nt)\.system") as raised:
        array_from_upload(pickle.dumps(Reduces(os.system, f"touch {marker}"), protocol=0))
    assert ".npy bytes" in str(raised.value)


def test_an_extension_code_resolves_through_the_allow_list_too(marker: Path) -> None:
    copyreg.add_extension("posix", "system", 0x2F00)
    try:
        payload = pickle.dumps(Reduces(os.system, f"touch {marker}"), protocol=2)
    finally:
        copyreg.remove_extension("posix", "system", 0x2F00)
    copyreg.add_extension("posix", "system", 0x2F00)  # known to the reader as well
    try:
        assert b"\x83" in payload  # EXT2
        with pytest.raises(ConfigError, match="refers to posix.system"):
            array_from_pickle(payload)
    finally:
        copyreg.remove_extension("posix", "system", 0x2F00)
    assert not marker.exists()


def test_persistent_ids_and_out_of_band_buffers_are_refused() -> None:
    class Persistent(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            return "outside" if isinstance(obj, str) else None

    buffer = io.BytesIO()
    Persistent(buffer, protocol=2).dump(["a reference"])
    with pytest.raises(ConfigError, match="persistent object"):
        array_from_pickle(buffer.getvalue())
    out_of_band = pickle.dumps(np.zeros((2, 2)), protocol=5, buffer_callback=lambda _: False)
    with pytest.raises(ConfigError, match="not a readable pickle"):
        array_from_pickle(out_of_band)


@pytest.mark.parametrize(
    ("dtype", "reason"),
    [("O", "not a numeric type"), ("U3", "not a numeric type"), ("V4", "not a numeric type"),
     ([("a", "u2")], "not a numeric type code"), ("(2,)u1", "not a numeric type")],
)  # fmt: skip
def test_dtypes_other_than_plain_numbers_are_refused(dtype: Any, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        array_from_pickle(pickle.dumps(Reduces(np.dtype, dtype, False, True), protocol=2))


def test_a_dtype_state_with_other_flags_is_refused() -> None:
    payload = b"cnumpy\ndtype\n(Vu2\nI00\nI01\ntR(I3\nV<\nNNNI-1\nI-1\nI63\ntb."
    with pytest.raises(ConfigError, match="dtype state"):
        array_from_pickle(payload)


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ((1, (10**6, 10**6), np.dtype("u2"), False, b"\0" * 12), "holds 12 bytes"),
        ((1, (2, -3), np.dtype("u2"), False, b"\0" * 12), "not a tuple of sizes"),
        ((1, [2, 3], np.dtype("u2"), False, b"\0" * 12), "not a tuple of sizes"),
        ((1, (2, 3), "u2", False, b"\0" * 12), "not a numeric numpy dtype"),
        ((1, (1,), np.dtype("u2"), False, ["an", "object", "list"]), "not bytes"),
        ((1, (2, 3), np.dtype("u2")), "not \\(version, shape"),
    ],
)
def test_array_states_that_do_not_describe_their_data_are_refused(state: Any, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        array_from_pickle(fake_array(state))


def test_a_memo_that_replays_encode_cannot_inflate_memory() -> None:
    # one 100 kB string, then encode(string) called a hundred times through the memo: 10 MB from 100 kB
    replay = b"0g0\ng1\nR" * 100
    payload = b"c_codecs\nencode\np0\n(V" + b"a" * 100_000 + b"\nVlatin1\ntp1\n" + replay + b"."
    with pytest.raises(ConfigError, match="more data than it holds"):
        array_from_pickle(payload)


def test_two_arrays_in_one_pickle_are_refused() -> None:
    with pytest.raises(ConfigError, match="more than one array"):
        array_from_pickle(pickle.dumps([np.zeros((2, 2)), np.ones((2, 2))], protocol=2))


def test_setting_the_state_of_an_allowed_global_is_refused() -> None:
    payload = b"c_codecs\nencode\n(N(dVbudget\nI0\nstb."
    with pytest.raises(ConfigError, match="refused"):
        array_from_pickle(payload)


@pytest.mark.parametrize(
    "payload",
    [b"", b"not a pickle at all", pickle.dumps(np.zeros((2, 2)), protocol=0)[:-20], b"(" * 100_000],
    ids=["empty", "text", "truncated", "deeply nested"],
)
def test_unreadable_payloads_are_config_errors(payload: bytes) -> None:
    with pytest.raises(ConfigError):
        array_from_upload(payload)


def test_plain_values_and_non_images_are_refused() -> None:
    with pytest.raises(ConfigError, match="holds no numpy array"):
        array_from_pickle(pickle.dumps([1, 2, 3], protocol=0))
    with pytest.raises(ConfigError, match="2-D numeric image, not 3-D"):
        array_from_upload(pickle.dumps(np.zeros((2, 2, 2), np.uint16), protocol=0))
    with pytest.raises(ConfigError, match="2-D numeric image"):
        array_from_upload(pickle.dumps(np.zeros((2, 2), bool), protocol=0))
