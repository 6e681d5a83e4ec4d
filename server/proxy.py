"""The client's address, which the rate limits key on, behind a TLS-terminating reverse proxy.

`X-Forwarded-For` is believed only when the TCP peer is one of the trusted proxies (the setting
`GUOPEI_SERVER_TRUSTED_PROXIES`, or `serve --trusted-proxy`, addresses or networks): from anyone else
it is a header the client wrote itself, and keying a limit on it would let every request pick a fresh
address. Uvicorn's own handling of the header is switched off (`serve` passes proxy_headers=False):
it trusts 127.0.0.1 by default, which is every process on the server machine.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

TRUSTED_PROXIES_ENV = "GUOPEI_SERVER_TRUSTED_PROXIES"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str] | None = None) -> tuple[Network, ...]:
    """The trusted proxies: `entries`, or else the comma-separated environment setting. ValueError
    names an entry that is not an address or a network."""
    if entries is None:
        entries = os.environ.get(TRUSTED_PROXIES_ENV, "").split(",")
    networks = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"受信任的代理地址无法识别：{text}") from None
    return tuple(networks)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, networks: tuple[Network, ...]) -> str:
    """The address a request came from: the TCP peer, unless the peer is a trusted proxy, in which
    case the last address in X-Forwarded-For that is not itself a trusted proxy (the proxy appends what
    it saw; anything to its left the client may have written)."""
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # not an address: the proxy did not write it, so nothing to believe
    return peer
