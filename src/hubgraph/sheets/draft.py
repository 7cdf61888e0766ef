"""``hubgraph new TEXT_FILE``: a draft coding sheet from an article's plain text (filled in
below, first version: quotes and mentions)."""

from __future__ import annotations

from pathlib import Path

from hubgraph.graph.register import Register


def draft_sheet(
    path: Path,
    register: Register,
    *,
    url: str | None = None,
    publisher: str | None = None,
    date: str | None = None,
) -> str:
    raise NotImplementedError
