"""TRUSTED_PROXIES: X-Forwarded-For names the client only when the peer is a trusted proxy."""
from __future__ import annotations

from ipaddress import ip_network

import pytest

from service.web.clients import forwarded_client

PROXIES = (ip_network("10.0.0.0/8"), ip_network("::1/128"))


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    ("10.1.2.3", ["203.0.113.7"], PROXIES, "203.0.113.7"),
    ("10.1.2.3", ["198.51.100.1, 203.0.113.7"], PROXIES, "203.0.113.7"),  # the rightmost untrusted hop
    ("10.1.2.3", ["203.0.113.7, 10.9.9.9"], PROXIES, "203.0.113.7"),  # past our own second proxy
    ("10.1.2.3", ["203.0.113.7", "10.9.9.9"], PROXIES, "203.0.113.7"),  # the header sent twice
    ("10.1.2.3", ["10.8.8.8, 10.9.9.9"], PROXIES, "10.8.8.8"),  # only proxies: the farthest one
    ("10.1.2.3", [], PROXIES, "10.1.2.3"),
    ("10.1.2.3", ["not-an-address"], PROXIES, "10.1.2.3"),
    ("10.1.2.3", ["evil, 203.0.113.7"], PROXIES, "203.0.113.7"),
    ("10.1.2.3", ["203.0.113.7, evil, 10.9.9.9"], PROXIES, "10.9.9.9"),  # the last hop we can believe
    ("10.1.2.3", [" 2001:db8::1 "], PROXIES, "2001:db8::1"),
    ("::1", ["203.0.113.7"], PROXIES, "203.0.113.7"),
    ("192.0.2.1", ["203.0.113.7"], PROXIES, "192.0.2.1"),  # an untrusted peer's header is ignored
    ("10.1.2.3", ["203.0.113.7"], (), "10.1.2.3"),  # no proxies configured
    (None, ["203.0.113.7"], PROXIES, "unknown"),
    ("unix-socket", ["203.0.113.7"], PROXIES, "unix-socket"),
])
def test_the_client_address(peer, forwarded, trusted, client):
    assert forwarded_client(peer, forwarded, trusted) == client
