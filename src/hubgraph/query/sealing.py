"""Cutting a query worker off the network.

The guard refuses SERVICE calls to endpoints off the allow-list, but the guard is code and code
has gaps. A worker that runs queries naming no allowed SERVICE therefore leaves the host's network
namespace as soon as it starts: in a fresh namespace there is only a loopback interface, and it
is down, so no connection can be made to anything, local or remote, whatever the query says.

This needs CAP_SYS_ADMIN (root, or a user namespace). Where the kernel refuses, the worker keeps
the host's network, says so loudly, and the pool reports the worker as not sealed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
PROBE = ("127.0.0.1", 9)
"""A loopback address to try after sealing: any answer other than "unreachable" means a leak."""


@dataclass(frozen=True)
class Sealing:
    sealed: bool
    detail: str


def _unshare(flags: int) -> int:
    # Python 3.11 has no os.unshare; libc has had unshare(2) since glibc 2.14.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        return ctypes.get_errno()
    return 0


def network_unreachable(address: tuple[str, int] = PROBE) -> bool:
    """True when a TCP connect to ``address`` fails for want of a network (not a refusal by a
    listener, which would prove the network is there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(address)
        except OSError as exc:
            return exc.errno in {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}
        return False


def seal_network() -> Sealing:
    """Move this process into a network namespace of its own and check that nothing is
    reachable from there."""
    if not hasattr(os, "sched_getaffinity"):  # not Linux: no namespaces
        return Sealing(False, "network namespaces are a Linux feature; this OS has none")
    error = _unshare(CLONE_NEWNET)
    if error:
        return Sealing(False, f"unshare(CLONE_NEWNET) failed: {os.strerror(error)}")
    if not network_unreachable():
        return Sealing(False, "a new network namespace still reached 127.0.0.1")
    return Sealing(True, "own network namespace, loopback down: no connection can be made")
