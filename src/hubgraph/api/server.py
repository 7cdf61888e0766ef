"""Running the app under uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from hubgraph.api.app import create_app
from hubgraph.config import Settings


def serve(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(settings)
    print(
        f"hubgraph: serving {settings.store} at http://{settings.host}:{settings.port}/", flush=True
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
