"""The stance map: the country proposing a policy in the centre, every country holding a stance
towards it around, each coloured by its latest position (as of a date, or of all the data), with
the kinds of the conditions it attaches on the edge between them and the quotes behind its
stance in the drawing itself.

The map draws observations, not one stance per country: each country shows the latest of its
observations as of the chosen date (the ``stances`` canned query with ``latest=true``); where
simultaneous observations disagree, the country is marked contested and every one of them is
kept. Quotes stay under their own speakers and sources.

Library code, no HTTP: :func:`stance_map` reads the graph through a query service,
:func:`render_svg` draws a self-contained SVG (its own styles, no scripts), which a notebook can
display and the web page embeds (clicking a country there shows its quotes and who voiced them).
Every country is a ``<g class="hg-country">`` whose ``data-*`` attributes carry the stance:
``data-label``, ``data-position`` (short name), ``data-position-label``, ``data-voiced-by``,
``data-contested``, ``data-quotes``, ``data-statements`` and ``data-observations`` (JSON lists),
``data-conditions`` (JSON), ``data-source`` with ``data-source-title`` and ``data-source-url``
(the original article, where the graph has its ``schema:url``), and a ``<title>`` with the same
in words.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

import pyoxigraph as ox

from hubgraph.errors import NotFound, ParameterError
from hubgraph.queries import bind_values
from hubgraph.service import QueryService
from hubgraph.terms import plain_value
from hubgraph.vocabulary import ID

RETURN_HUBS = ID + "policy/uk-return-hubs"
"""The policy the map shows unless told otherwise."""

POSITION_ORDER = (
    "willing",
    "open-with-conditions",
    "open-to-talks",
    "not-approached",
    "approached-no-stance-known",
    "refuses",
)
POSITION_COLOURS = {
    "willing": "#1e7b3c",
    "open-with-conditions": "#c77c02",
    "open-to-talks": "#2f6db3",
    "not-approached": "#6f7b8a",
    "approached-no-stance-known": "#6f7b8a",
    "refuses": "#b8322a",
}
OTHER_COLOURS = ("#4b5fbf", "#8b3fa8", "#138a7e", "#9c6b3c")
CONDITION_STYLES = {
    # kind → (text colour, fill)
    "precondition": ("#8a5200", "#fff3dc"),
    "reciprocal-expectation": ("#1c5396", "#e6effb"),
}
OTHER_CONDITION_STYLE = ("#4a4f57", "#f0f1f3")

COUNTRIES_QUERY = """
SELECT DISTINCT ?country WHERE { ?country a hg:Country }
"""
EVIDENCE_QUERY = """
SELECT ?stance ?kind ?text ?speakerLabel ?line ?sourceLabel ?sourceTitle ?sourceUrl
       ?publisherLabel
