"""Who the client is: the peer address, or the one X-Forwarded-For names when the peer is a trusted proxy."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

from service.web.keys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
CLIENT = web.RequestKey("client_address", str)


def client_address(request: web.Request) -> str:
    """The peer, or the client X-Forwarded-For names when the peer is a trusted proxy; worked out once."""
    known = request.get(CLIENT)
    if known is None:
        trusted = request.app[SETTINGS].trusted_proxies
        known = request[CLIENT] = forwarded_client(request.remote, request.headers.getall("X-Forwarded-For", ()),
                                                   trusted)
    return known


def forwarded_client(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """Walks X-Forwarded-For from the right (the entries our own proxies appended) past every trusted address;
    the first untrusted one is the client. An untrusted peer, or garbage in the header, leaves the peer."""
    client = peer or "unknown"
    if not trusted or not _trusted(client, trusted):
        return client
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return client  # a hop we cannot read: nothing left of it can be believed
        client = str(address)
        if not any(address in network for network in trusted):
            return client
    return client


def _trusted(peer: str, trusted: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in trusted)
