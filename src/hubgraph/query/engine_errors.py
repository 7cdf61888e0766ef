"""Reading the engine's words when a SERVICE call through the forwarder failed.

Apart from :mod:`hubgraph.query.forwarder` so that a query worker can read them without
importing the forwarder's HTTP client.
"""

from __future__ import annotations

import re

from hubgraph.errors import HubgraphError, ServiceFailed, ServiceTimeout

ENGINE_ERROR = re.compile(
    r"Error (?P<status>\d{3})\b.*? returned by http://127\.0\.0\.1:\d+/service/\d+ "
    r"with payload:\n(?P<payload>.*)",
    re.DOTALL,
)
"""How the engine reports a non-2xx answer from a SERVICE endpoint (here: from the forwarder,
whose refusals are written to be read by people)."""


def service_error(engine_message: str) -> HubgraphError | None:
    """The error to answer with when the engine failed because the forwarder refused or could
    not complete a SERVICE call: 504 for a timeout, 502 otherwise; None for other failures."""
    match = ENGINE_ERROR.search(engine_message)
    if match is None:
        return None
    payload = match["payload"].strip()
    return ServiceTimeout(payload) if match["status"] == "504" else ServiceFailed(payload)
