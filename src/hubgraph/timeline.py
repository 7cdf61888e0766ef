"""The timeline: one row per country, time across, a mark per stance observation coloured by
its position, and the reported claims about each country with what denies or contradicts them.

Library code, no HTTP: :func:`timeline` reads the graph through a query service (the
``stance-history`` and ``disputes`` canned queries, and the claims about countries),
:func:`render_svg` draws a self-contained SVG (its own styles, no scripts) that a notebook can
display and the web page embeds. Every mark is a ``<g class="hg-mark">`` whose ``data-*``
attributes carry what the page shows when it is selected: ``data-kind`` (observation or
claim), ``data-date``, ``data-position-label``, ``data-quote``, ``data-voice``, ``data-office``,
``data-source-title``, ``data-publisher``, ``data-chain``, ``data-url``, ``data-disputes``
(JSON), and a ``<title>`` with the same in words.

A date known only to the month or the year is an interval of days: its mark sits in the middle
of a bar that spans the interval.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as Day
from datetime import timedelta
from html import escape

from hubgraph.service import QueryService
from hubgraph.stance_map import OTHER_COLOURS, POSITION_COLOURS, POSITION_ORDER
from hubgraph.terms import plain_value

CLAIMS_QUERY = """
SELECT ?claim ?kind ?country ?countryLabel ?date ?text ?claimantLabel ?source ?sourceTitle
       ?publisherLabel ?url ?chain