WHERE {
  ?stance a hg:Stance ; hg:towards ?policy ; hg:derivedFrom ?evidence .
  ?evidence hg:text ?text .
  { ?evidence a hg:Quote BIND("quote" AS ?kind)
    OPTIONAL { ?evidence hg:speaker/rdfs:label ?speakerLabel } }
  UNION
  { ?evidence a hg:SourceSentence BIND("statement" AS ?kind) }
  UNION
  { ?evidence a hg:SourceStatement BIND("statement" AS ?kind)
    FILTER NOT EXISTS { ?evidence a hg:SourceSentence } }
  OPTIONAL { ?evidence hg:lineNumber ?line }
  OPTIONAL { ?evidence hg:inSource ?source
             OPTIONAL { ?source rdfs:label ?sourceLabel }
             OPTIONAL { ?source dcterms:title ?sourceTitle }
             OPTIONAL { ?source schema:url ?sourceUrl }
             OPTIONAL { ?source dcterms:publisher/rdfs:label ?publisherLabel } }
}
ORDER BY ?stance ?line ?text
"""
CONDITIONS_QUERY = """
SELECT ?stance ?condition ?kind ?kindLabel ?text
WHERE {
  ?stance a hg:Stance ; hg:towards ?policy ; hg:hasCondition ?condition .
  OPTIONAL { ?condition hg:conditionKind ?kind OPTIONAL { ?kind skos:prefLabel ?kindLabel } }
  OPTIONAL { ?condition hg:paraphrase ?paraphrase }
  OPTIONAL { ?condition hg:text ?words }
  BIND(COALESCE(?paraphrase, ?words) AS ?text)
}
ORDER BY ?stance ?kindLabel ?condition
"""
POLICY_QUERY = """
SELECT ?policy WHERE { { ?policy ?p ?o } UNION { ?s ?q ?policy } } LIMIT 1
"""
CENTRE_QUERY = """
SELECT ?policyLabel ?centre ?centreLabel
WHERE {
  OPTIONAL { ?policy rdfs:label ?policyLabel }
  OPTIONAL {
    ?policy hg:proposedBy ?proposer .
    { ?proposer a hg:Country BIND(?proposer AS ?centre) }
    UNION
    { ?proposer hg:bodyOf ?centre . ?centre a hg:Country }
    OPTIONAL { ?centre rdfs:label ?centreLabel }
  }
}
ORDER BY ?centre
LIMIT 1
"""
CLAIMED_CENTRE_QUERY = """
SELECT ?centre ?centreLabel (COUNT(DISTINCT ?claim) AS ?claims)
WHERE {
  ?claim a hg:ReportedClaim ; hg:about ?policy, ?centre .
  ?centre a hg:Country .
  OPTIONAL { ?centre rdfs:label ?centreLabel }
}
GROUP BY ?centre ?centreLabel
ORDER BY DESC(?claims) ?centre
LIMIT 1
"""
"""When no source states who proposes the policy: the country most of the claims about it
concern (the one that approaches, shortlists and negotiates)."""
POSITIONS_QUERY = """
SELECT ?position ?label
WHERE {
  ?position skos:inScheme hg:StancePositionScheme .
  OPTIONAL { ?position skos:prefLabel ?label }
}
ORDER BY ?position
"""


@dataclass(frozen=True)
class Condition:
    kind: str
    """Short name of the condition kind (``precondition``, ``reciprocal-expectation``)."""
    kind_label: str
    text: str


@dataclass(frozen=True)
class Evidence:
    text: str
    speaker: str | None = None
    line: int | None = None
    source: str | None = None
    """Who published it (the source's publisher, else its label)."""


@dataclass(frozen=True)
class Observation:
    """One of a country's latest observations: what one source reports one voice saying."""

    stance: str
    position: str
    position_label: str
    date: str | None = None
    voiced_by_label: str | None = None
    reported_by_label: str | None = None
    source: str | None = None
    source_title: str | None = None


@dataclass
class CountryStance:
    """One country on the map, with the stance(s) it holds towards the policy."""

    entity: str
    label: str
    position: str
    """Short name of the position (``willing``, ``refuses`` …)."""
    position_label: str
    qid: str | None = None
    stances: list[str] = field(default_factory=list)
    voiced_by: str | None = None
    voiced_by_label: str | None = None
    reported_by_label: str | None = None
    date: str | None = None
    quotes: list[Evidence] = field(default_factory=list)
    statements: list[Evidence] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    source: str | None = None
    source_title: str | None = None
    source_url: str | None = None
    """The original article (``schema:url``) of the first latest observation, where known."""
    contested: bool = False
    """Its latest observations disagree; ``observations`` holds every one of them."""
    observations: list[Observation] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.entity.removeprefix(ID)


@dataclass
class StanceMap:
    policy: str
    policy_label: str
    centre: str | None
    centre_label: str
    countries: list[CountryStance]
    positions: list[tuple[str, str]]
    """(short name, label) of every position of the scheme, in legend order."""
    as_of: str | None = None
    """The date the map shows the latest positions at (None: all the data)."""

    def colour(self, position: str) -> str:
        if position in POSITION_COLOURS:
            return POSITION_COLOURS[position]
        others = [p for p, _ in self.positions if p not in POSITION_COLOURS]
        index = others.index(position) if position in others else len(others)
        return OTHER_COLOURS[index % len(OTHER_COLOURS)]


def _short(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


def _text(term: object) -> str | None:
    value = plain_value(term)  # type: ignore[arg-type]
    return None if value is None else str(value)


def _select(service: QueryService, query: str, policy: str) -> list[dict[str, str | None]]:
    rows = service.select(bind_values(query, {"policy": [ox.NamedNode(policy)]}))
    return [{v: _text(t) for v, t in zip(rows.variables, row, strict=True)} for row in rows.rows]


def _position_rank(position: str) -> int:
    return POSITION_ORDER.index(position) if position in POSITION_ORDER else len(POSITION_ORDER)


def stance_map(
    service: QueryService, policy: str = RETURN_HUBS, as_of: str | None = None
) -> StanceMap:
    """Everything the map draws, read from the graph: each country's latest observations as of
    ``as_of`` (YYYY-MM-DD; None: all the data). An unknown policy is NotFound."""
    try:
        ox.NamedNode(policy)
    except ValueError:
        raise ParameterError(f"policy must be an IRI, not {policy!r}", "policy") from None
    known = service.select(bind_values(POLICY_QUERY, {"policy": [ox.NamedNode(policy)]}))
    if not known.rows:
        raise NotFound(f"no policy {policy!r} in the graph")
    centre_rows = _select(service, CENTRE_QUERY, policy)
    centre = centre_rows[0] if centre_rows else {}
    if not centre.get("centre"):
        claimed = _select(service, CLAIMED_CENTRE_QUERY, policy)
        if claimed:
            centre = {
                **centre,
                "centre": claimed[0]["centre"],
                "centreLabel": claimed[0]["centreLabel"],
            }
    is_country = {r["country"] for r in _select(service, COUNTRIES_QUERY, policy)}
    params = {"policy": [policy], "latest": ["true"]}
    if as_of:
        params["asOf"] = [as_of]  # checked as a date by the canned query's parameter
    page = service.canned("stances", params, limit=service.settings.max_page_size)
    latest = [{v: _text(t) for v, t in zip(page.variables, row, strict=True)} for row in page.rows]
    countries: dict[str, CountryStance] = {}
    by_stance: dict[str, CountryStance] = {}
    for row in latest:
        stance, country = row["stance"] or "", row["holder"] or ""
        if country not in is_country:
            continue
        position = _short(row["position"] or "")
        observation = Observation(
            stance=stance,
            position=position,
            position_label=row["positionLabel"] or position,
            date=row["date"],
            voiced_by_label=row["voicedByLabel"],
            reported_by_label=row["reportedByLabel"],
            source=row["publisherLabel"],
            source_title=row["sourceTitle"],
        )
        node = countries.get(country)
        if node is None:
            node = countries[country] = CountryStance(
                entity=country,
                label=row["holderLabel"] or _short(country),
                position=position,
                position_label=row["positionLabel"] or position,
                qid=row["qid"] or None,
            )
        if stance not in node.stances:
            node.stances.append(stance)
            node.observations.append(observation)
        node.contested = node.contested or row["contested"] in {"True", "true", "1"}
        by_stance[stance] = node
    first_stance: dict[int, str] = {}
    for node in countries.values():
        # The drawn position: the one most observations give (ties: the legend's order); a
        # contested country lists every position beside it.
        counts: dict[str, int] = {}
        for o in node.observations:
            counts[o.position] = counts.get(o.position, 0) + 1
        top = min(counts, key=lambda p: (-counts[p], _position_rank(p), p))
        first = next(o for o in node.observations if o.position == top)
        node.position, node.position_label = first.position, first.position_label
        node.voiced_by_label = first.voiced_by_label
        node.voiced_by = None
        node.reported_by_label = first.reported_by_label
        node.date = max((o.date or "" for o in node.observations), default="") or None
        node.source = first.source_title or first.source
        node.source_title = first.source_title
        first_stance[id(node)] = first.stance
    for row in _select(service, EVIDENCE_QUERY, policy):
        evidence_node = by_stance.get(row["stance"] or "")
        if evidence_node is None or not row["text"]:
            continue
        line = int(row["line"]) if row["line"] else None
        source = row["publisherLabel"] or row["sourceLabel"]
        item = Evidence(row["text"], row["speakerLabel"], line, source)
        target = evidence_node.quotes if row["kind"] == "quote" else evidence_node.statements
        # The same words under another speaker or source are another piece of evidence.
        if (item.text, item.speaker, item.source) not in {
            (e.text, e.speaker, e.source) for e in target
        }:
            target.append(item)
        if row["sourceUrl"] and first_stance.get(id(evidence_node)) == row["stance"]:
            evidence_node.source_url = row["sourceUrl"]
    for row in _select(service, CONDITIONS_QUERY, policy):
        condition_node = by_stance.get(row["stance"] or "")
        if condition_node is None:
            continue
        kind = _short(row["kind"] or "") or "condition"
        condition = Condition(kind, row["kindLabel"] or kind, row["text"] or "")
        if condition not in condition_node.conditions:
            condition_node.conditions.append(condition)
    positions = [
        (_short(r["position"] or ""), r["label"] or _short(r["position"] or ""))
        for r in _select(service, POSITIONS_QUERY, policy)
    ]
    seen: set[str] = set()
    positions = [p for p in positions if not (p[0] in seen or seen.add(p[0]))]  # type: ignore[func-returns-value]
    for node in countries.values():
        if node.position not in {p for p, _ in positions}:
            positions.append((node.position, node.position_label))
    positions.sort(key=lambda p: (_position_rank(p[0]), p[1]))
    ordered = sorted(
        (c for c in countries.values() if c.entity != centre.get("centre")),
        key=lambda c: (_position_rank(c.position), c.label),
    )
    return StanceMap(
        policy=policy,
        policy_label=centre.get("policyLabel") or _short(policy),
        centre=centre.get("centre"),
        centre_label=centre.get("centreLabel") or "proposer unknown",
        countries=ordered,
        positions=positions,
        as_of=as_of,
    )


# -- drawing ---------------------------------------------------------------------------
WIDTH, HEIGHT = 900, 640
CENTRE_X, CENTRE_Y = WIDTH / 2, 322
RADIUS_X, RADIUS_Y = 305, 200
PILL_HEIGHT = 34
STYLE = """
.hg-map { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
.hg-map .hg-title { font-size: 19px; font-weight: 650; fill: #1b2333; }
.hg-map .hg-subtitle { font-size: 12.5px; fill: #5a6473; }
.hg-map .hg-edge { stroke-width: 2.6; fill: none; stroke-linecap: round; }
.hg-map .hg-edge-unknown { stroke-dasharray: 7 6; }
.hg-map .hg-pill-text { font-size: 14.5px; font-weight: 650; fill: #fff; }
.hg-map .hg-position-text { font-size: 12.5px; font-weight: 650; }
.hg-map .hg-voice-text { font-size: 11.5px; fill: #5a6473; }
.hg-map .hg-position-text, .hg-map .hg-voice-text {
  paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
.hg-map .hg-condition-text { font-size: 11.5px; font-weight: 600; }
.hg-map .hg-legend-text { font-size: 12.5px; fill: #2b3340; }
.hg-map .hg-legend-head { font-size: 12px; font-weight: 650; fill: #5a6473;
  text-transform: uppercase; letter-spacing: .04em; }
.hg-map .hg-country { cursor: pointer; }
.hg-map .hg-country:hover .hg-pill, .hg-map .hg-country:focus .hg-pill,
.hg-map .hg-country.hg-selected .hg-pill { stroke: #1b2333; stroke-width: 3; }
.hg-map .hg-country:focus { outline: none; }
"""


def _text_width(text: str, size: float = 14.5, bold: bool = True) -> float:
    """A fair estimate of ``text``'s width in a sans-serif font."""
    per_char = 0.6 if bold else 0.55
    return sum(size * (0.35 if c in " il.,'’:" else per_char) for c in text)


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _json_attr(value: object) -> str:
    return _attr(json.dumps(value, ensure_ascii=False))


def _contested_text(node: CountryStance) -> str:
    labels = list(dict.fromkeys(o.position_label for o in node.observations))
    return "contested: " + " · ".join(labels)


def _title(node: CountryStance) -> str:
    parts = [f"{node.label}: {_contested_text(node) if node.contested else node.position_label}"]
    if node.voiced_by_label:
        parts.append(f"voiced by {node.voiced_by_label}")
    if node.reported_by_label:
        parts.append(f"reported by {node.reported_by_label}")
    text = " — ".join(parts) + "."
    if node.quotes:
        text += " " + " ".join(
            f"“{q.text}”" + (f" — {q.speaker}" if q.speaker else "") for q in node.quotes
        )
    elif node.statements:
        text += " " + " ".join(s.text for s in node.statements)
    for condition in node.conditions:
        text += f" [{condition.kind_label}: {condition.text}]"
    return text


def _ring(x: float, y: float, label: str) -> str:
    """The mark of a contested country: a dashed outline around its pill."""
    width = max(_text_width(label) + 34, 96) + 10
    height = PILL_HEIGHT + 10
    return (
        f'<rect class="hg-contested" x="{x - width / 2:.1f}" y="{y - height / 2:.1f}" '
        f'width="{width:.1f}" height="{height}" rx="{height / 2}" fill="none" '
        'stroke="#1b2333" stroke-width="2" stroke-dasharray="5 4"/>'
    )


def _pill(x: float, y: float, label: str, colour: str, css: str = "hg-pill") -> str:
    width = max(_text_width(label) + 34, 96)
    return (
        f'<rect class="{css}" x="{x - width / 2:.1f}" y="{y - PILL_HEIGHT / 2:.1f}" '
        f'width="{width:.1f}" height="{PILL_HEIGHT}" rx="{PILL_HEIGHT / 2}" fill="{colour}"/>'
        f'<text class="hg-pill-text" x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle">'
        f"{escape(label)}</text>"
    )


def _country(node: CountryStance, x: float, y: float, colour: str, above: bool = False) -> str:
    voice = (
        _contested_text(node)
        if node.contested
        else f"voiced by {node.voiced_by_label}"
        if node.voiced_by_label
        else f"reported by {node.reported_by_label}"
        if node.reported_by_label
        else ""
    )
    data = {
        "entity": node.entity,
        "id": node.id,
        "label": node.label,
        "qid": node.qid or "",
        "position": node.position,
        "position-label": node.position_label,
        "voiced-by": node.voiced_by_label or "",
        "voiced-by-entity": node.voiced_by or "",
        "reported-by": node.reported_by_label or "",
        "date": node.date or "",
        "source": node.source or "",
        "source-title": node.source_title or "",
        "source-url": node.source_url or "",
        "contested": "true" if node.contested else "false",
    }
    attrs = " ".join(f'data-{k}="{_attr(v)}"' for k, v in data.items())
    # The position and who voiced it go on the side away from the centre, clear of the edge.
    first, second = (-43.0, -27.0) if above and voice else (-27.0, 0.0) if above else (33.0, 49.0)
    quotes = [
        {"text": q.text, "speaker": q.speaker, "line": q.line, "source": q.source}
        for q in node.quotes
    ]
    statements = [{"text": s.text, "line": s.line, "source": s.source} for s in node.statements]
    observations = [
        {
            "position": o.position,
            "positionLabel": o.position_label,
            "date": o.date,
            "voicedBy": o.voiced_by_label,
            "reportedBy": o.reported_by_label,
            "source": o.source,
            "sourceTitle": o.source_title,
        }
        for o in node.observations
    ]
    conditions = [{"kind": c.kind, "label": c.kind_label, "text": c.text} for c in node.conditions]
    # A transparent area under the whole group, so that a click anywhere on it selects it.
    hit_top = y + min(first - 14, -PILL_HEIGHT / 2) - 3
    hit_bottom = y + max(second if voice else first, PILL_HEIGHT / 2) + 5
    hit_width = (
        max(
            _text_width(node.label) + 34,
            96,
            _text_width(voice, 11.5, False),
            _text_width(node.position_label, 12.5),
        )
        + 8
    )
    hit = (
        f'<rect class="hg-hit" x="{x - hit_width / 2:.1f}" y="{hit_top:.1f}" '
        f'width="{hit_width:.1f}" height="{hit_bottom - hit_top:.1f}" fill="transparent"/>'
    )
    return (
        f'<g class="hg-country" role="button" tabindex="0" {attrs} '
        f'data-quotes="{_json_attr(quotes)}" data-statements="{_json_attr(statements)}" '
        f'data-conditions="{_json_attr(conditions)}" '
        f'data-observations="{_json_attr(observations)}" '
        f'aria-label="{_attr(node.label + ": " + node.position_label)}">'
        f"<title>{escape(_title(node))}</title>{hit}"
        + (_ring(x, y, node.label) if node.contested else "")
        + _pill(x, y, node.label, colour)
        + f'<text class="hg-position-text" x="{x:.1f}" y="{y + first:.1f}" '
        f'text-anchor="middle" fill="{colour}">{escape(node.position_label)}</text>'
        + (
            f'<text class="hg-voice-text" x="{x:.1f}" y="{y + second:.1f}" '
            f'text-anchor="middle">{escape(voice)}</text>'
            if voice
            else ""
        )
        + "</g>"
    )


def _edge_labels(conditions: Sequence[Condition], x: float, y: float) -> str:
    out = []
    height = 21
    top = y - len(conditions) * (height + 4) / 2
    for i, condition in enumerate(conditions):
        ink, fill = CONDITION_STYLES.get(condition.kind, OTHER_CONDITION_STYLE)
        width = _text_width(condition.kind_label, 11.5) + 18
        cy = top + i * (height + 4)
        out.append(
            f'<g class="hg-condition" data-kind="{_attr(condition.kind)}">'
            f"<title>{escape(condition.kind_label)}: {escape(condition.text)}</title>"
            f'<rect x="{x - width / 2:.1f}" y="{cy:.1f}" width="{width:.1f}" height="{height}" '
            f'rx="5" fill="{fill}" stroke="{ink}" stroke-width="1"/>'
            f'<text class="hg-condition-text" x="{x:.1f}" y="{cy + 14.5:.1f}" '
            f'text-anchor="middle" fill="{ink}">{escape(condition.kind_label)}</text></g>'
        )
    return "".join(out)


def _legend(data: StanceMap) -> str:
    counts = {p: sum(1 for c in data.countries if c.position == p) for p, _ in data.positions}
    items: list[tuple[float, str]] = []  # (width, markup with {x} and {y} to fill in)
    for key, label in data.positions:
        text = f"{label} ({counts.get(key, 0)})"
        items.append(
            (
                _text_width(text, 12.5, bold=False) + 44,
                f'<g class="hg-legend-item" data-position="{_attr(key)}">'
                '<circle cx="{cx}" cy="{cy}" r="7" fill="' + data.colour(key) + '"/>'
                '<text class="hg-legend-text" x="{tx}" y="{y}">' + escape(text) + "</text></g>",
            )
        )
    if any(c.contested for c in data.countries):
        items.append(
            (
                110.0,
                '<g class="hg-legend-item" data-position="contested">'
                '<rect x="{x}" y="{ry}" width="30" height="18" rx="9" fill="none" '
                'stroke="#1b2333" stroke-width="2" stroke-dasharray="5 4"/>'
                '<text class="hg-legend-text" x="{cx2}" y="{y}">contested</text></g>',
            )
        )
    placed: list[str] = []
    x, y = 150.0, 0.0
    for width, markup in items:
        if x + width > WIDTH - 40 and x > 150:  # wrap onto another line
            x, y = 150.0, y + 22
        placed.append(
            markup.format(
                x=f"{x:.1f}",
                cx=f"{x + 7:.1f}",
                cy=f"{y - 4:.1f}",
                tx=f"{x + 20:.1f}",
                y=f"{y:.1f}",
                ry=f"{y - 13:.1f}",
                cx2=f"{x + 38:.1f}",
            )
        )
        x += width
    out = [
        f'<g class="hg-legend" transform="translate(28 {HEIGHT - 50})">'
        '<text class="hg-legend-head" x="0" y="0">Position</text>',
        *placed,
    ]
    shift = y
    kinds: dict[str, str] = {}
    for country in data.countries:
        for condition in country.conditions:
            kinds.setdefault(condition.kind, condition.kind_label)
    if kinds:
        out.append(f'<text class="hg-legend-head" x="0" y="{shift + 28:.0f}">Condition kind</text>')
        x = 150.0
        for kind, label in kinds.items():
            ink, fill = CONDITION_STYLES.get(kind, OTHER_CONDITION_STYLE)
            width = _text_width(label, 11.5) + 18
            out.append(
                f'<rect x="{x:.1f}" y="{shift + 13:.0f}" width="{width:.1f}" height="21" rx="5" '
                f'fill="{fill}" stroke="{ink}"/><text class="hg-condition-text" '
                f'x="{x + width / 2:.1f}" y="{shift + 27.5:.1f}" text-anchor="middle" fill="{ink}">'
                f"{escape(label)}</text>"
            )
            x += width + 12
        out.append(
            f'<text class="hg-legend-text" x="{x + 4:.1f}" y="{shift + 28:.0f}">'
            "on the edge: what the country attaches to its stance</text>"
        )
    out.append("</g>")
    return "".join(out)


def _legend_lines(data: StanceMap) -> int:
    """How many lines the legend's positions take (it wraps; the drawing grows to fit)."""
    x, lines = 150.0, 1
    counts = {p: sum(1 for c in data.countries if c.position == p) for p, _ in data.positions}
    widths = [_text_width(f"{label} ({counts.get(key, 0)})", 12.5, bold=False) + 44
              for key, label in data.positions]  # fmt: skip
    if any(c.contested for c in data.countries):
        widths.append(110.0)
    for width in widths:
        if x + width > WIDTH - 40 and x > 150:
            x, lines = 150.0, lines + 1
        x += width
    return lines


def render_svg(data: StanceMap) -> str:
    """The map as a standalone SVG document."""
    height = HEIGHT + 22 * (_legend_lines(data) - 1)
    n = len(data.countries)
    placed = []
    for i, node in enumerate(data.countries):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        placed.append(
            (node, CENTRE_X + RADIUS_X * math.cos(angle), CENTRE_Y + RADIUS_Y * math.sin(angle))
        )
    edges, labels, nodes = [], [], []
    for node, x, y in placed:
        colour = data.colour(node.position)
        unknown = {"approached-no-stance-known", "not-approached"}
        dashed = " hg-edge-unknown" if node.position in unknown else ""
        edges.append(
            f'<line class="hg-edge{dashed}" data-country="{_attr(node.label)}" '
            f'x1="{CENTRE_X:.1f}" y1="{CENTRE_Y:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}"/>'
        )
        if node.conditions:
            # One label per kind on the edge (several sources may report the same condition);
            # every condition stays in the country's data-conditions.
            kinds = list({c.kind: c for c in node.conditions}.values())
            labels.append(_edge_labels(kinds, (CENTRE_X + x) / 2, (CENTRE_Y + y) / 2))
        nodes.append(_country(node, x, y, colour, above=y < CENTRE_Y - RADIUS_Y * 0.8))
    centre = (
        f'<g class="hg-centre" data-entity="{_attr(data.centre or "")}" '
        f'data-label="{_attr(data.centre_label)}">'
        f"<title>{escape(data.centre_label)}: proposes the {escape(data.policy_label)}</title>"
        + _pill(CENTRE_X, CENTRE_Y, data.centre_label, "#1b2a4a", "hg-centre-pill")
        + f'<text class="hg-voice-text" x="{CENTRE_X:.1f}" y="{CENTRE_Y + 33:.1f}" '
        f'text-anchor="middle">proposes the {escape(data.policy_label)}</text></g>'
    )
    empty = (
        ""
        if n
        else f'<text class="hg-subtitle" x="{CENTRE_X}" y="{CENTRE_Y + 80}" '
        'text-anchor="middle">No country in the graph holds a stance on this policy.</text>'
    )
    title = f"Stances on the {data.policy_label}" + (f", as of {data.as_of}" if data.as_of else "")
    subtitle = (
        f"{n} {'country' if n == 1 else 'countries'} around {data.centre_label} · "
        "each with its latest position · select a country for the quotes behind it"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hg-map" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{_attr(title)}" data-policy="{_attr(data.policy)}" '
        f'data-as-of="{_attr(data.as_of or "")}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>'
        f'<text class="hg-title" x="28" y="36">{escape(title)}</text>'
        f'<text class="hg-subtitle" x="28" y="56">{escape(subtitle)}</text>'
        f'<g class="hg-edges">{"".join(edges)}</g>'
        f'<g class="hg-edge-labels">{"".join(labels)}</g>'
        f"{centre}"
        f'<g class="hg-countries">{"".join(nodes)}</g>'
        f"{empty}{_legend(data)}</svg>"
    )


def stance_map_svg(
    service: QueryService, policy: str = RETURN_HUBS, as_of: str | None = None
) -> str:
    """The stance map of ``policy`` as of ``as_of`` (None: all the data) as SVG text."""
    return render_svg(stance_map(service, policy, as_of))
