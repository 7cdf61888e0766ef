"""The only way a query's SERVICE call leaves the machine.

The engine's SERVICE client has no timeout and sends its own User-Agent, and it would call any
IRI it is given. So the worker that runs queries with allow-listed SERVICE calls is handed a
query whose SERVICE targets were rewritten by :meth:`ServiceForwarder.rewrite_services` to
``http://127.0.0.1:PORT/service/N``: our forwarder, where ``N`` indexes the allow-list. The
forwarder passes the SPARQL Protocol request on (GET or POST, the query string, the body, Accept
and Content-Type) to that one endpoint, with its own timeout, size limit and a User-Agent that
says who is calling; any other path is refused.

It runs in threads of its own (:class:`http.server.ThreadingHTTPServer`), never on the server's
event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from hubgraph import __version__
from hubgraph.errors import ServiceNotAllowed
from hubgraph.query.engine_errors import service_error  # noqa: F401  (its old home)

log = logging.getLogger("hubgraph.forwarder")
FORWARDED_HEADERS = ("accept", "content-type")
SHOWN_BYTES = 300
"""How much of a failing endpoint's own answer the error message quotes."""
UPSTREAM_TIMEOUT = ("TimeoutException", "Query deadline is expired", "query timeout")
"""What endpoints say when their own time limit stopped the query (Wikidata's Blazegraph says
java.util.concurrent.TimeoutException)."""


def user_agent(contact: str) -> str:
    return f"hubgraph/{__version__} (+{contact}; SPARQL federation for a hubgraph endpoint)"


def upstream_failure(
    endpoint: str, status: int, reason: str, content: bytes, retry_after: str = ""
) -> tuple[int, str]:
    """Status and words for an endpoint's non-2xx answer: the engine would otherwise show its
    raw body (an HTML page, a Java stack trace) as the whole explanation."""
    text = " ".join(content[:SHOWN_BYTES].decode("utf-8", "replace").split())
    if any(marker in text for marker in UPSTREAM_TIMEOUT) or status == 504:
        return 504, (
            f"SERVICE <{endpoint}> stopped the query at its own time limit (it answered "
            f"{status} {reason}); ask for less, or retry later: {text}"
        )
    if status == 429:
        wait = f"retry in {retry_after} s" if retry_after.isdigit() else "retry later"
        return 502, (
            f"SERVICE <{endpoint}> is rate-limiting this server (429 Too Many Requests); "
            f"{wait}: {text}"
        )
    return 502, f"SERVICE <{endpoint}> answered {status} {reason}: {text}"


def retarget_services(text: str, calls: Sequence[Any], targets: dict[str, str]) -> str:
    """``text`` with each SERVICE call whose target is a key of ``targets`` sent to its value
    instead (a canned query names Wikidata; the server may be configured to use a mirror).
    ``calls`` are the guard's spans, so only real SERVICE targets are touched."""
    out = text
    for call in sorted(calls, key=lambda c: c.start, reverse=True):
        new = targets.get(call.target)
        if new is not None and new != call.target:
            out = out[: call.start] + f"<{new}>" + out[call.end :]
    return out


def rewrite_services(text: str, calls: Sequence[Any], allowlist: Sequence[str], port: int) -> str:
    """``text`` with each SERVICE target in ``calls`` replaced by the forwarder's URL for it.
    A target off the allow-list is refused (the guard refuses it first; this is the backstop)."""
    out = text
    for call in sorted(calls, key=lambda c: c.start, reverse=True):
        if call.target not in allowlist:
            raise ServiceNotAllowed(f"SERVICE <{call.target}> is not on this server's allow-list")
        n = list(allowlist).index(call.target)
        out = out[: call.start] + f"<http://127.0.0.1:{port}/service/{n}>" + out[call.end :]
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("forwarder: " + format, *args)

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _refuse(self, status: int, message: str) -> None:
        body = message.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _forward(self) -> None:
        forwarder = self.server.forwarder
        path, _, query = self.path.partition("?")
        index = path.removeprefix("/service/")
        if not path.startswith("/service/") or not index.isdigit():
            self._refuse(404, "only /service/N is forwarded")
            return
        if int(index) >= len(forwarder.allowlist):
            self._refuse(404, f"no allow-listed endpoint number {index}")
            return
        endpoint = forwarder.allowlist[int(index)]
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > forwarder.max_bytes:
            self._refuse(413, "the SERVICE request body is too large or has no length")
            return
        body = self.rfile.read(int(length)) if int(length) else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED_HEADERS}
        headers["User-Agent"] = forwarder.user_agent
        url = endpoint + (("&" if "?" in endpoint else "?") + query if query else "")
        forwarder.calls.append((self.command, endpoint))
        try:
            status, response_headers, content = forwarder.fetch(self.command, url, headers, body)
        except httpx.TimeoutException:
            log.warning("SERVICE %s: no answer within %g s", endpoint, forwarder.timeout)
            self._refuse(
                504, f"SERVICE <{endpoint}> gave no complete answer within {forwarder.timeout:g} s "
                "(this server's SERVICE timeout)",
            )  # fmt: skip
            return
        except httpx.HTTPError as exc:
            log.warning("SERVICE %s failed: %s", endpoint, exc)
            self._refuse(502, f"SERVICE <{endpoint}> could not be reached: {exc}")
            return
        except _TooLarge as exc:
            log.warning("SERVICE %s: %s", endpoint, exc)
            self._refuse(502, f"SERVICE <{endpoint}>: {exc}")
            return
        if not 200 <= status < 300:
            retry_after = response_headers.get("retry-after", "")
            code, message = upstream_failure(
                endpoint, status, _reason(status), content, retry_after
            )
            log.warning("SERVICE %s answered %d", endpoint, status)
            self._refuse(code, message)
            return
        self.send_response(status)
        if content_type := response_headers.get("content-type", ""):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _TooLarge(Exception):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    forwarder: ServiceForwarder


class ServiceForwarder:
    """A loopback HTTP server that passes SPARQL requests to allow-listed endpoints only."""

    def __init__(
        self,
        allowlist: Sequence[str],
        *,
        timeout: float,
        max_bytes: int,
        contact: str,
    ) -> None:
        self.allowlist = tuple(allowlist)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent(contact)
        self.calls: list[tuple[str, str]] = []
        """(method, endpoint) of each forwarded call, newest last (for tests and logs)."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.forwarder = self
        self.port: int = self._server.server_address[1]
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="hubgraph-forwarder", daemon=True
        )
        self._thread.start()

    @classmethod
    def from_settings(cls, settings: Any) -> ServiceForwarder:
        return cls(
            settings.service_allowlist, timeout=settings.service_timeout,
            max_bytes=settings.service_max_bytes, contact=settings.contact_url,
        )  # fmt: skip

    def rewrite_services(self, text: str, calls: Sequence[Any]) -> str:
        """``text`` with each allow-listed SERVICE target (``ServiceCall`` spans) pointing here."""
        return rewrite_services(text, calls, self.allowlist, self.port)

    def fetch(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, httpx.Headers, bytes]:
        """The endpoint's status, headers and whole body, within the timeout and size limit."""
        deadline = time.monotonic() + self.timeout
        request = self._client.build_request(method, url, headers=headers, content=body or None)
        response = self._client.send(request, stream=True)
        try:
            content = bytearray()
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > self.max_bytes:
                    raise _TooLarge(f"the SERVICE answer is over {self.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"the SERVICE answer took over {self.timeout:g} s")
            return response.status_code, response.headers, bytes(content)
        finally:
            response.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()
