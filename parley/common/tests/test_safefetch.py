"""The one address rule for server-side requests (parley.common.safefetch)."""

from __future__ import annotations

import ipaddress

import pytest

from parley.common.safefetch import Refused, address_allowed, check_url


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("64:ff9b::5db8:d70e", True),  # NAT64 of a public address
        ("2002:5db8:d70e::1", True),  # 6to4 of a public address
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.215.14", True),
        ("::7f00:1", False),  # IPv4-compatible
        ("::5db8:d70e", False),  # IPv4-compatible, even of a public address (deprecated form)
        ("64:ff9b::a00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b:1::5db8:d70e", False),  # local-use NAT64
        ("2002:a00:1::", False),
        ("2002:7f00:1::", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("ff02::1", False),
    ],
)
def test_address_rule(address: str, allowed: bool) -> None:
    assert address_allowed(ipaddress.ip_address(address)) is allowed


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "http:///x", "http://[::1/x"])
def test_only_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(Refused) as refused:
        check_url(url)
    assert refused.value.reason == "scheme"


def test_a_literal_private_address_is_refused_unless_allowed() -> None:
    with pytest.raises(Refused) as refused:
        check_url("http://[64:ff9b::7f00:1]:8080/x?a=1")
    assert refused.value.reason == "private"
    target = check_url("http://[64:ff9b::7f00:1]:8080/x?a=1", allow_private=True)
    assert (target.address, target.port, target.path) == ("64:ff9b::7f00:1", 8080, "/x?a=1")
