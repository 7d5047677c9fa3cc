"""``/api/v1/viewer``: the live viewer's websocket, and the feeds it runs.

``WS /api/v1/viewer/ws?kind=camera|pipeline&name=<name>[&fps=10&colormap=rainbow&min=&max=&zoom=x,y,w,h]``

The server sends each frame as one binary message: a 4-byte big-endian length, that many bytes of
JSON describing the frame (``"type": "frame"``: pulse id, shown region, levels, profiles, overlays,
scalar channels, ``processing_parameters``, statistics), then the JPEG. While no frame goes out it
sends a text message ``{"type": "status", ...}`` with the figures once a second.

The browser sends ``{"ack": <seq>}`` once it has drawn a frame (at most two frames wait for it),
``{"pixels": {"seq", "x", "y", "width", "height"}}`` for the raw values of a region (answered with a
text ``{"type": "pixels", ...}``), and may change its settings at any time with a JSON object of
them (``fps``, ``colormap``, ``min``, ``max``, ``low_percentile``, ``high_percentile``, ``zoom``,
``history``, ``max_width``, ``max_height``). Errors come as text ``{"type": "error", "status":
"<words>", "error": "<class>", "code": <HTTP status>}``; an error that ends the view also closes the
socket with code ``4000 + <HTTP status>``. Every message is described in
:mod:`camserver.service.viewer.messages`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect

from camserver.api.envelope import STATUS_OF, ok
from camserver.errors import CamServerError, ConfigError, PermissionDenied
from camserver.service.access_policy import AccessPolicy
from camserver.service.viewer.colour import COLORMAPS, colormap_colours
from camserver.service.viewer.hub import ViewerHub, ViewKind
from camserver.service.viewer.messages import BrowserMessage, ErrorMessage
from camserver.service.viewer.session import ViewerSession
from camserver.service.viewer.settings import DEFAULT_HISTORY, MAX_FPS, MAX_HISTORY_CHANNELS, ViewSettings

__all__ = ["router"]

logger = logging.getLogger("camserver.viewer")

router = APIRouter(prefix="/api/v1/viewer", tags=["viewer"])

#: seconds between status messages while no frame is sent
STATUS_INTERVAL = 1.0


def viewer_hub(request: Request) -> ViewerHub:
    """The server's viewer hub."""
    hub: ViewerHub = request.app.state.viewer_hub
    return hub


Hub = Annotated[ViewerHub, Depends(viewer_hub)]


@router.get("", summary="Streams the viewer watches now, with their figures")
def feeds(hub: Hub) -> dict[str, Any]:
    return ok(feeds=hub.feeds())


@router.get("/options", summary="Colour maps and limits of the viewer")
def options() -> dict[str, Any]:
    return ok(
        colormaps=sorted(COLORMAPS),
        colormap_colours=colormap_colours(),
        max_fps=MAX_FPS,
        max_history_channels=MAX_HISTORY_CHANNELS,
        default_history=list(DEFAULT_HISTORY),
        defaults=ViewSettings().model_dump(by_alias=True),
    )


def _status_code(error: BaseException) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def _error_text(error: CamServerError) -> str:
    message: ErrorMessage = {
        "type": "error",
        "state": "error",
        "status": str(error),
        "error": type(error).__name__,
        "code": _status_code(error),
    }
    return json.dumps(message)


async def _refuse(websocket: WebSocket, error: CamServerError) -> None:
    """Tell the browser why the view cannot be served, in words, and close."""
    await websocket.send_text(_error_text(error))
    reason = str(error).encode()[:120].decode(errors="ignore")
    await websocket.close(code=4000 + _status_code(error), reason=reason)


@router.websocket("/ws")
async def viewer_socket(websocket: WebSocket) -> None:
    """The live view of a camera or pipeline instance (see the module docstring)."""
    # an app without a policy (a bare viewer, as in benchmarks) gets the strictest: its own pages only
    policy: AccessPolicy = getattr(websocket.app.state, "access_policy", None) or AccessPolicy()
    try:  # a page of another site may not watch (nor start) instances: refused before accepting
        policy.check_websocket_origin(
            websocket.headers.get("origin"), host=websocket.headers.get("host"), scheme=websocket.url.scheme
        )
    except PermissionDenied as error:
        logger.warning("viewer refused: %s", error)
        await websocket.close(code=1008, reason=str(error)[:120])
        return
    await websocket.accept()
    hub: ViewerHub = websocket.app.state.viewer_hub
    query = dict(websocket.query_params)
    try:
        kind = ViewKind.parse(query.pop("kind", "camera"))
        name = query.pop("name", "")
        settings = ViewSettings.parse(query)
        feed = await asyncio.to_thread(hub.join, kind, name)
    except CamServerError as error:
        await _refuse(websocket, error)
        return
    session = ViewerSession(feed, settings)
    try:
        await _serve(websocket, session)
    finally:
        session.close()
        await asyncio.to_thread(hub.leave, feed)


async def _serve(websocket: WebSocket, session: ViewerSession) -> None:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    sending = asyncio.Lock()

    def new_message() -> None:  # called from the feed's thread
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(wake.set)

    token = session.feed.add_listener(new_message)
    reader = asyncio.create_task(_read(websocket, session, wake, sending))
    sender = asyncio.create_task(_send(websocket, session, wake, sending))
    try:
        done, _ = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, WebSocketDisconnect):
                raise error
    finally:
        session.feed.remove_listener(token)
        for task in (reader, sender):
            task.cancel()
        await asyncio.gather(reader, sender, return_exceptions=True)


async def _read(websocket: WebSocket, session: ViewerSession, wake: asyncio.Event, sending: asyncio.Lock) -> None:
    """Acknowledgements, pixel requests and settings from the browser, until it leaves."""
    while True:
        text = await websocket.receive_text()
        reply: str | None = None
        try:
            message = BrowserMessage.parse(json.loads(text))
            if message.ack is not None:
                session.acknowledge(message.ack)
            changes = message.settings()
            if changes:
                session.update(changes)
            if message.pixels is not None:
                reply = session.pixels(message.pixels)
        except (ValueError, TypeError) as error:
            problem = error if isinstance(error, ConfigError) else ConfigError(f"unreadable viewer message: {error}")
            reply = _error_text(problem)
        if reply is not None:
            async with sending:
                await websocket.send_text(reply)
        wake.set()


async def _send(websocket: WebSocket, session: ViewerSession, wake: asyncio.Event, sending: asyncio.Lock) -> None:
    """Frames as the session allows them; the figures once a second while there are none."""
    last_message = time.monotonic()
    last_error: str | None = None
    while True:
        wake.clear()
        delay = session.wait_time()
        if delay == 0:
            try:
                frame = await asyncio.to_thread(session.next_frame)
            except ConfigError as error:
                frame = None
                if str(error) != last_error:
                    last_error = str(error)
                    async with sending:
                        await websocket.send_text(_error_text(error))
            if frame is not None:
                last_error = None
                async with sending:
                    await websocket.send_bytes(frame.message())
                last_message = time.monotonic()
                continue
        timeout = STATUS_INTERVAL if delay is None or delay == 0 else min(delay, STATUS_INTERVAL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)
        if time.monotonic() - last_message >= STATUS_INTERVAL:
            async with sending:
                await websocket.send_text(session.status())
            last_message = time.monotonic()
