"""Reconciliation (W3C Reconciliation Service API 0.2, what OpenRefine speaks) against the
register: matching names to entities with explained scores, suggest, preview and data
extension. Library code only; ``hubgraph.api.reconcile`` is its HTTP shell.

    names       normalised forms and similarity of names
    register    the register read over SPARQL: entities and mandates; stances on demand
    batch       reading and bounding what clients send
    features    what matched, per candidate
    scoring     features → score and ``match``
    matching    queries → candidates
    properties  the properties for conditions, suggest and extension
    suggest, preview, extend, manifest — the other operations
    service     the Reconciler: a register snapshot per store version, and the operations
"""

from hubgraph.reconcile.service import Reconciler

__all__ = ["Reconciler"]
