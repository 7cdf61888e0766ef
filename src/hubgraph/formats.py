"""Media types ↔ result formats, and content negotiation by the ``Accept`` header."""

from __future__ import annotations

from collections.abc import Sequence
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
    """Other media types that name this format, in ``Accept`` and ``?format=``."""
    synonyms: tuple[str, ...] = ()
    """Other short names clients send as ``?format=`` (SPARQLWrapper: json, xml, n3 …)."""

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("+json", "+xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "JSON", ("application/json",)),
    Format("xml", "application/sparql-results+xml", "XML", ("application/xml", "text/xml")),
    # The Oxigraph server answers text/plain with CSV; so do we.
    Format("csv", "text/csv", "CSV", ("text/plain",)),
    Format("tsv", "text/tab-separated-values", "TSV"),
)

GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "TURTLE", ("application/x-turtle", "application/turtle"),
           ("ttl",)),
    Format("ntriples", "application/n-triples", "N_TRIPLES", ("text/plain",), ("nt",)),
    Format("nquads", "application/n-quads", "N_QUADS", (), ("nq",)),
    Format("trig", "application/trig", "TRIG"),
    Format("rdfxml", "application/rdf+xml", "RDF_XML", ("application/xml", "text/xml"),
           ("xml", "rdf+xml")),
    Format("jsonld", "application/ld+json", "JSON_LD",
           ("application/json", "application/x-json+ld"), ("json", "json-ld")),
    # Last, so that */* still gets Turtle; the Oxigraph server answers text/n3 too.
    Format("n3", "text/n3", "N3", ("text/rdf+n3", "application/n3")),
)  # fmt: skip

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
    wanted = name.strip().lower()
    for fmt in available:
        if wanted in {fmt.name, fmt.media_type, *fmt.aliases, *fmt.synonyms}:
            return fmt
    names = ", ".join(f.name for f in available)
    raise NotAcceptable(f"format {name!r} is not available here; choose one of: {names}")


def choose(
    names: str | Sequence[str] | None, accept: str | None, available: tuple[Format, ...]
) -> Format:
    """The format for a request that may carry ``?format=`` values and an ``Accept`` header.

    The first ``format`` value that names an available format wins (a value may be a
    comma-separated list of names or media types: SPARQLWrapper sends ``format=json-ld`` and
    ``format=application/ld+json,application/x-json+ld`` together). A value that names nothing
    available here is ignored rather than refused: clients written for other servers send
    values meant for those (``format=xml`` on a CONSTRUCT), and ``Accept`` says what they
    can read. Only when ``Accept`` cannot be met either is the request refused."""
    values = [names] if isinstance(names, str) else list(names or ())
    for value in values:
        for part in value.split(","):
            name = part.split(";")[0]
            if not name.strip():
                continue
            try:
                return by_name(name, available)
            except NotAcceptable:
                continue
    try:
        return negotiate(accept, available)
    except NotAcceptable as exc:
        if not values:
            raise
        asked = ", ".join(repr(v) for v in values)
        raise NotAcceptable(f"format {asked} is not available here and {exc.message}") from None


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
