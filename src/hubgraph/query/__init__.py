"""Running user SPARQL: what guards it (the guard, readable syntax errors), where it runs, and
what it may reach."""
