"""Who may do what on this server, decided from a request's headers and its client's address.

Four rules, each answering one attack (the threat model is in docs/explanations/security.md):

- **Host**: the ``Host`` header must name this server (an IP address, one of its own names, or a
  name in ``allowed_hosts``): a web page on ``attacker.example`` whose name was re-pointed to
  127.0.0.1 (DNS rebinding) is refused.
- **Cross-site**: a request that changes something (``POST``, ``PUT``, ``DELETE``, ``PATCH``, and
  the ``GET`` routes that start instances, as CamServer's do) is refused when a browser says it
  comes from another site (``Sec-Fetch-Site``, ``Origin``), and when it carries a content type a
  page may send anywhere without asking (form posts, ``text/plain``).
- **Networks**: clients in ``read_networks`` may read, clients in ``write_networks`` may also
  write, without a token; anyone else needs the token.
- **Token**: ``Authorization: Bearer <token>``, compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from camserver.errors import PermissionDenied
from camserver.service.settings import ServerSettings

__all__ = ["AccessPolicy"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: methods that change something
UNSAFE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
#: content types a page may send to any site without a preflight (the CORS "simple" types)
_SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
#: ``Sec-Fetch-Site`` values of requests a page of this server (or the user) made
_OWN_SITES = frozenset({"same-origin", "none"})
#: ``GET`` routes that start instances (a camera's stream, a saved pipeline, single images)
_STARTING_ROUTES = (
    re.compile(r"^/api/v1/cam/(?!(?:aliases|groups|config_names|info|heartbeat|version|script)$)[^/]+$"),
    re.compile(r"^/api/v1/cam/[^/]+/(?:image|image_bytes|is_online|geometry)$"),
    re.compile(r"^/api/v1/pipeline/instance/[^/]+$"),
)
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _host_name(host: str) -> str:
    """The name part of a ``Host`` header (``name:port``, ``[v6]:port``), lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, default ports left out."""
    parts = urlsplit(value.strip().lower())
    port = parts.port
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


class AccessPolicy:
    """The rules of one server; every check raises :class:`PermissionDenied` saying what to do."""

    def __init__(
        self,
        *,
        token: str | None = None,
        read_networks: Iterable[str] = ("0.0.0.0/0", "::/0"),
        write_networks: Iterable[str] = (),
        served_names: Iterable[str] = _LOCAL_NAMES,
        allowed_origins: Iterable[str] = (),
    ) -> None:
        self.token = token
        self.read_networks: list[Network] = [ipaddress.ip_network(n, strict=False) for n in read_networks]
        self.write_networks: list[Network] = [ipaddress.ip_network(n, strict=False) for n in write_networks]
        names = {name.strip().lower().rstrip(".") for name in served_names if name}
        self.any_host = "*" in names
        self.served_names = frozenset(names - {"*"})
        self.allowed_origins = frozenset(_origin(origin) for origin in allowed_origins)

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> AccessPolicy:
        """The rules ``settings`` describe; the served names are this host's own names, the bind
        and advertised hosts, and ``allowed_hosts``."""
        names = {*_LOCAL_NAMES, settings.host, *settings.allowed_hosts}
        if settings.advertised_host:
            names.add(settings.advertised_host)
        for name in (socket.gethostname, socket.getfqdn):
            try:
                names.add(name())
            except OSError:  # a host without a resolvable name still serves its addresses
                continue
        return cls(
            token=settings.token,
            read_networks=settings.read_networks,
            write_networks=settings.write_networks,
            served_names=names,
            allowed_origins=settings.allowed_origins,
        )

    # -- the Host header ----------------------------------------------------------------------

    def check_host(self, host: str | None) -> None:
        """Refuse a ``Host`` that does not name this server (DNS rebinding). An IP address is
        always accepted: a page can only have that origin if it came from this server."""
        if host is None or self.any_host:
            return
        name = _host_name(host)
        if name in self.served_names or _is_address(name):
            return
        raise PermissionDenied(
            f"this server does not answer to the name {name!r} (Host header); use its own name or "
            "address, or add the name to the server's allowed_hosts setting"
        )

    # -- cross-site requests ------------------------------------------------------------------

    @staticmethod
    def changes_state(method: str, path: str) -> bool:
        """Whether a request may change something: an unsafe method, or a ``GET`` that starts
        an instance."""
        if method.upper() in UNSAFE_METHODS:
            return True
        return method.upper() == "GET" and any(route.match(path) for route in _STARTING_ROUTES)

    def own_origin(self, origin: str, *, scheme: str, host: str | None) -> bool:
        """Whether ``origin`` is this server as the request reached it, or an allowed origin."""
        if not origin or origin.strip().lower() == "null":
            return False
        normalised = _origin(origin)
        if normalised in self.allowed_origins:
            return True
        return host is not None and normalised == _origin(f"{scheme}://{host}")

    def check_site(self, method: str, path: str, headers: Mapping[str, str], *, scheme: str = "http") -> None:
        """Refuse a state-changing request that a page of another site made (headers with
        lower-case names)."""
        if not self.changes_state(method, path):
            return
        origin = headers.get("origin")
        host = headers.get("host")
        site = headers.get("sec-fetch-site", "").lower()
        if origin is not None:
            if not self.own_origin(origin, scheme=scheme, host=host):
                raise PermissionDenied(
                    f"{method} {path} from a page of {origin} is refused: only this server's own pages "
                    "(and the allowed_origins setting) may change it"
                )
        elif site and site not in _OWN_SITES:
            raise PermissionDenied(f"{method} {path} from another site ({site}) is refused: it changes the server")
        if method.upper() in UNSAFE_METHODS:
            media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
            if media_type in _SIMPLE_TYPES:
                raise PermissionDenied(
                    f"{method} {path} with Content-Type {media_type} is refused (any web page can send that): "
                    "send application/json, or application/octet-stream for uploads"
                )

    def check_websocket_origin(self, origin: str | None, *, host: str | None, scheme: str = "ws") -> None:
        """Refuse a websocket that a page of another site opens (browsers always send
        ``Origin``; other clients may leave it out)."""
        if origin is None:
            return
        http_scheme = "https" if scheme == "wss" else "http"
        if not self.own_origin(origin, scheme=http_scheme, host=host):
            raise PermissionDenied(
                f"the viewer is served to this server's own pages only, not to a page of {origin} "
                "(add it to the allowed_origins setting)"
            )

    # -- networks and the token ---------------------------------------------------------------

    @staticmethod
    def _in(client: str | None, networks: list[Network]) -> bool:
        if client is None or not networks:
            return False
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address.version == network.version and address in network for network in networks)

    def _token_given(self, authorization: str | None) -> bool:
        if not self.token or not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode())

    def check_read(self, client: str | None, authorization: str | None) -> None:
        """Reading: from a read or write network, or with the token."""
        if self._in(client, self.read_networks) or self._in(client, self.write_networks):
            return
        if self._token_given(authorization):
            return
        raise PermissionDenied(
            f"clients at {client or 'an unknown address'} need 'Authorization: Bearer <token>' with the server's "
            "token to read (or a place in its read_networks)"
        )

    def check_write(self, client: str | None, authorization: str | None) -> None:
        """Writing: from a write network, or with the token; a server with neither a token nor
        write networks takes writes from anyone who may read (loopback, or ``--no-auth``)."""
        if self._in(client, self.write_networks) or self._token_given(authorization):
            return
        if self.token:
            raise PermissionDenied("this route needs 'Authorization: Bearer <token>' with the server's token")
        if self.write_networks:
            raise PermissionDenied(
                f"clients at {client or 'an unknown address'} may not change this server: writes are accepted "
                "from its write_networks only"
            )
