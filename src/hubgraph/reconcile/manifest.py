"""The service manifest: what OpenRefine reads first, from ``GET /reconcile``."""

from __future__ import annotations

from hubgraph import __version__
from hubgraph.reconcile.preview import HEIGHT, WIDTH
from hubgraph.reconcile.register import TYPES, Register
from hubgraph.vocabulary import HG, ID


def manifest(base: str, register: Register) -> dict[str, object]:
    """``base`` is the service's public base URL, ending in ``/``."""
    service = base + "reconcile"
    policies = [e for e in register.entities if any(t.id == "policy" for t in e.types)]
    return {
        "versions": ["0.2"],
        "name": "hubgraph register",
        "identifierSpace": ID,
        "schemaSpace": HG,
        "serviceVersion": __version__,
        "documentation": base + "docs",
        "view": {"url": base + "entity/{{id}}"},
        "defaultTypes": [{"id": t.id, "name": t.name} for t in TYPES],
        "suggest": {
            kind: {"service_url": service, "service_path": f"/suggest/{kind}"}
            for kind in ("entity", "type", "property")
        },
        "preview": {"url": service + "/preview?id={{id}}", "width": WIDTH, "height": HEIGHT},
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/extend/propose"},
            "property_settings": [
                {
                    "type": "text",
                    "name": "date",
                    "label": "As of (YYYY-MM-DD)",
                    "default": "",
                    "help_text": "offices and positions as of this date; empty: the latest",
                },
                {
                    "type": "select",
                    "name": "policy",
                    "label": "Policy",
                    "default": "",
                    "help_text": "the policy whose latest position to fetch; empty: every one",
                    "choices": [{"value": "", "name": "every policy"}]
                    + [{"value": p.id, "name": p.name} for p in policies],
                },
            ],
        },
    }
