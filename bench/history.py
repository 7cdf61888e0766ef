"""The history queries at scale: synthetic observations shaped as /work/CONTRACT.md has them.

A register graph declares the countries (with Wikidata-style QIDs far above any real one), their
voices, offices, mandates, the publishers and the policy; then one named graph per source holds
what that source reports: the source document and its coding node, one quote and one observation
(``hg:Stance``) per country it covers, and now and then a reported claim that a later claim
denies or a later observation contradicts. A country's observations are spread over 2020–2025 in
date order; its position moves by a random walk, and now and then a second observation on the
same date disagrees with the first (what ``stances`` marks as contested).

The grid is the number of observations per country (10, 100, 1,000, with the number of sources
growing alike); each grid point is its own store, served by ``hubgraph serve``, and each of the
history queries is timed there. A canned query whose file does not exist yet (or that does not
declare the parameter a variant needs) is reported as not there, so the bench runs before and
after the history queries are merged. The growth exponent ``log(t₁₀₀₀ / t₁₀₀) / log 10`` must
stay ≤ 1 (linear), with some slack for the noise of a shared machine.

    python bench/history.py --per-country 100 [--out bench/work]   # only writes the data
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from generate import PREFIXES as BASE_PREFIXES
from generate import GraphWriter, lang, literal, ontology_trig
from harness import HttpEndpoint
from servers import (
    HOST,
    RAW_LOAD,
    Server,
    executable,
    free_port,
    log,
    start_server,
    timed_command,
    wait_ready,
)

from hubgraph.queries import read_query

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
HISTORY_VERSION = "1"
"""Bumped whenever the output for a given grid point and seed changes."""
GRID = (10, 100, 1000)
CAP = 60.0
"""Seconds one history query may run (the server's query timeout): past it, the bench notes a
lower bound and asks no larger grid point, rather than wait on a query that grows too fast."""
SLOW = 10.0
"""Seconds past which a query's first answer is its only sample: the noise is small beside it,
and repeating it would take the bench's whole time."""
COUNTRIES = 10
OBSERVATIONS_PER_SOURCE = 5
QID_BASE = 9_500_000_000
FIRST_DAY = datetime.date(2020, 1, 1)
DAYS = 6 * 365
POSITIONS = ("willing", "open-with-conditions", "open-to-talks", "not-approached", "refuses")
REGISTER = "<https://w3id.org/hubgraph/graph/register>"
PREFIXES = {
    **BASE_PREFIXES,
    "prov": "http://www.w3.org/ns/prov#",
    "coding": "https://w3id.org/hubgraph/id/coding/",
}
GROWTH_LIMIT = 1.2
"""Largest growth exponent from 100 to 1,000 observations per country that still counts as
linear here: one rerun on this shared machine moves a median by some 10%."""


@dataclass(frozen=True)
class Variant:
    """One history query as the bench asks it."""

    key: str
    query: str
    """The canned query's name (its file is queries/<name>.rq)."""
    title: str
    params: dict[str, str] = field(default_factory=dict)


def first_qid() -> str:
    return f"Q{QID_BASE + 1}"


VARIANTS = (
    Variant(
        "stance-history.one", "stance-history", "stance-history, one country",
        {"country": first_qid()},
    ),
    Variant("stance-history.all", "stance-history", "stance-history, every country"),
    Variant("stances.asof", "stances", "stances, asOf (mid-range)", {"asOf": "2023-01-01"}),
    Variant("stances.latest", "stances", "stances, latest", {"latest": "true"}),
    Variant("disputes", "disputes", "disputes"),
    Variant("changes", "changes", "changes"),
)  # fmt: skip


def data_path(per_country: int, seed: int, out: Path = WORK) -> Path:
    return out / f"hubgraph-history-{per_country}-seed{seed}-v{HISTORY_VERSION}.trig"


class HistoryGenerator:
    def __init__(self, per_country: int, seed: int, countries: int = COUNTRIES) -> None:
        self.per_country = per_country
        self.countries = countries
        self.rng = random.Random(seed)
        self.counts: dict[str, int] = {}

    def bump(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def register(self) -> GraphWriter:
        g = GraphWriter(REGISTER)
        g.subject(
            "policy:uk-return-hubs",
            [("a", "hg:Policy"), ("rdfs:label", lang("UK return hubs plan"))],
        )
        g.subject(
            "country:hist-united-kingdom",
            [("a", "hg:Country"), ("a", "hg:Actor"), ("rdfs:label", lang("Synthetic Kingdom"))],
        )
        for c in range(self.countries):
            slug = f"hist-{c:02d}"
            g.subject(
                f"country:{slug}",
                [
                    ("a", "hg:Country"),
                    ("a", "hg:Actor"),
                    ("rdfs:label", lang(f"Country {c:02d}")),
                    ("owl:sameAs", f"wd:Q{QID_BASE + 1 + c}"),
                    ("hg:qidStatus", literal("verified")),
                ],
            )
            office = f"office:prime-minister-of-{slug}"
            g.subject(
                office,
                [
                    ("a", "hg:Office"),
                    ("rdfs:label", lang(f"Prime Minister of Country {c:02d}")),
                    ("hg:officeOf", f"country:{slug}"),
                    ("hg:officeType", literal("prime-minister")),
                ],
            )
            for v, start in enumerate(("2019-01-01", "2023-01-01")):
                person = f"person:{slug}-voice-{v}"
                g.subject(
                    person,
                    [
                        ("a", "hg:Person"),
                        ("a", "hg:Actor"),
                        ("rdfs:label", lang(f"Voice {v} of Country {c:02d}")),
                    ],
                )
                end = [("hg:end", '"2022-12-31"^^xsd:date')] if v == 0 else []
                g.subject(
                    f"mandate:{slug}-voice-{v}--prime-minister-of-{slug}",
                    [
                        ("a", "hg:Mandate"),
                        ("hg:holder", person),
                        ("hg:office", office),
                        ("hg:start", f'"{start}"^^xsd:date'),
                        *end,
                    ],
                )
        for p in range(8):
            g.subject(
                f"organisation:hist-publisher-{p}",
                [
                    ("a", "hg:NewsOrganisation"),
                    ("a", "hg:Organisation"),
                    ("a", "hg:Actor"),
                    ("rdfs:label", lang(f"Publisher {p}")),
                ],
            )
        return g

    def observations(self) -> list[tuple[datetime.date, int, str]]:
        """(date, country, position) of every observation, in date order."""
        out = []
        for c in range(self.countries):
            position = self.rng.choice(POSITIONS)
            step = DAYS / self.per_country
            i = 0
            while i < self.per_country:
                day = FIRST_DAY + datetime.timedelta(days=int(i * step + self.rng.random() * step))
                if self.rng.random() < 0.15:
                    position = self.rng.choice([p for p in POSITIONS if p != position])
                out.append((day, c, position))
                i += 1
                if i < self.per_country and self.rng.random() < 0.1:
                    # Another reading of the same statement, the same day: the two disagree.
                    other = self.rng.choice([p for p in POSITIONS if p != position])
                    out.append((day, c, other))
                    i += 1
        out.sort(key=lambda o: (o[0], o[1]))
        return out

    def run(self) -> tuple[str, int]:
        chunks = ["".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items()) + "\n"]
        register = self.register()
        chunks.append(register.text())
        triples = register.triples
        observations = self.observations()
        claims: dict[int, list[str]] = {}
        """Claims so far about each country (IRIs), for denials and contradictions."""
        for s in range(math.ceil(len(observations) / OBSERVATIONS_PER_SOURCE)):
            batch = observations[s * OBSERVATIONS_PER_SOURCE : (s + 1) * OBSERVATIONS_PER_SOURCE]
            g = self.source(s, batch, claims)
            chunks.append(g.text())
            triples += g.triples
        return "".join(chunks), triples

    def source(
        self, s: int, batch: list[tuple[datetime.date, int, str]], claims: dict[int, list[str]]
    ) -> GraphWriter:
        sid = f"hist-{s:06d}"
        src = f"src:{sid}"
        coding = f"coding:{sid}"
        publisher = f"organisation:hist-publisher-{s % 8}"
        issued = max(d for d, _, _ in batch).isoformat()
        g = GraphWriter(f"<{PREFIXES['src']}{sid}>")
        g.subject(
            src,
            [
                ("a", "hg:SourceDocument"),
                ("a", "schema:NewsArticle"),
                ("dcterms:title", literal(f"Synthetic report {s}")),
                ("dcterms:publisher", publisher),
                ("dcterms:issued", f'"{issued}"^^xsd:date'),
                ("schema:url", f"<https://news.invalid/{sid}>"),
                ("dcterms:language", literal("en")),
                ("hg:firstHand", "true"),
                ("hg:reportingChain", literal(f"Publisher {s % 8}")),
                ("prov:wasGeneratedBy", coding),
            ],
        )
        g.subject(
            coding,
            [
                ("a", "hg:Coding"),
                ("hg:coder", literal("bench")),
                ("hg:codedOn", '"2026-12-01"^^xsd:date'),
                ("hg:codebookVersion", literal("1.0")),
            ],
        )
        self.bump("sources")
        for k, (day, c, position) in enumerate(batch):
            slug = f"hist-{c:02d}"
            voice = f"person:{slug}-voice-{0 if day.year < 2023 else 1}"
            quote = f"<{PREFIXES['quote']}{sid}/q{k}>"
            g.subject(
                quote,
                [
                    ("a", "hg:Quote"),
                    ("a", "hg:Statement"),
                    ("hg:text", literal(f"Country {c:02d} is {position} ({sid}, {k})")),
                    ("hg:speaker", voice),
                    ("hg:inSource", src),
                    ("dcterms:language", literal("en")),
                ],
            )
            pairs = [
                ("a", "hg:Stance"),
                ("rdfs:label", lang(f"Country {c:02d}: {position}, {day}")),
                ("hg:holder", f"country:{slug}"),
                ("hg:towards", "policy:uk-return-hubs"),
                ("hg:position", f"position:{position}"),
                ("hg:voicedBy", voice),
                ("hg:date", f'"{day.isoformat()}"^^xsd:date'),
                ("hg:datePrecision", literal("day")),
                ("hg:dateBasis", literal("date said")),
                ("hg:inSource", src),
                ("hg:derivedFrom", quote),
                ("prov:wasGeneratedBy", coding),
            ]
            if claims.get(c) and self.rng.random() < 0.2:
                pairs.append(("hg:contradicts", claims[c][-1]))
            g.subject(f"<{PREFIXES['stance']}{sid}/o{k}>", pairs)
            self.bump("observations")
            if self.rng.random() < 0.06:
                claim = f"<{PREFIXES['claim']}{sid}/c{k}>"
                claim_pairs = [
                    ("a", "hg:ReportedClaim"),
                    ("hg:reportedBy", publisher),
                    ("hg:about", f"country:{slug}"),
                    ("hg:about", "country:hist-united-kingdom"),
                    ("hg:claimKind", literal("talks")),
                    ("hg:paraphrase", literal(f"Country {c:02d} is in talks ({sid})")),
                    ("hg:date", f'"{day.isoformat()}"^^xsd:date'),
                    ("hg:inSource", src),
                    ("hg:derivedFrom", quote),
                ]
                if claims.get(c) and self.rng.random() < 0.3:
                    claim_pairs.append(("hg:denies", claims[c][-1]))
                g.subject(claim, claim_pairs)
                claims.setdefault(c, []).append(claim)
                self.bump("claims")
        return g


def generate(per_country: int, seed: int = 42, out: Path = WORK) -> Path:
    """The grid point's TriG file (cached on disk: the output depends on the arguments only)."""
    path = data_path(per_country, seed, out)
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        text, _ = HistoryGenerator(per_country, seed).run()
        partial = path.with_suffix(".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return path


def growth(seconds: dict[int, float], low: int = 100, high: int = 1000) -> float | None:
    """The growth exponent of time in observations per country between two grid points."""
    if not seconds.get(low) or not seconds.get(high):
        return None
    return math.log(seconds[high] / seconds[low]) / math.log(high / low)


def median_or_none(samples: list[float]) -> float | None:
    return statistics.median(samples) if samples else None


@dataclass
class HistoryResult:
    per_country: list[int]
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)
    """variant key → observations per country → median seconds."""
    rows: dict[str, dict[int, int]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    """variant key → why it was not run."""
    sizes: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    """observations per country → (quads, source graphs, observations)."""
    timed_out: dict[str, int] = field(default_factory=dict)
    """variant key → the first grid point where it ran past the cap (not asked after it)."""
    cap: float = 0.0
    """Seconds a history query may take before the server stops it."""


def available(variant: Variant, queries_dir: Path) -> str | None:
    """Why ``variant`` cannot run against ``queries_dir`` yet, or None when it can."""
    path = queries_dir / f"{variant.query}.rq"
    if not path.exists():
        return f"queries/{variant.query}.rq does not exist yet"
    declared = {p.name for p in read_query(path).parameters}
    unknown = sorted(set(variant.params) - declared)
    if unknown:
        return f"{variant.query} declares no parameter {', '.join(unknown)} yet"
    return None


def measure_history(
    grid: tuple[int, ...], seed: int, workers: int, samples: int, work: Path, servers: list[Server]
) -> HistoryResult:
    """Each grid point in a store of its own, served by hubgraph; each runnable variant asked
    once to warm up, then ``samples`` times in rotation with the others (median kept)."""
    result = HistoryResult(list(grid), cap=CAP)
    queries_dir = ROOT / "queries"
    runnable = []
    for v in VARIANTS:
        why = available(v, queries_dir)
        if why:
            result.missing[v.key] = why
        else:
            runnable.append(v)
    if not runnable:
        log("  history: no history query file yet; data generated and loaded only")
    ontology = ontology_trig()
    for n in grid:
        data = generate(n, seed)
        store = work / f"history-{n}"
        subprocess.run(["rm", "-rf", str(store)], check=False)
        _, out = timed_command(
            [sys.executable, "-c", RAW_LOAD, str(store), str(data), str(ontology)],
            work / f"history-{n}-load.log",
        )
        quads = int(json.loads(out.strip().splitlines()[-1])["quads"])
        stats = HistoryGenerator(n, seed)
        stats.run()
        result.sizes[n] = (quads, stats.counts["sources"], stats.counts["observations"])
        log(f"  history {n}/country: {quads} quads, {stats.counts['sources']} sources")
        if not runnable:
            continue
        port = free_port()
        server = start_server(
            f"hubgraph-history-{n}",
            [executable("hubgraph"), "--store", str(store), "serve", "--host", HOST,
             "--port", str(port), "--workers", str(workers), "--timeout", str(CAP)],
            port, work / "logs",
            env={"HUBGRAPH_CLIENT_QUERIES": "1000", "HUBGRAPH_QUEUE_TIMEOUT": "600",
                 "HUBGRAPH_QUERY_MEMORY_MB": "0"},
        )  # fmt: skip
        servers.append(server)
        try:
            wait_ready(server, "/sparql?query=ASK%7B%7D", 300)
            paths = {
                v.key: (
                    f"/queries/{v.query}?" + urlencode({**v.params, "limit": "10000"}),
                    "application/json",
                )
                for v in runnable
            }
            endpoint = HttpEndpoint("hubgraph", server, paths)
            times: dict[str, list[float]] = {v.key: [] for v in runnable}
            for v in runnable:
                if v.key in result.timed_out:
                    continue  # slower still with more observations
                fetched = endpoint.fetch(v.key)
                if fetched.status == 504:
                    result.timed_out[v.key] = n
                    continue
                if fetched.status != 200:
                    result.missing[v.key] = f"answered {fetched.status}: {fetched.body[:200]!r}"
                    continue
                result.rows.setdefault(v.key, {})[n] = int(json.loads(fetched.body)["count"])
                if fetched.seconds > SLOW:  # its own first run is its one sample
                    times[v.key].append(fetched.seconds)
            ok = [
                v
                for v in runnable
                if v.key not in result.missing | result.timed_out and not times[v.key]
            ]
            for r in range(samples):
                for v in ok[r % len(ok) :] + ok[: r % len(ok)] if ok else []:
                    # A slow answer (seconds) needs fewer samples for a stable median.
                    if r >= 3 and times[v.key] and min(times[v.key]) > 2.0:
                        continue
                    times[v.key].append(endpoint.fetch(v.key).seconds)
            for key, values in times.items():
                if values:
                    result.seconds.setdefault(key, {})[n] = statistics.median(values)
            endpoint.close()
        finally:
            server.stop()
            servers.remove(server)
    return result


def report(result: HistoryResult) -> str:
    """The grid as a text table: median seconds (rows) per variant, and the growth exponent."""
    lines = []
    head = "".join(f"{n:>18}" for n in result.per_country)
    lines.append(f"{'variant':<22}{head}  growth")
    for v in VARIANTS:
        if v.key in result.missing:
            lines.append(f"{v.key:<22}  not run: {result.missing[v.key]}")
            continue
        seconds = result.seconds.get(v.key, {})
        rows = result.rows.get(v.key, {})
        cells = "".join(
            f"{seconds.get(n, float('nan')):>10.4f}s{rows.get(n, 0):>7}" for n in result.per_country
        )
        g = growth(seconds)
        lines.append(f"{v.key:<22}{cells}  {'-' if g is None else f'{g:.2f}'}")
    for n, (quads, sources, observations) in sorted(result.sizes.items()):
        lines.append(f"{n}/country: {quads} quads, {sources} sources, {observations} observations")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write the history bench's synthetic data")
    parser.add_argument("--per-country", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=WORK)
    parser.add_argument(
        "--measure", action="store_true", help="time the history queries over the whole grid"
    )
    parser.add_argument("--grid", type=int, nargs="+", default=list(GRID))
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.measure:
        servers: list[Server] = []
        work = args.out / "history-run"
        work.mkdir(parents=True, exist_ok=True)
        try:
            result = measure_history(
                tuple(args.grid), args.seed, args.workers, args.samples, work, servers
            )
        finally:
            for server in servers:
                server.stop()
        print(report(result))
        return 0
    path = generate(args.per_country, args.seed, args.out)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
