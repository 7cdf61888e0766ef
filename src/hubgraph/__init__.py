"""hubgraph: a queryable knowledge graph of who committed to what, on which conditions,
according to whom."""

__version__ = "0.1.0"
