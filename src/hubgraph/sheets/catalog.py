"""What each sheet's local ids name, so that ``denies``/``contradicts`` may point at an
observation or claim of another source as ``<source-id>/<local-id>``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hubgraph.sheets.yamlread import read_yaml
from hubgraph.vocabulary import ID

KIND_PATHS = {
    "quotes": "quote",
    "statements": "sentence",
    "observations": "stance",
    "claims": "claim",
}
"""Sheet section → the IRI segment of its items."""


def item_iri(segment: str, source_id: str, local: str) -> str:
    return f"{ID}{segment}/{source_id}/{local}"


class Catalog:
    """source id → local id → IRI, for the sheets at hand."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, str]] = {}

    def add_sheet(self, path: Path) -> None:
        try:
            doc = read_yaml(path)
        except Exception:  # a broken sheet is reported when it is read for itself
            return
        if not isinstance(doc, dict):
            return
        source_id = str(doc.get("id") or path.stem)
        ids = self.items.setdefault(source_id, {})
        for section, segment in KIND_PATHS.items():
            for item in doc.get(section) or []:
                if isinstance(item, dict) and item.get("id"):
                    ids.setdefault(str(item["id"]), item_iri(segment, source_id, str(item["id"])))

    def add_sheets(self, paths: Iterable[Path]) -> None:
        for path in paths:
            self.add_sheet(path)

    def lookup(self, ref: str) -> tuple[str | None, str | None]:
        """(IRI, None), or (None, why not)."""
        source_id, _, local = ref.partition("/")
        if not local:
            return None, f"{ref!r} is not of the form <source-id>/<local-id>"
        ids = self.items.get(source_id)
        if ids is None:
            return None, f"no source {source_id!r} among the sheets in data/sources"
        if local not in ids:
            known = ", ".join(sorted(ids)) or "none"
            return None, f"no item {local!r} in source {source_id!r}; its ids are: {known}"
        return ids[local], None


def catalog_for(data_dir: Path, extra: Iterable[Path] = ()) -> Catalog:
    catalog = Catalog()
    sources = data_dir / "sources"
    if sources.is_dir():
        catalog.add_sheets(sorted(sources.glob("*.yaml")))
    catalog.add_sheets(extra)
    return catalog
