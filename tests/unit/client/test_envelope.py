"""Replies to results and errors: the envelope, and the server's exception classes again."""

from __future__ import annotations

import json
from typing import Any

import pytest

from camserver import errors
from camserver.api.envelope import STATUS_OF
from camserver.client.call import Reply
from camserver.client.envelope import STATUS_ERRORS, body_of, content_of, error_for, nothing, parsed, text_of
from camserver.models.replies import CameraNamesReply, GeometryReply, StreamReply


def _reply(status_code: int, body: Any, content_type: str = "application/json") -> Reply:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply("GET", "http://127.0.0.1:8888/api/v1/cam", status_code, content_type, content)


def _all_error_classes() -> list[type[errors.CamServerError]]:
    found: list[type[errors.CamServerError]] = [errors.CamServerError]
    for cls in found:
        found.extend(sub for sub in cls.__subclasses__() if sub not in found)
    return found


def _server_status(cls: type[BaseException]) -> int:
    """The status the server answers ``cls`` with (its table, most specific class first)."""
    return next(STATUS_OF[base] for base in cls.__mro__ if base in STATUS_OF)


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda cls: cls.__name__)
def test_every_server_error_is_raised_as_its_own_class(cls: type[errors.CamServerError]) -> None:
    reply = _reply(_server_status(cls), {"state": "error", "status": "what went wrong", "error": cls.__name__})
    with pytest.raises(errors.CamServerError) as raised:
        body_of(reply)
    assert type(raised.value) is cls
    assert str(raised.value) == "what went wrong"


def test_errors_are_also_the_builtin_exceptions_users_expect() -> None:
    reply = _reply(404, {"state": "error", "status": "Camera 'x' does not exist.", "error": "CameraNotFound"})
    with pytest.raises(KeyError):
        body_of(reply)
    with pytest.raises(ValueError, match="bad"):
        body_of(_reply(400, {"state": "error", "status": "bad", "error": "ConfigError"}))


@pytest.mark.parametrize(("status_code", "expected"), sorted(STATUS_ERRORS.items()))
def test_an_unnamed_error_is_mapped_by_its_status(status_code: int, expected: type[errors.CamServerError]) -> None:
    error = error_for(_reply(status_code, b"<html>Bad Gateway</html>", "text/html"))
    assert type(error) is expected
    assert f"HTTP {status_code}" in str(error)
    assert "http://127.0.0.1:8888/api/v1/cam" in str(error)
    assert "Bad Gateway" in str(error)


@pytest.mark.parametrize("status_code", [418, 500, 501, 507])
def test_other_statuses_are_camserver_errors(status_code: int) -> None:
    error = error_for(_reply(status_code, b"", "text/plain"))
    assert type(error) is errors.CamServerError
    assert str(error).endswith(f"answered HTTP {status_code}")


def test_an_error_name_the_client_does_not_know_falls_back_to_the_status() -> None:
    reply = _reply(405, {"state": "error", "status": "Method Not Allowed", "error": "HTTPError"})
    error = error_for(reply)
    assert type(error) is errors.ConfigError
    assert str(error) == "Method Not Allowed"


def test_a_named_base_class_is_kept_whatever_the_status() -> None:
    reply = _reply(500, {"state": "error", "status": "internal error: boom", "error": "CamServerError"})
    assert type(error_for(reply)) is errors.CamServerError


def test_camservers_errors_as_http_200_are_raised() -> None:
    reply = _reply(200, {"state": "error", "status": "Camera 'x' does not exist."})
    with pytest.raises(errors.CamServerError, match="Camera 'x' does not exist."):
        body_of(reply)
    with pytest.raises(errors.CamServerError, match="does not exist"):
        content_of(reply)


def test_an_error_without_a_message_names_the_request() -> None:
    error = error_for(_reply(409, {"state": "error", "error": "Conflict"}))
    assert type(error) is errors.Conflict
    assert "GET http://127.0.0.1:8888/api/v1/cam" in str(error)


def test_a_reply_that_is_not_the_envelope_is_an_error() -> None:
    with pytest.raises(errors.CamServerError, match="JSON envelope"):
        body_of(_reply(200, b"<html></html>", "text/html"))
    with pytest.raises(errors.CamServerError, match="JSON envelope"):
        body_of(_reply(200, [1, 2]))


def test_replies_are_parsed_with_the_servers_models() -> None:
    reply = _reply(200, {"state": "ok", "status": "ok", "cameras": ["a", "b"], "geometry": "wide"})
    assert parsed(CameraNamesReply)(reply).cameras == ["a", "b"]
    with pytest.raises(errors.CamServerError, match=r"unexpected StreamReply: stream: Field required"):
        parsed(StreamReply)(reply)
    with pytest.raises(errors.CamServerError, match="unexpected GeometryReply: geometry"):
        parsed(GeometryReply)(reply)
    assert nothing(reply) is None


def test_content_and_text_replies() -> None:
    assert content_of(_reply(200, b"\x89PNG", "image/png")) == b"\x89PNG"
    assert text_of(_reply(200, b"a - b - c - d\n", "text/plain")) == "a - b - c - d\n"
    with pytest.raises(errors.BackgroundNotFound):
        content_of(_reply(404, {"state": "error", "status": "no", "error": "BackgroundNotFound"}))
