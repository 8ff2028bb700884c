"""Requests the server makes to URLs people give it (outgoing webhooks; later link previews and
Web Push), without letting anyone reach into the server's own network (SSRF).

One rule, in one place:

- only http and https;
- the host is resolved ONCE; every address it resolves to must be public (`address_allowed`),
  and the connection goes to the address that was checked (a pinned-address connection: no
  second lookup a rebinding DNS server could answer differently). TLS still verifies the
  certificate against the host name, and the Host header names the host;
- an IPv6 address that embeds an IPv4 one is judged by the IPv4 it carries (IPv4-mapped
  `::ffff:0:0/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), and the forms whose IPv4 cannot
  be trusted are refused outright (IPv4-compatible `::/96`, local-use NAT64 `64:ff9b:1::/48`,
  Teredo `2001::/32`, whose client address is obfuscated and whose relay is anyone's);
- no redirects are followed (a redirect could lead past the check).

`allow_private=True` (settings such as BOT_WEBHOOK_ALLOW_PRIVATE, for tests and closed
networks) skips the address rule only; the connection is still pinned. `allow_loopback=True`
(LINK_PREVIEW_ALLOW_PRIVATE) lets loopback addresses through and nothing else: a test site on
127.0.0.1 can be fetched while a redirect into 10/8 or 169.254/16 is still refused.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


class Refused(Exception):
    """The URL may not be fetched. `reason`: "scheme", "resolve" or "private"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


def _v4_allowed(addr: ipaddress.IPv4Address) -> bool:
    return addr.is_global and not addr.is_multicast


def address_allowed(addr: Address) -> bool:
    """Whether the server may connect to `addr`: a public unicast address, judged by the IPv4
    address an IPv6 one carries."""
    if isinstance(addr, ipaddress.IPv4Address):
        return _v4_allowed(addr)
    if addr.ipv4_mapped is not None:
        return _v4_allowed(addr.ipv4_mapped)
    if addr in _V4_COMPATIBLE or addr in _NAT64_LOCAL or addr in _TEREDO:
        return False
    if addr in _NAT64:
        return _v4_allowed(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    if addr in _SIX_TO_FOUR:
        return addr.sixtofour is not None and _v4_allowed(addr.sixtofour)
    return addr.is_global and not addr.is_multicast


@dataclass(frozen=True)
class Target:
    """A URL that passed the check, with the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_url(url: str, *, allow_private: bool = False, allow_loopback: bool = False) -> Target:
    """Resolve `url`'s host once and check every address; raise Refused, or return the target
    to connect to (the first address)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("scheme", str(exc)) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("scheme", "use an http or https URL")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise Refused("resolve", str(exc)) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise Refused("resolve", "no address")
    if not allow_private and not all(
        address_allowed(addr) or (allow_loopback and addr.is_loopback) for addr in addresses
    ):
        raise Refused("private", "the host resolves into a private network")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


class _Pinned:
    """Connect to the checked address instead of resolving the host again."""

    address: str

    def _pinned(self, where: tuple[str, int], timeout: Any, source: Any = None) -> socket.socket:
        return socket.create_connection((self.address, where[1]), timeout, source)


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address
        self._create_connection = self._pinned  # type: ignore[assignment]


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        # The certificate is checked against the host name (SNI too), not the address.
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.address = target.address
        self._create_connection = self._pinned  # type: ignore[assignment]


def fetch(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float,
    max_bytes: int,
    allow_private: bool = False,
    allow_loopback: bool = False,
    deadline: float | None = None,
) -> Fetched:
    """One request to `url` under the rule above; at most `max_bytes` of the answer are read.

    `timeout` bounds each network wait; `deadline` (a `time.monotonic()` moment), when given,
    bounds the whole answer: the body is read in pieces and a server that trickles it past
    the deadline gets TimeoutError. Raises Refused when the URL may not be fetched, OSError
    (http.client's errors included) when the network fails. Any status is returned:
    redirects are not followed."""
    target = check_url(url, allow_private=allow_private, allow_loopback=allow_loopback)
    conn_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = conn_class(target, timeout)
    try:
        conn.request(method, target.path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read(max_bytes) if deadline is None else _read_until(response, max_bytes, deadline)
        return Fetched(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    except http.client.HTTPException as exc:
        raise OSError(f"HTTP protocol error: {exc!r}") from exc
    finally:
        conn.close()


def _read_until(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    """At most `max_bytes` of the body, in pieces, giving up at `deadline`."""
    chunks: list[bytes] = []
    left = max_bytes
    while left > 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the answer took longer than its deadline")
        chunk = response.read1(min(left, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