WHERE {
  ?claim a hg:ReportedClaim ; hg:about ?country .
  OPTIONAL { ?claim hg:claimKind ?kind }
  ?country a hg:Country .
  OPTIONAL { ?country rdfs:label ?countryLabel }
  OPTIONAL { ?claim hg:paraphrase ?paraphrase }
  OPTIONAL { ?claim rdfs:label ?label }
  BIND(COALESCE(?paraphrase, ?label) AS ?text)
  OPTIONAL { ?claim hg:reportedBy/rdfs:label ?claimantLabel }
  OPTIONAL { ?claim hg:inSource ?source .
             OPTIONAL { ?source dcterms:title ?sourceTitle }
             OPTIONAL { ?source dcterms:issued ?issued }
             OPTIONAL { ?source dcterms:publisher/rdfs:label ?publisherLabel }
             OPTIONAL { ?source <https://schema.org/url> ?url }
             OPTIONAL { ?source hg:reportingChain ?chain } }
  OPTIONAL { ?claim hg:date ?claimDate }
  BIND(COALESCE(?claimDate, ?issued) AS ?date)
  FILTER(BOUND(?date))
}
ORDER BY ?countryLabel ?date ?claim
"""
CLAIM_KINDS = {"approach", "shortlist", "talks"}
"""Claims the timeline draws (with every disputed one): what was done to a country."""
APPROACHER = "https://w3id.org/hubgraph/id/country/united-kingdom"
"""The country proposing the return hubs and approaching the others: its row would repeat every
approach claim, so claims are drawn on the approached countries' rows only."""
PROPOSERS_QUERY = """
SELECT DISTINCT ?country WHERE {
  ?policy hg:proposedBy ?proposer .
  { ?proposer a hg:Country BIND(?proposer AS ?country) } UNION { ?proposer hg:bodyOf ?country }
}
"""


@dataclass(frozen=True)
class Mark:
    """One observation or claim on a country's row."""

    kind: str
    """``observation`` or ``claim``."""
    item: str
    date: str
    start: Day
    end: Day
    position: str = ""
    """Short name of the position (observations); ``claim`` for claims."""
    position_label: str = ""
    text: str = ""
    """The quote(s) of an observation; the paraphrase of a claim."""
    voice: str = ""
    office: str = ""
    source_title: str = ""
    publisher: str = ""
    chain: str = ""
    url: str = ""
    disputes: tuple[dict[str, str], ...] = ()
    """What denies or contradicts it (or what it denies): relation, other item, text, who."""


@dataclass
class Row:
    country: str
    label: str
    marks: list[Mark] = field(default_factory=list)


@dataclass
class Timeline:
    rows: list[Row]
    positions: list[tuple[str, str]]
    links: list[tuple[str, str, str]]
    """(denying or contradicting item, claim or observation it disputes, relation)."""

    def colour(self, position: str) -> str:
        if position in POSITION_COLOURS:
            return POSITION_COLOURS[position]
        others = [p for p, _ in self.positions if p not in POSITION_COLOURS]
        index = others.index(position) if position in others else len(others)
        return OTHER_COLOURS[index % len(OTHER_COLOURS)]


def interval(value: str) -> tuple[Day, Day]:
    """A date as given (YYYY-MM-DD, YYYY-MM or YYYY) as the interval of its days."""
    text = value[:10]
    if len(text) == 4:
        return Day(int(text), 1, 1), Day(int(text), 12, 31)
    if len(text) == 7:
        year, month = int(text[:4]), int(text[5:7])
        first = Day(year, month, 1)
        following = Day(year + month // 12, month % 12 + 1, 1)
        return first, following - timedelta(days=1)
    day = Day.fromisoformat(text)
    return day, day


def _text_rows(result: object) -> list[dict[str, str]]:
    """A SELECT result's rows as text (empty where unbound)."""
    variables, rows = result.variables, result.rows  # type: ignore[attr-defined]
    return [
        {v: "" if t is None else str(plain_value(t)) for v, t in zip(variables, row, strict=True)}
        for row in rows
    ]


def _records(
    service: QueryService, name: str, params: Mapping[str, Sequence[str]]
) -> list[dict[str, str]]:
    return _text_rows(service.canned(name, params, limit=service.settings.max_page_size))


def _short(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def timeline(
    service: QueryService, countries: Iterable[str] = (), exclude: Iterable[str] = (APPROACHER,)
) -> Timeline:
    """Everything the timeline draws; ``countries`` (QIDs or ids) narrows it, and claims are
    not drawn on the rows of ``exclude`` (the approaching country)."""
    wanted = list(countries)
    params = {"country": wanted} if wanted else {}
    history = _records(service, "stance-history", params)
    disputes = _records(service, "disputes", {}) if "disputes" in service.registry.queries else []
    claims = _text_rows(service.select(CLAIMS_QUERY))
    # A claim goes on the row of each country it is about, except the one that approaches (the
    # policy's proposer: the row of interest is the country approached). Only what happened
    # to a country (approached, shortlisted, in talks) and disputed claims are drawn.
    proposers = {r["country"] for r in _text_rows(service.select(PROPOSERS_QUERY))}
    proposers |= set(exclude)
    disputed = {d["claim"] for d in disputes} | {d["by"] for d in disputes}
    claims = [
        c
        for c in claims
        if c["country"] not in proposers and (c["kind"] in CLAIM_KINDS or c["claim"] in disputed)
    ]
    shown = {r["country"] for r in history}
    if wanted:
        claims = [c for c in claims if c["country"] in shown]
    by_item: dict[str, list[dict[str, str]]] = {}
    links: list[tuple[str, str, str]] = []
    for d in disputes:
        links.append((d["by"], d["claim"], d["relation"]))
        by_item.setdefault(d["claim"], []).append(
            {
                "relation": f"{d['relation']} by",
                "text": d["byText"],
                "who": d["bySpeakerLabel"],
                "source": d["bySourceTitle"],
                "date": d["byDate"],
            }
        )
        by_item.setdefault(d["by"], []).append(
            {
                "relation": d["relation"],
                "text": d["claimText"],
                "who": d["claimantLabel"],
                "source": d["claimSourceTitle"],
                "date": d["claimDate"],
            }
        )
    rows: dict[str, Row] = {}
    positions: dict[str, str] = {}
    for r in history:
        row = rows.setdefault(
            r["country"], Row(r["country"], r["countryLabel"] or _short(r["country"]))
        )
        start, end = interval(r["date"])
        office = r["officeLabel"] + (f" ({r['officeStatus']})" if r["officeStatus"] else "")
        position = _short(r["position"])
        positions.setdefault(position, r["positionLabel"] or position)
        row.marks.append(
            Mark(
                kind="observation",
                item=r["observation"],
                date=r["date"],
                start=start,
                end=end,
                position=position,
                position_label=r["positionLabel"] or position,
                text=r["quote"],
                voice=r["voiceLabel"],
                office=office,
                source_title=r["sourceTitle"],
                publisher=r["publisherLabel"],
                chain=r["reportingChain"],
                url=r["url"],
                disputes=tuple(by_item.get(r["observation"], ())),
            )
        )
    seen: set[tuple[str, str]] = set()
    for c in claims:
        if (c["claim"], c["country"]) in seen:
            continue
        seen.add((c["claim"], c["country"]))
        row = rows.setdefault(
            c["country"], Row(c["country"], c["countryLabel"] or _short(c["country"]))
        )
        start, end = interval(c["date"])
        row.marks.append(
            Mark(
                kind="claim",
                item=c["claim"],
                date=c["date"],
                start=start,
                end=end,
                position="claim",
                position_label=f"claim by {c['claimantLabel'] or 'unknown'}",
                text=c["text"],
                voice=c["claimantLabel"],
                source_title=c["sourceTitle"],
                publisher=c["publisherLabel"],
                chain=c["chain"],
                url=c["url"],
                disputes=tuple(by_item.get(c["claim"], ())),
            )
        )
    for row in rows.values():
        row.marks.sort(key=lambda m: (m.start, m.end, m.kind, m.item))
    ordered = sorted(rows.values(), key=lambda r: r.label)
    legend = sorted(
        positions.items(),
        key=lambda p: (POSITION_ORDER.index(p[0]) if p[0] in POSITION_ORDER else 99, p[1]),
    )
    return Timeline(ordered, legend, links)


# -- drawing ---------------------------------------------------------------------------
WIDTH = 960
LEFT, RIGHT, TOP = 216, 28, 92  # room for "Bosnia and Herzegovina" in bold
ROW_HEIGHT = 50
STYLE = """
.hg-timeline { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
.hg-timeline .hg-title { font-size: 19px; font-weight: 650; fill: #1b2333; }
.hg-timeline .hg-subtitle { font-size: 12.5px; fill: #5a6473; }
.hg-timeline .hg-row-label { font-size: 13.5px; font-weight: 600; fill: #1b2333; }
.hg-timeline .hg-tick { font-size: 12px; fill: #5a6473; }
.hg-timeline .hg-grid { stroke: #e3e6eb; stroke-width: 1; }
.hg-timeline .hg-row-line { stroke: #c9ced6; stroke-width: 1; }
.hg-timeline .hg-legend-text { font-size: 12.5px; fill: #2b3340; }
.hg-timeline .hg-link { stroke: #b8322a; stroke-width: 1.6; stroke-dasharray: 4 3; fill: none;
  pointer-events: none; }
.hg-timeline .hg-mark { cursor: pointer; }
.hg-timeline .hg-mark:hover .hg-dot, .hg-timeline .hg-mark:focus .hg-dot,
.hg-timeline .hg-mark.hg-selected .hg-dot { stroke: #1b2333; stroke-width: 3; }
.hg-timeline .hg-mark:focus { outline: none; }
"""


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _months(first: Day, last: Day) -> list[Day]:
    out, day = [], Day(first.year, first.month, 1)
    while day <= last:
        out.append(day)
        day = Day(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def _title(mark: Mark) -> str:
    parts = [f"{mark.date}: {mark.position_label}"]
    if mark.voice:
        parts.append(mark.voice + (f", {mark.office}" if mark.office else ""))
    if mark.text:
        parts.append(f"“{mark.text}”" if mark.kind == "observation" else mark.text)
    if mark.source_title or mark.publisher:
        parts.append(f"{mark.publisher}: {mark.source_title}".strip(": "))
    for d in mark.disputes:
        parts.append(f"{d['relation']} {d['who'] or ''}: {d['text']}".replace("  ", " "))
    return " — ".join(parts)


def render_svg(data: Timeline) -> str:
    """The timeline as a standalone SVG document."""
    marks = [m for row in data.rows for m in row.marks]
    height = TOP + max(len(data.rows), 1) * ROW_HEIGHT + 70
    if marks:
        first = min(m.start for m in marks)
        last = max(m.end for m in marks)
    else:
        first = last = Day.today()
    months = _months(first, last)
    d0 = months[0]
    d1 = Day(last.year + last.month // 12, last.month % 12 + 1, 1)
    span = max((d1 - d0).days, 1)

    def x(day: Day) -> float:
        return LEFT + (day - d0).days / span * (WIDTH - LEFT - RIGHT)

    out: list[str] = []
    step = max(1, len(months) // 10)
    for i, month in enumerate(months):
        mx = x(month)
        out.append(
            f'<line class="hg-grid" x1="{mx:.1f}" y1="{TOP - 14}" x2="{mx:.1f}" '
            f'y2="{TOP + len(data.rows) * ROW_HEIGHT - 10}"/>'
        )
        if i % step == 0:
            label = month.strftime("%b %Y") if i == 0 or month.month == 1 else month.strftime("%b")
            out.append(
                f'<text class="hg-tick" x="{mx + 3:.1f}" y="{TOP - 20}">{escape(label)}</text>'
            )
    where: dict[str, tuple[float, float]] = {}
    for index, row in enumerate(data.rows):
        y = TOP + index * ROW_HEIGHT + ROW_HEIGHT / 2 - 8
        out.append(
            f'<g class="hg-row" data-country="{_attr(row.country)}" '
            f'data-label="{_attr(row.label)}">'
            f'<text class="hg-row-label" x="20" y="{y + 5:.1f}">{escape(row.label)}</text>'
            f'<line class="hg-row-line" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{y:.1f}"/>'
        )
        lanes: list[float] = []
        for mark in row.marks:
            mid = mark.start + (mark.end - mark.start) / 2
            cx = x(mid)
            lane = next((i for i, end in enumerate(lanes) if end < cx - 15), len(lanes))
            if lane == len(lanes):
                lanes.append(cx)
            lanes[lane] = cx
            cy = y + (0, -13, 13)[lane % 3]
            where[mark.item] = (cx, cy)
            colour = "#ffffff" if mark.kind == "claim" else data.colour(mark.position)
            disputed = bool(mark.disputes)
            data_attrs = {
                "kind": mark.kind,
                "item": mark.item,
                "date": mark.date,
                "position": mark.position,
                "position-label": mark.position_label,
                "quote": mark.text,
                "voice": mark.voice,
                "office": mark.office,
                "source-title": mark.source_title,
                "publisher": mark.publisher,
                "chain": mark.chain,
                "url": mark.url,
                "country": row.label,
                "disputes": json.dumps(list(mark.disputes), ensure_ascii=False),
            }
            attrs = " ".join(f'data-{k}="{_attr(v)}"' for k, v in data_attrs.items())
            bar = ""
            if mark.end > mark.start:
                bar = (
                    f'<rect class="hg-span" x="{x(mark.start):.1f}" y="{cy - 4:.1f}" '
                    f'width="{max(x(mark.end) - x(mark.start), 2):.1f}" height="8" rx="4" '
                    f'fill="{colour if mark.kind != "claim" else "#8a93a0"}" opacity="0.3"/>'
                )
            if mark.kind == "claim":
                stroke = "#b8322a" if disputed else "#4a4f57"
                shape = (
                    f'<path class="hg-dot" d="M{cx:.1f} {cy - 8:.1f} L{cx + 8:.1f} {cy:.1f} '
                    f'L{cx:.1f} {cy + 8:.1f} L{cx - 8:.1f} {cy:.1f} Z" fill="#ffffff" '
                    f'stroke="{stroke}" stroke-width="2"/>'
                )
                if disputed:
                    shape += (
                        f'<path d="M{cx - 4:.1f} {cy - 4:.1f} L{cx + 4:.1f} {cy + 4:.1f} '
                        f'M{cx + 4:.1f} {cy - 4:.1f} L{cx - 4:.1f} {cy + 4:.1f}" '
                        'stroke="#b8322a" stroke-width="2"/>'
                    )
            else:
                ring = (
                    ' stroke="#b8322a" stroke-width="2.5"'
                    if disputed
                    else ' stroke="#ffffff" stroke-width="1.5"'
                )
                shape = (
                    f'<circle class="hg-dot" cx="{cx:.1f}" cy="{cy:.1f}" r="7" '
                    f'fill="{colour}"{ring}/>'
                )
            hit = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="12" fill="transparent"/>'
            out.append(
                f'<g class="hg-mark" role="button" tabindex="0" {attrs} '
                f'aria-label="{_attr(row.label + ", " + mark.date + ": " + mark.position_label)}">'
                f"<title>{escape(_title(mark))}</title>{bar}{hit}{shape}</g>"
            )
        out.append("</g>")
    links = []
    for by, claim, relation in data.links:
        if by in where and claim in where:
            (x1, y1), (x2, y2) = where[by], where[claim]
            lift = min(abs(x1 - x2) / 3, ROW_HEIGHT * 0.9) + 8
            links.append(
                f'<path class="hg-link" data-relation="{_attr(relation)}" '
                f'd="M{x1:.1f} {y1:.1f} C{x1:.1f} {y1 - lift:.1f} {x2:.1f} {y2 - lift:.1f} '
                f'{x2:.1f} {y2:.1f}"><title>{escape(relation)}</title></path>'
            )
    legend_y = TOP + len(data.rows) * ROW_HEIGHT + 18
    legend = [f'<g class="hg-legend" transform="translate(20 {legend_y})">']
    lx = 0.0
    for key, label in data.positions:
        legend.append(
            f'<circle cx="{lx + 7:.1f}" cy="-4" r="7" fill="{data.colour(key)}"/>'
            f'<text class="hg-legend-text" x="{lx + 19:.1f}" y="0">{escape(label)}</text>'
        )
        lx += len(label) * 7.2 + 40
    diamond = '<path d="M7 -12 L15 -4 L7 4 L-1 -4 Z" fill="#fff" stroke-width="2" '
    extras = [
        (diamond + 'stroke="#4a4f57"/>', "reported claim"),
        (
            diamond + 'stroke="#b8322a"/>'
            '<path d="M3 -8 L11 0 M11 -8 L3 0" stroke="#b8322a" stroke-width="2"/>',
            "denied or contradicted",
        ),
        ('<path d="M0 -4 L30 -4" class="hg-link"/>', "denial"),
        (
            '<rect x="0" y="-8" width="30" height="8" rx="4" fill="#8a93a0" opacity="0.3"/>',
            "date known to the month",
        ),
    ]
    lx = 0.0
    for shape, label in extras:
        legend.append(
            f'<g transform="translate({lx:.1f} 28)">{shape}'
            f'<text class="hg-legend-text" x="38" y="0">{escape(label)}</text></g>'
        )
        lx += len(label) * 7.2 + 60
    legend.append("</g>")
    n = len(data.rows)
    title = "How positions changed: one row per country, a mark per observation"
    observed = sum(1 for m in marks if m.kind == "observation")
    claimed = len(marks) - observed
    subtitle = (
        f"{n} {'country' if n == 1 else 'countries'} · {observed} observations · "
        f"{claimed} claims · select a mark for its quote, voice and source"
    )
    empty = (
        ""
        if n
        else f'<text class="hg-subtitle" x="{LEFT}" y="{TOP + 20}">No observation in the graph.'
        "</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hg-timeline" '
        f'viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{_attr(title)}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>'
        f'<text class="hg-title" x="20" y="34">{escape(title)}</text>'
        f'<text class="hg-subtitle" x="20" y="54">{escape(subtitle)}</text>'
        f'{"".join(out)}<g class="hg-links">{"".join(links)}</g>{"".join(legend)}{empty}</svg>'
    )


def timeline_svg(service: QueryService, countries: Iterable[str] = ()) -> str:
    """The timeline as SVG text."""
    return render_svg(timeline(service, countries))
