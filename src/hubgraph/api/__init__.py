"""The HTTP layer: a thin FastAPI shell over :class:`hubgraph.service.QueryService`."""

from hubgraph.api.app import create_app

__all__ = ["create_app"]
