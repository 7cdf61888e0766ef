"""Running the app under uvicorn, behind hubgraph's HTTP limits and per-client fairness."""

from __future__ import annotations

import errno
import logging
import socket

import uvicorn

from hubgraph.api.app import create_app
from hubgraph.api.clients import ClientLimit
from hubgraph.api.protocol import protocol_for
from hubgraph.config import Settings
from hubgraph.errors import HubgraphError


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything else starts, so that a busy port is one
    clear sentence rather than a uvicorn log line after the workers have started."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise HubgraphError(
                f"port {port} on {host} is already in use (is another hubgraph serve "
                f"running?). Pick another port: hubgraph serve --port {port + 1}, or "
                f"HUBGRAPH_PORT={port + 1} make serve"
            ) from None
        raise HubgraphError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Every request is logged: without these each record also walks the stack for its caller
    # and asks for thread and process names no line shows (the logging HOWTO's optimization).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    sock = listening_socket(settings.host, settings.port)
    app = create_app(settings)
    limited = ClientLimit(
        app, settings.client_query_limit, settings.queue_timeout, settings.trusted_proxy_header
    )
    print(
        f"hubgraph: serving {settings.store} at http://{settings.host}:{settings.port}/", flush=True
    )
    config = uvicorn.Config(
        limited,
        log_level="warning",
        # RequestLog writes the one line per request. uvicorn's access log, though silenced by
        # the level, would still build its arguments (client address, quoted path) for each.
        access_log=False,
        http=protocol_for(settings),
        # The client address is the peer's unless HUBGRAPH_TRUSTED_PROXY_HEADER says otherwise;
        # uvicorn would otherwise believe X-Forwarded-For from any local process.
        proxy_headers=False,
        lifespan="on",
    )
    uvicorn.Server(config).run(sockets=[sock])
