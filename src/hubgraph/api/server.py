"""Running the app under uvicorn, behind hubgraph's HTTP limits and per-client fairness."""

from __future__ import annotations

import logging

import uvicorn

from hubgraph.api.app import create_app
from hubgraph.api.clients import ClientLimit
from hubgraph.api.protocol import protocol_for
from hubgraph.config import Settings


def serve(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(settings)
    limited = ClientLimit(
        app, settings.client_query_limit, settings.queue_timeout, settings.trusted_proxy_header
    )
    print(
        f"hubgraph: serving {settings.store} at http://{settings.host}:{settings.port}/", flush=True
    )
    config = uvicorn.Config(
        limited,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        http=protocol_for(settings),
        # The client address is the peer's unless HUBGRAPH_TRUSTED_PROXY_HEADER says otherwise;
        # uvicorn would otherwise believe X-Forwarded-For from any local process.
        proxy_headers=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()
