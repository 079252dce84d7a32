"""Which user is at the other end of a loopback TCP connection.

Any user of the machine can connect to a port on 127.0.0.1, so a server that
hands out a secret there must know who asks. Linux lists every TCP socket of
the network namespace in /proc/net/tcp and /proc/net/tcp6, each with its
state, its owner's uid and its inode; the client's socket is the row whose
local address is the peer address the server saw and whose remote address is
the server's. Other systems have no such list: there the answer is None and
the caller must not hand anything out.
"""

from __future__ import annotations

import ipaddress
import socket
import struct

TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
_ESTABLISHED = "01"


def available() -> bool:
    """Whether ``uid_of`` can answer on this system."""
    try:
        with open(TABLES[0], "rb"):
            return True
    except OSError:
        return False


def uid_of(peer: tuple, server: tuple) -> int | None:
    """The uid owning the connected socket at ``peer`` that talks to ``server``, else None.

    Only an established socket that a process still holds counts (inode not
    0): a socket its owner closed is listed as root's on some kernels, and
    can no longer read an answer anyway.
    """
    wanted = (_address(peer), _address(server))
    for table in TABLES:
        try:
            with open(table, encoding="ascii") as rows:
                next(rows, None)  # the header
                for row in rows:
                    fields = row.split()
                    if len(fields) < 10 or fields[3] != _ESTABLISHED or fields[9] == "0":
                        continue
                    if (_listed(fields[1]), _listed(fields[2])) == wanted:
                        return int(fields[7])
        except (OSError, ValueError):
            continue
    return None


def _address(pair: tuple) -> tuple:
    """``(ip, port)`` with an IPv4-mapped IPv6 address as the IPv4 one it maps."""
    ip = ipaddress.ip_address(pair[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip, int(pair[1])


def _listed(text: str) -> tuple:
    """A ``HEXADDRESS:HEXPORT`` of the tables: the address is 32-bit words in host byte order."""
    address, port = text.split(":")
    raw = b"".join(struct.pack("=I", int(address[i : i + 8], 16)) for i in range(0, len(address), 8))
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return _address((socket.inet_ntop(family, raw), int(port, 16)))
