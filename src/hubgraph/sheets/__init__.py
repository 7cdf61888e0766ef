"""Coding sheets: one YAML file per source, read with line numbers, resolved against the entity
register and compiled to the RDF of the source's named graph (see docs/coding-sheet.md)."""
