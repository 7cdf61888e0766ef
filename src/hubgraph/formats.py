"""Media types ↔ result formats, and content negotiation by the ``Accept`` header."""

from __future__ import annotations

from dataclasses import dataclass

from hubgraph.errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    name: str
    """Short name for ``?format=`` and the CLI (json, csv, turtle …)."""
    media_type: str
    engine_name: str
    """pyoxigraph's name: a ``QueryResultsFormat`` or ``RdfFormat`` attribute."""
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("+json", "+xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "JSON", ("application/json",)),
    Format("xml", "application/sparql-results+xml", "XML", ("application/xml", "text/xml")),
    Format("csv", "text/csv", "CSV"),
    Format("tsv", "text/tab-separated-values", "TSV"),
)

GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "TURTLE", ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", "N_TRIPLES", ("text/plain",)),
    Format("nquads", "application/n-quads", "N_QUADS"),
    Format("trig", "application/trig", "TRIG"),
    Format("rdfxml", "application/rdf+xml", "RDF_XML", ("application/xml", "text/xml")),
    Format("jsonld", "application/ld+json", "JSON_LD", ("application/json",)),
)

RECORDS_JSON = Format("records", "application/json", "records")
RECORDS_CSV = Format("csv", "text/csv", "records-csv")
SPREADSHEET_CSV = Format("csv-spreadsheet", "text/csv", "records-csv-spreadsheet")
"""CSV whose text cells a spreadsheet will not run as formulas (``'`` before ``=+-@``…)."""
TABLE_FORMATS: tuple[Format, ...] = (
    RECORDS_JSON,
    RECORDS_CSV,
    Format("sparql-json", "application/sparql-results+json", "JSON"),
    SPREADSHEET_CSV,
)


def by_name(name: str, available: tuple[Format, ...]) -> Format:
    for fmt in available:
        if name.lower() in {fmt.name, fmt.media_type, *fmt.aliases}:
            return fmt
    names = ", ".join(f.name for f in available)
    raise NotAcceptable(f"format {name!r} is not available here; choose one of: {names}")


def parse_accept(header: str) -> list[tuple[str, float, int]]:
    """``Accept`` as (media range, q, position), best first; malformed q-values count as 1."""
    ranges = []
    for position, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 1.0
        ranges.append((media, q, position))
    return ranges


def _matches(media_range: str, fmt: Format) -> int:
    """How specifically ``media_range`` names ``fmt``: 3 exact, 2 alias, 1 type/*, 0 */*, -1 no."""
    if media_range == fmt.media_type:
        return 3
    if media_range in fmt.aliases:
        return 2
    if media_range.endswith("/*") and fmt.media_type.startswith(media_range[:-1]):
        return 1
    return 0 if media_range == "*/*" else -1


def negotiate(accept: str | None, available: tuple[Format, ...]) -> Format:
    """The format the client prefers among ``available`` (the first one when it has no
    preference). Each format takes the q-value of the most specific range that names it."""
    if not accept or not accept.strip():
        return available[0]
    ranges = parse_accept(accept)
    best: tuple[float, int, int, int] | None = None
    chosen: Format | None = None
    for rank, fmt in enumerate(available):
        specificity, q = -1, 0.0
        for media, q_value, _ in ranges:
            level = _matches(media, fmt)
            if level > specificity:
                specificity, q = level, q_value
        if specificity < 0 or q <= 0:
            continue
        key = (q, 1 if specificity >= 2 else 0, specificity, -rank)
        if best is None or key > best:
            best, chosen = key, fmt
    if chosen is None:
        offered = ", ".join(f.media_type for f in available)
        raise NotAcceptable(f"cannot answer with {accept!r}; available: {offered}")
    return chosen
