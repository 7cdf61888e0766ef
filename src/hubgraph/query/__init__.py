"""Running user SPARQL: what guards it, where it runs, and what it may reach."""
