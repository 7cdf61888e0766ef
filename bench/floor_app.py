"""The floor of a Python HTTP server here: hubgraph's own HTTP stack answering a fixed body.

    python bench/floor_app.py PORT BODY_FILE CONTENT_TYPE

The same uvicorn configuration, HTTP protocol class (with hubgraph's limits) and per-client
limit as ``hubgraph serve``, in front of an ASGI app that answers every request with the bytes
of ``BODY_FILE`` — no routing, no query guard, no worker hop, no engine. Whatever a point lookup
costs hubgraph beyond this is ours to cut; what this costs beside the Oxigraph server is the
price of answering HTTP in Python on this machine, which no change inside hubgraph can lower.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from starlette.types import Receive, Scope, Send

from hubgraph.api.clients import ClientLimit
from hubgraph.api.protocol import protocol_for
from hubgraph.api.server import listening_socket
from hubgraph.config import Settings


def fixed_answer(body: bytes, content_type: str) -> object:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    port, body_file, content_type = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    settings = Settings.from_env(port=port)  # the HUBGRAPH_ limits the bench gives hubgraph
    app = ClientLimit(
        fixed_answer(body_file.read_bytes(), content_type),  # type: ignore[arg-type]
        settings.client_query_limit, settings.queue_timeout, settings.trusted_proxy_header,
    )  # fmt: skip
    sock = listening_socket(settings.host, port)
    config = uvicorn.Config(
        app, log_level="warning", http=protocol_for(settings), proxy_headers=False, lifespan="on"
    )
    print(f"floor: serving {body_file.name} at http://{settings.host}:{port}/", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
