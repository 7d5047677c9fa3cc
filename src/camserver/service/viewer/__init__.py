"""The live viewer's server side: feeds of the watched streams, one session per browser, pictures.

* :mod:`.hub` shares one :mod:`.feed` per watched stream between browsers; the feed keeps the newest
  message and the values of the channels its browsers chart (:mod:`.history`);
* :mod:`.session` paces one browser and builds its frames;
* :mod:`.picture` renders the shown region as JPEG, with levels from :mod:`.contrast` and colours
  from :mod:`.colour` (the one colour path of camserver: the ``/image`` PNGs use it too);
* :mod:`.digest` and :mod:`.overlay` describe a message besides its picture;
* :mod:`.messages` describes every websocket message, both ways; :mod:`.settings` what a browser
  may ask for.
"""

from camserver.service.viewer.feed import ViewerFeed
from camserver.service.viewer.hub import StreamTarget, ViewerHub, ViewKind
from camserver.service.viewer.messages import BrowserMessage, ErrorMessage
from camserver.service.viewer.session import ViewerFrame, ViewerSession
from camserver.service.viewer.settings import MAX_FPS, ViewSettings

__all__ = [
    "MAX_FPS",
    "BrowserMessage",
    "ErrorMessage",
    "StreamTarget",
    "ViewKind",
    "ViewSettings",
    "ViewerFeed",
    "ViewerFrame",
    "ViewerHub",
    "ViewerSession",
]
