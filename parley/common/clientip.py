"""The client address used for lockouts and rate limits.

X-Forwarded-For is honoured only when the direct peer is a configured trusted
proxy, and then only the hop that proxy appended; anything a client writes
into the header itself is ignored, so rotating it buys no fresh attempts.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    for net in settings.TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def resolve_client_ip(peer: str, forwarded_for: str) -> str:
    """Walk X-Forwarded-For from the right while hops are trusted proxies."""
    addr = peer
    if not forwarded_for or not _trusted(peer):
        return addr
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    while hops and _trusted(addr):
        addr = hops.pop()
    return addr


def client_ip(request: HttpRequest) -> str:
    return resolve_client_ip(
        request.META.get("REMOTE_ADDR", "") or "", request.META.get("HTTP_X_FORWARDED_FOR", "")
    )
