"""The graph's curated parts: the entity register (and, beside it, the editorial graph)."""
