"""HTTP limits, enforced where the bytes arrive.

uvicorn's httptools protocol accepts any number of header fields of any size, lets a client take
forever over its headers or body, and answers a request it cannot parse in plain text. The
limits must act before the app sees anything (an app only gets a request once its headers are
complete), so :class:`LimitedHttpToolsProtocol` extends that protocol: it counts header fields
and their bytes (also of a header still arriving), measures the request target, bounds the time
to send headers and body, bounds the time to deliver a response (a client that stops reading
is dropped), and answers each refusal — and any request httptools cannot parse — in hubgraph's
one error shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hubgraph.api.responses import error_body
from hubgraph.config import Settings
from hubgraph.errors import (
    BadRequest,
    HeadersTooLarge,
    HubgraphError,
    RequestTimeout,
    UriTooLong,
)

log = logging.getLogger("hubgraph.http")
REASONS = {400: b"Bad Request", 408: b"Request Timeout", 414: b"URI Too Long",
           431: b"Request Header Fields Too Large"}  # fmt: skip


@dataclass(frozen=True)
class Limits:
    max_headers: int
    max_header_bytes: int
    max_request_line: int
    header_timeout: float
    body_timeout: float
    response_timeout: float
    """Seconds from a response's first byte to its last; past it the connection is dropped."""

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.max_headers, settings.max_header_bytes, settings.max_request_line,
            settings.header_timeout, settings.body_timeout,
            settings.query_timeout + 2.0,  # the worker is stopped at the deadline before this
        )  # fmt: skip


class _Refused(Exception):
    def __init__(self, error: HubgraphError) -> None:
        super().__init__(error.message)
        self.error = error


def error_bytes(error: HubgraphError) -> bytes:
    body = json.dumps(error_body(error.status, error.code, error.message)).encode()
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (error.status, REASONS.get(error.status, b"Error")),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class _Corked:
    """A transport that holds what is written until :meth:`uncork`, then writes it at once."""

    __slots__ = ("_held", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._held.append(data)

    def uncork(self) -> None:
        if self._held:
            self._transport.write(b"".join(self._held))
            self._held.clear()

    def close(self) -> None:  # uvicorn closes after the last body of a non-keep-alive answer
        self.uncork()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: Limits  # set on a subclass by :func:`protocol_for`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal: HubgraphError | None = None
        self._in_head = True
        self._started = False
        """True once a byte of the current request has arrived."""
        self._head_bytes = 0
        self._header_count = 0
        self._header_size = 0
        self._begun = 0
        self._done = 0
        self._timer: asyncio.TimerHandle | None = None

    # -- timers --------------------------------------------------------------------------
    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_too_slow(self) -> None:
        self._timer = None
        if not self._started:  # an idle connection: nothing to answer
            if not self.transport.is_closing():
                self.transport.close()
            return
        self._refuse(RequestTimeout(
            f"the request's headers took longer than {self.limits.header_timeout:g} s"
        ))  # fmt: skip

    def _body_too_slow(self) -> None:
        self._timer = None
        if self.cycle is not None and not self.cycle.response_started:
            self.cycle.disconnected = True  # the app's answer, if any, goes nowhere
            self._refuse(RequestTimeout(
                f"the request's body took longer than {self.limits.body_timeout:g} s"
            ))  # fmt: skip
        else:
            self._drop()

    def _response_too_slow(self) -> None:
        self._timer = None
        log.warning("a response took longer than %g s to deliver; dropping the connection",
                    self.limits.response_timeout)  # fmt: skip
        self._drop()

    def _drop(self) -> None:
        """Close at once, with a reset: what sits in the kernel's send buffer (megabytes, for
        a client that stopped reading) is discarded rather than delivered at its pace."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def _refuse(self, error: HubgraphError) -> None:
        log.info("refused a request: %s", error.message)
        if not self.transport.is_closing():
            self.transport.write(error_bytes(error))
            self.transport.close()

    # -- the protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._started = True
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            self._in_head
            and self._head_bytes > self.limits.max_header_bytes + self.limits.max_request_line
            and not self.transport.is_closing()
        ):  # a header that never ends: httptools would buffer it without bound
            self._refuse(HeadersTooLarge(
                f"the request's headers are over {self.limits.max_header_bytes} bytes"
            ))  # fmt: skip

    def send_400_response(self, msg: str) -> None:
        # httptools could not parse the request, or one of our callbacks refused it.
        error = self._refusal or BadRequest("the request is not valid HTTP/1.1")
        self._refuse(error)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begun += 1
        self._in_head = True
        self._started = True
        self._header_count = 0
        self._header_size = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_request_line:
            self._refusal = UriTooLong(
                f"the request target is over {self.limits.max_request_line} bytes; "
                "send a long query with POST"
            )
            raise _Refused(self._refusal)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_size += len(name) + len(value) + 4
        if self._header_count > self.limits.max_headers:
            self._refusal = HeadersTooLarge(
                f"the request has over {self.limits.max_headers} header fields"
            )
            raise _Refused(self._refusal)
        if self._header_size > self.limits.max_header_bytes:
            self._refusal = HeadersTooLarge(
                f"the request's headers are over {self.limits.max_header_bytes} bytes"
            )
            raise _Refused(self._refusal)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        pipelined = self.cycle is not None and not self.cycle.response_complete
        if not pipelined:  # a pipelined request waits its turn; the timer is the current one's
            self._arm(self.limits.body_timeout, self._body_too_slow)
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is None:
            return
        send = cycle.send
        transport = cycle.transport

        async def send_within_deadline(message: Any) -> None:
            # The response deadline runs from its first byte; its last cancels it.
            if message["type"] == "http.response.start":
                self._arm(self.limits.response_timeout, self._response_too_slow)
                # The head waits for the first body bytes: one write, one segment, one wake-up
                # of the client for a small answer instead of two of each.
                cycle.transport = _Corked(transport)  # type: ignore[assignment]
                await send(message)
                return
            corked = cycle.transport
            try:
                await send(message)
            finally:
                if isinstance(corked, _Corked):
                    cycle.transport = transport
                    corked.uncork()
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._disarm()

        cycle.send = send_within_deadline  # type: ignore[method-assign]

    def on_message_complete(self) -> None:
        if self.cycle is not None and not self.cycle.response_started:
            self._disarm()  # the body is in; the app has the time it needs
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._disarm()
        self._done += 1
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self._begun == self._done:
            # Waiting for the next request on this connection: a fresh head, its own timer.
            # (uvicorn's keep-alive timer still closes a connection that stays idle.)
            self._in_head = True
            self._started = False
            self._head_bytes = 0
            self._arm(self.limits.header_timeout, self._head_too_slow)
        elif self._in_head:  # the next request has begun arriving
            self._arm(self.limits.header_timeout, self._head_too_slow)


def protocol_for(settings: Settings) -> type[LimitedHttpToolsProtocol]:
    """The protocol class uvicorn should use, with ``settings``' limits."""
    limits = Limits.of(settings)
    return type("HubgraphHttpProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})
