"""Whether a host is on the internet or inside our own network: what Flowpoint connects to on a business's word
(a webhook URL, a connector's server) must be the former, or an operator must have allowed the host."""

import ipaddress
import socket


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (CGNAT), reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (raises socket.gaierror when it does not)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
