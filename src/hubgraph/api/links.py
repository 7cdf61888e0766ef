"""The address links are built from: the configured public base URL when there is one, so
that a forged ``Host`` header cannot put another site's address into our responses."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from hubgraph.api.responses import service_of
from hubgraph.errors import ConfigError


def public_base(request: Request) -> str:
    """The service's base URL, ending in ``/``."""
    configured = service_of(request).settings.public_base_url
    if not configured:
        return str(request.base_url)
    if not configured.startswith(("http://", "https://")):
        raise ConfigError(
            f"HUBGRAPH_PUBLIC_BASE_URL={configured!r} is not an http:// or https:// URL"
        )
    return configured if configured.endswith("/") else configured + "/"


def public_url(request: Request, **changes: object) -> str:
    """The request's own URL under the public base, with ``changes`` to its query string."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items()]
    query = urlencode(params)
    return public_base(request) + request.url.path.lstrip("/") + (f"?{query}" if query else "")
