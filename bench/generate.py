"""Synthetic hubgraph data for the benchmark, shaped like the real graph.

The output is TriG with one named graph per source document, as ``data/`` holds, in the real
ontology's terms (``ontology/hubgraph.ttl``), so that the real canned queries return rows and the
file passes hubgraph's SHACL validation (``hubgraph validate``):

* two reference sources (country profiles, policy briefs) that declare every shared entity once:
  countries with ``owl:sameAs`` to Wikidata-style IRIs, leaders with offices and mandates,
  government bodies, news organisations, policies (``policy:uk-return-hubs`` among them, the
  canned queries' default);
* news articles, one named graph each: the article itself, its sentences and quotes (with
  speakers), stances of countries towards policies with positions from the real SKOS concepts,
  conditions of both kinds, and reported claims with approach events.

Each entity lives in exactly one graph. Re-declaring a country in every article that mentions it
would be closer to how single-file sources are written, but Oxigraph's union default graph is a
bag (a triple in k graphs matches k times) while rdflib's is a set, so the engines would answer
the same query differently; the benchmark keeps them comparable.

Every name, number and text is synthetic (Wikidata-style IRIs are ``Q9000000001`` upwards, far
above any real entity); the output is a function of ``--triples`` and ``--seed`` alone.

    python bench/generate.py --triples 1e5 [--seed 42] [--out bench/work]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
GENERATOR_VERSION = "1"
"""Bumped whenever the output for a given size and seed changes (cached files are keyed on it)."""

DEFAULT_POLICY = "policy:uk-return-hubs"
SYNTHETIC_QID_BASE = 9_000_000_000
PREFIXES = {
    "hg": "https://w3id.org/hubgraph/ontology#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "wd": "http://www.wikidata.org/entity/",
    "src": "https://w3id.org/hubgraph/source/",
    "country": "https://w3id.org/hubgraph/id/country/",
    "person": "https://w3id.org/hubgraph/id/person/",
    "organisation": "https://w3id.org/hubgraph/id/organisation/",
    "office": "https://w3id.org/hubgraph/id/office/",
    "mandate": "https://w3id.org/hubgraph/id/mandate/",
    "policy": "https://w3id.org/hubgraph/id/policy/",
    "stance": "https://w3id.org/hubgraph/id/stance/",
    "condition": "https://w3id.org/hubgraph/id/condition/",
    "quote": "https://w3id.org/hubgraph/id/quote/",
    "sentence": "https://w3id.org/hubgraph/id/sentence/",
    "event": "https://w3id.org/hubgraph/id/event/",
    "claim": "https://w3id.org/hubgraph/id/claim/",
    "position": "https://w3id.org/hubgraph/id/position/",
    "condition-kind": "https://w3id.org/hubgraph/id/condition-kind/",
}
POSITIONS = (
    ("position:willing", 0.30),
    ("position:open-with-conditions", 0.25),
    ("position:refuses", 0.30),
    ("position:not-approached", 0.15),
)
WORDS = [
    "we",
    "want",
    "to",
    "help",
    "the",
    "government",
    "partners",
    "return",
    "hubs",
    "migration",
    "asylum",
    "security",
    "support",
    "infrastructure",
    "investment",
    "agreement",
    "never",
    "will",
    "not",
    "accept",
    "cooperation",
    "duty",
    "obligation",
    "capacity",
    "limited",
    "talks",
    "officials",
    "ministry",
    "lawyers",
    "mutual",
    "benefit",
    "deportation",
    "appeals",
    "rejected",
    "claims",
    "boats",
    "crossings",
    "deter",
    "removal",
    "process",
    "third",
    "country",
    "plan",
    "scheme",
    "offshore",
    "processing",
    "funding",
    "border",
    "police",
    "equipment",
    "intelligence",
    "sharing",
    "threats",
    "regional",
    "stability",
    "trade",
    "visas",
    "reform",
    "parliament",
    "vote",
    "coalition",
    "opposition",
    "friendly",
    "political",
    "commitment",
    "summit",
    "agenda",
    "leaders",
    "minister",
    "president",
    "presidency",
    "cabinet",
    "review",
    "conditions",
    "only",
    "if",
    "return",
    "exchange",
    "guarantee",
    "legal",
    "framework",
    "human",
    "rights",
    "court",
    "ruling",
    "europe",
    "union",
    "balkans",
]


def expand(count: str | float | int) -> int:
    """``"1e5"`` → 100000."""
    return int(float(count))


def size_label(triples: int) -> str:
    """100000 → ``"1e5"``; other sizes as plain integers."""
    exponent = len(str(triples)) - 1
    return f"1e{exponent}" if triples == 10**exponent else str(triples)


def data_path(triples: int, seed: int, out: Path = WORK) -> Path:
    return out / f"hubgraph-bench-{size_label(triples)}-seed{seed}-v{GENERATOR_VERSION}.trig"


def literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def lang(text: str) -> str:
    return literal(text) + "@en"


@dataclass
class GraphWriter:
    """Writes one named graph, subject by subject, counting triples."""

    name: str
    chunks: list[str] = field(default_factory=list)
    triples: int = 0

    def subject(self, subject: str, pairs: list[tuple[str, str]]) -> None:
        body = " ;\n        ".join(f"{p} {o}" for p, o in pairs)
        self.chunks.append(f"    {subject}\n        {body} .\n")
        self.triples += len(pairs)

    def text(self) -> str:
        return f"{self.name} {{\n" + "\n".join(self.chunks) + "}\n\n"


@dataclass
class Country:
    iri: str
    label: str
    leaders: list[str]
    body: str


@dataclass
class World:
    """The shared entities, each declared once in a reference graph."""

    countries: list[Country]
    publishers: list[str]
    policies: list[str]
    default_policy_share: float


class Generator:
    def __init__(self, target: int, seed: int) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.qid = SYNTHETIC_QID_BASE
        self.counts: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------------------
    def next_qid(self) -> str:
        self.qid += 1
        return f"wd:Q{self.qid}"

    def words(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        text = " ".join(self.rng.choice(WORDS) for _ in range(n))
        return text[0].upper() + text[1:]

    def bump(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def source_document(
        self, g: GraphWriter, iri: str, title: str, publisher: str, issued: str
    ) -> None:
        g.subject(
            iri,
            [
                ("a", "hg:SourceDocument"),
                ("a", "schema:NewsArticle"),
                ("rdfs:label", lang(title)),
                ("dcterms:title", literal(title)),
                ("dcterms:publisher", publisher),
                ("dcterms:issued", f'"{issued}"^^xsd:date'),
                ("dcterms:language", literal("en")),
            ],
        )
        self.bump("sources")

    def sentence(self, g: GraphWriter, slug: str, line: int, source: str, text: str) -> str:
        iri = f"sentence:{slug}-{line}"
        g.subject(
            iri,
            [
                ("a", "hg:SourceSentence"),
                ("a", "hg:Statement"),
                ("rdfs:label", lang(f"{slug}, line {line}")),
                ("hg:text", literal(text)),
                ("hg:lineNumber", str(line)),
                ("hg:inSource", source),
            ],
        )
        self.bump("sentences")
        return iri

    # -- reference graphs ----------------------------------------------------------------
    def world(self, out: list[str]) -> World:
        n_countries = max(9, min(200, self.target // 500))
        n_publishers = max(2, min(40, self.target // 25_000))
        n_policies = max(3, min(50, self.target // 20_000))
        g = GraphWriter("src:bench-reference-profiles")
        source = "src:bench-reference-profiles"
        publishers = [f"organisation:bench-news-{i:03d}" for i in range(1, n_publishers + 1)]
        self.source_document(
            g,
            source,
            "Synthetic country and actor profiles (benchmark data)",
            publishers[0],
            "2025-01-01",
        )
        for i, org in enumerate(publishers, 1):
            pairs = [
                ("a", "hg:NewsOrganisation"),
                ("a", "hg:Organisation"),
                ("a", "hg:Actor"),
                ("rdfs:label", lang(f"Bench News {i:03d}")),
            ]
            if i % 3 == 0:
                pairs.append(("hg:wikidataLinkMissing", "true"))
            else:
                pairs += [("owl:sameAs", self.next_qid()), ("hg:qidStatus", literal("verified"))]
            g.subject(org, pairs)
        line = 0
        countries = []
        for i in range(1, n_countries + 1):
            slug = f"bench-country-{i:03d}"
            iri = f"country:{slug}"
            label = f"Country {i:03d}"
            g.subject(
                iri,
                [
                    ("a", "hg:Country"),
                    ("a", "hg:Actor"),
                    ("rdfs:label", lang(label)),
                    ("skos:altLabel", lang(f"C{i:03d}")),
                    ("owl:sameAs", self.next_qid()),
                    ("hg:qidStatus", literal("verified")),
                ],
            )
            body = f"organisation:government-of-{slug}"
            g.subject(
                body,
                [
                    ("a", "hg:GovernmentBody"),
                    ("a", "hg:Organisation"),
                    ("a", "hg:Actor"),
                    ("rdfs:label", lang(f"Government of {label}")),
                    ("hg:bodyOf", iri),
                    ("hg:wikidataLinkMissing", "true"),
                ],
            )
            leaders = []
            for role, office_name in (("pm", "Prime Minister"), ("president", "President")):
                if role == "president" and self.rng.random() < 0.5:
                    continue
                office = f"office:{office_name.lower().replace(' ', '-')}-of-{slug}"
                g.subject(
                    office,
                    [
                        ("a", "hg:Office"),
                        ("rdfs:label", lang(f"{office_name} of {label}")),
                        ("hg:officeOf", iri),
                        ("owl:sameAs", self.next_qid()),
                        ("hg:qidStatus", literal("verified")),
                    ],
                )
                person_slug = f"bench-{role}-{i:03d}"
                person = f"person:{person_slug}"
                g.subject(
                    person,
                    [
                        ("a", "hg:Leader"),
                        ("a", "hg:Person"),
                        ("a", "hg:Actor"),
                        ("rdfs:label", lang(f"{office_name} Person {i:03d}")),
                        ("skos:altLabel", lang(f"P{i:03d}{role[0].upper()}")),
                        ("owl:sameAs", self.next_qid()),
                        ("hg:qidStatus", literal("verified")),
                    ],
                )
                line += 1
                evidence = self.sentence(
                    g,
                    "bench-reference-profiles",
                    line,
                    source,
                    f"{office_name} Person {i:03d} is the {office_name} of {label}.",
                )
                g.subject(
                    f"mandate:{person_slug}-{role}",
                    [
                        ("a", "hg:Mandate"),
                        ("rdfs:label", lang(f"{office_name} Person {i:03d}, {office_name}")),
                        ("hg:holder", person),
                        ("hg:office", office),
                        ("hg:date", '"2025-01"^^xsd:gYearMonth'),
                        ("hg:dateBasis", literal("date of the profile")),
                        ("hg:reference", literal("the generated profile")),
                        ("hg:derivedFrom", evidence),
                    ],
                )
                leaders.append(person)
                self.bump("leaders")
            countries.append(Country(iri, label, leaders, body))
        self.bump("countries", n_countries)
        out.append(g.text())
        self.triples += g.triples

        g = GraphWriter("src:bench-reference-policies")
        source = "src:bench-reference-policies"
        self.source_document(
            g, source, "Synthetic policy briefs (benchmark data)", publishers[0], "2025-01-01"
        )
        policies = [DEFAULT_POLICY] + [
            f"policy:bench-policy-{i:03d}" for i in range(2, n_policies + 1)
        ]
        for i, policy in enumerate(policies, 1):
            proposer = self.rng.choice(countries)
            evidence = self.sentence(
                g, "bench-reference-policies", i, source, self.words(12, 30) + "."
            )
            label = "UK return hubs plan" if policy == DEFAULT_POLICY else f"Policy {i:03d}"
            g.subject(
                policy,
                [
                    ("a", "hg:Policy"),
                    ("rdfs:label", lang(label)),
                    ("hg:description", literal(self.words(10, 25) + ".")),
                    ("hg:aim", literal(self.words(5, 12) + ".")),
                    ("hg:proposedBy", proposer.leaders[0]),
                    ("hg:status", literal("proposed")),
                    ("hg:derivedFrom", evidence),
                ],
            )
        self.bump("policies", n_policies)
        out.append(g.text())
        self.triples += g.triples
        return World(countries, publishers, policies, max(0.03, 1 / n_policies))

    # -- articles ------------------------------------------------------------------------
    def article(self, world: World, n: int) -> GraphWriter:
        rng = self.rng
        slug = f"bench-article-{n:06d}"
        source = f"src:{slug}"
        g = GraphWriter(source)
        publisher = rng.choice(world.publishers)
        day = 1 + n % 28
        month = 1 + (n // 28) % 12
        issued = f"2025-{month:02d}-{day:02d}"
        self.source_document(
            g, source, f"Synthetic article {n:06d}: " + self.words(5, 10), publisher, issued
        )
        line = 0
        approached: list[Country] = []
        approach_policy = DEFAULT_POLICY
        claim_evidence = None
        for k in range(1, rng.randint(4, 12) + 1):
            country = rng.choice(world.countries)
            policy = (
                DEFAULT_POLICY
                if rng.random() < world.default_policy_share
                else rng.choice(world.policies)
            )
            position = rng.choices([p for p, _ in POSITIONS], weights=[w for _, w in POSITIONS])[0]
            stance = f"stance:{slug}-{k}"
            line += 1
            evidence = [self.sentence(g, slug, line, source, self.words(15, 35) + ".")]
            pairs = [
                ("a", "hg:Stance"),
                ("rdfs:label", lang(f"{country.label}'s stance, article {n:06d} #{k}")),
                ("hg:holder", country.iri),
                ("hg:towards", policy),
                ("hg:position", position),
                ("hg:date", f'"{issued[:7]}"^^xsd:gYearMonth'),
                ("hg:dateBasis", literal("month of the source")),
            ]
            if position == "position:not-approached":
                approached.append(country)
                approach_policy = policy
                claim_evidence = claim_evidence or evidence[0]
                pairs.append(("hg:basedOnClaim", f"claim:{slug}"))
            else:
                voice = rng.choice([*country.leaders, country.body])
                pairs.append(("hg:voicedBy", voice))
                for _ in range(rng.randint(3, 8)):
                    line += 1
                    quote = f"quote:{slug}-{line}"
                    g.subject(
                        quote,
                        [
                            ("a", "hg:Quote"),
                            ("a", "hg:Statement"),
                            ("rdfs:label", lang(f"Quote, article {n:06d}, line {line}")),
                            ("hg:text", literal(self.words(6, 18))),
                            ("hg:speaker", voice),
                            ("hg:inSentence", evidence[0]),
                            ("hg:inSource", source),
                        ],
                    )
                    self.bump("quotes")
                    evidence.append(quote)
                kinds = []
                if position == "position:open-with-conditions":
                    kinds.append("condition-kind:precondition")
                    if rng.random() < 0.3:
                        kinds.append("condition-kind:reciprocal-expectation")
                elif position == "position:willing" and rng.random() < 0.5:
                    kinds.append("condition-kind:reciprocal-expectation")
                for c, kind in enumerate(kinds, 1):
                    line += 1
                    basis = self.sentence(g, slug, line, source, self.words(12, 30) + ".")
                    condition = f"condition:{slug}-{k}-{c}"
                    obliged = rng.choice(world.countries)
                    g.subject(
                        condition,
                        [
                            ("a", "hg:Condition"),
                            ("rdfs:label", lang(f"Condition {c} of {country.label}, #{k}")),
                            ("hg:conditionKind", kind),
                            ("hg:paraphrase", literal(self.words(8, 20) + ".")),
                            ("hg:obligedParty", obliged.iri),
                            ("hg:beneficiary", country.iri),
                            ("hg:derivedFrom", basis),
                        ],
                    )
                    pairs.append(("hg:hasCondition", condition))
                    self.bump("conditions")
                if position == "position:willing" and rng.random() < 0.3:
                    pairs.append(("hg:motive", literal(self.words(8, 16) + ".")))
            pairs += [("hg:derivedFrom", e) for e in evidence]
            g.subject(stance, pairs)
            self.bump("stances")
        if approached:
            reporter = rng.choice([p for p in world.publishers if p != publisher] or [publisher])
            event = f"event:{slug}-approach"
            g.subject(
                event,
                [
                    ("a", "hg:Approach"),
                    ("a", "hg:Event"),
                    ("rdfs:label", lang(f"Approach reported in article {n:06d}")),
                    ("hg:approacher", rng.choice(world.countries).iri),
                    *[("hg:approached", iri) for iri in dict.fromkeys(a.iri for a in approached)],
                    ("hg:purpose", approach_policy),
                    ("hg:derivedFrom", str(claim_evidence)),
                ],
            )
            g.subject(
                f"claim:{slug}",
                [
                    ("a", "hg:ReportedClaim"),
                    ("rdfs:label", lang(f"Claim reported in article {n:06d}")),
                    ("hg:reportedBy", reporter),
                    ("hg:claims", event),
                    ("hg:derivedFrom", str(claim_evidence)),
                ],
            )
        return g

    def run(self) -> tuple[str, int]:
        self.triples = 0
        out = [
            "# Synthetic hubgraph benchmark data (bench/generate.py): every name, number, text\n"
            "# and Wikidata-style IRI here is made up.\n",
            *(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items()),
            "\n",
        ]
        world = self.world(out)
        n = 0
        while self.triples < self.target:
            n += 1
            g = self.article(world, n)
            out.append(g.text())
            self.triples += g.triples
        return "".join(out), self.triples


def generate(triples: int, seed: int = 42, out: Path = WORK) -> Path:
    """Write the data set of about ``triples`` triples for ``seed`` (if not there yet)."""
    path = data_path(triples, seed, out)
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    text, _ = Generator(triples, seed).run()
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path


def ontology_trig(out: Path = WORK) -> Path:
    """The ontology and shapes as TriG in the named graphs hubgraph puts them in, so that the
    other servers hold exactly what ``hubgraph load`` writes."""
    import pyoxigraph as ox

    path = out / "ontology.trig"
    out.mkdir(parents=True, exist_ok=True)
    store = ox.Store()
    base = "https://w3id.org/hubgraph/graph/"
    for name, graph in (("hubgraph.ttl", "ontology"), ("shapes.ttl", "shapes")):
        file = ROOT / "ontology" / name
        store.load(
            path=str(file),
            format=ox.RdfFormat.TURTLE,
            base_iri=file.as_uri(),
            to_graph=ox.NamedNode(base + graph),
        )
    with path.open("wb") as f:
        store.dump(f, ox.RdfFormat.TRIG)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="1e5", help="about this many triples (e.g. 1e6)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=WORK)
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args(argv)
    triples = expand(args.triples)
    path = data_path(triples, args.seed, args.out)
    if args.force and path.exists():
        path.unlink()
    started = time.perf_counter()
    generator = Generator(triples, args.seed)
    text, count = generator.run()
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(
        f"{path}: {count} triples in {time.perf_counter() - started:.1f} s "
        + ", ".join(f"{v} {k}" for k, v in sorted(generator.counts.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
