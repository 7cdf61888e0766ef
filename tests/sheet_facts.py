"""What the coding sheets of data/ say, read straight from their YAML: the expectations of the
tests that query the served data, so that none of them hard-codes a count of the data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hubgraph.graph.register import Entity, Register, read_register
from hubgraph.sheets.yamlread import read_yaml

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Observation:
    sheet: str
    id: str
    holder: Entity
    position: str
    """The position's id, e.g. ``open-with-conditions``."""
    date: str
    condition_kinds: tuple[str, ...]
    quoted: bool
    """Whether its evidence holds a quote (not only statements)."""


@cache
def register() -> Register:
    return read_register(DATA_DIR / "register.yaml")


@cache
def sheets() -> tuple[dict[str, Any], ...]:
    paths = sorted((DATA_DIR / "sources").glob("*.yaml"))
    # The loader's own reader (YAML 1.2, dates as written), not a second one that reads
    # `no` or a time of day otherwise.
    return tuple(read_yaml(p) for p in paths)


@cache
def observations() -> tuple[Observation, ...]:
    found = []
    for sheet in sheets():
        quotes = {q["id"] for q in sheet.get("quotes") or []}
        for obs in sheet.get("observations") or []:
            found.append(
                Observation(
                    sheet=sheet["id"],
                    id=obs["id"],
                    holder=register().find(str(obs["holder"])),
                    position=obs["position"],
                    date=str(obs["date"]),
                    condition_kinds=tuple(c["kind"] for c in obs.get("conditions") or []),
                    quoted=bool(quotes & set(obs.get("evidence") or [])),
                )
            )
    return tuple(found)


def slug(label: str) -> str:
    """A position's label as its id: "approached, no stance known" → approached-no-stance-known."""
    return label.replace(",", "").replace(" ", "-")
