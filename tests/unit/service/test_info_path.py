"""CamServer's nested info paths."""

from __future__ import annotations

import pytest

from camserver.errors import NotFound
from camserver.service.info_path import navigate

INFO = {"active_instances": {"a": {"rx": "10.00Hz - 5"}, "b": {"rx": "1.00Hz - 1"}}, "servers": ["s1", "s2"]}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", INFO),
        ("active_instances/_keys", ["a", "b"]),
        ("active_instances/1/rx", "1.00Hz - 1"),
        ("active_instances/a/rx/_split_Hz/0", "10.00"),
        ("servers/-1", "s2"),
        ("active_instances/_values/0/rx", "10.00Hz - 5"),
    ],
)
def test_segments_step_in(path: str, expected: object) -> None:
    assert navigate(INFO, path) == expected


def test_a_missing_segment_is_named() -> None:
    with pytest.raises(NotFound, match="'nothing' is not in dict"):
        navigate(INFO, "active_instances/nothing")
    with pytest.raises(NotFound, match="'7' is not in list"):
        navigate(INFO, "servers/7")
