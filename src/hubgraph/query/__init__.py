"""SPARQL text before it reaches the engine: the guard, and readable syntax errors."""
