"""Synthetic hubgraph data for the benchmark, shaped like the real graph.

A data set is a folder that ``hubgraph load`` takes as it is, in the real ontology's terms
(``ontology/hubgraph.ttl``) and passing every check of the loader, so that the real canned
queries return rows:

* ``register.yaml``, the entity register (as ``data/register.yaml`` is): countries with
  Wikidata-style QIDs, their leaders with offices and mandates, government bodies, news
  organisations, policies (``policy/uk-return-hubs`` among them, the canned queries' default);
* ``articles.trig``, news articles, one named graph each, that only point at the register's
  entities: the article itself, its sentences and quotes (with speakers), stances of countries
  towards policies with positions from the real SKOS concepts, conditions of both kinds, and
  reported claims with approach events.

Beside the folder, ``<folder>.register.trig`` is the register as hubgraph compiles it, for the
stores that load TriG only: they get exactly the quads ``hubgraph load`` writes.

Every name, number and text is synthetic (Wikidata-style QIDs are ``Q9000000001`` upwards, far
above any real entity); the output is a function of ``--triples`` and ``--seed`` alone.

    python bench/generate.py --triples 1e5 [--seed 42] [--out bench/work]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
GENERATOR_VERSION = "3"
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
    """The data set's folder (see :class:`DataSet`)."""
    return out / f"hubgraph-bench-{size_label(triples)}-seed{seed}-v{GENERATOR_VERSION}"


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

    # -- the register ----------------------------------------------------------------
    def world(self, register: list[str]) -> World:
        """The shared entities, written as register entries (``register.yaml``): a source graph
        only points at them, as the loader requires of every source."""
        n_countries = max(9, min(200, self.target // 500))
        n_publishers = max(2, min(40, self.target // 25_000))
        n_policies = max(3, min(50, self.target // 20_000))
        entities: list[str] = []
        mandates: list[str] = []

        def entity(id_: str, kind: str, label: str, *extra: str, qid: bool = True) -> None:
            link = f"qid: Q{self.next_qid().removeprefix('wd:Q')}, qid_status: verified"
            fields = [f"id: {id_}", f"kind: {kind}", f"label: {label}", *extra]
            fields.append(link if qid else "qid_status: none")
            entities.append("  - {" + ", ".join(fields) + "}")

        publishers = []
        for i in range(1, n_publishers + 1):
            entity(f"organisation/bench-news-{i:03d}", "news-organisation",
                   f"Bench News {i:03d}", qid=i % 3 != 0)  # fmt: skip
            publishers.append(f"organisation:bench-news-{i:03d}")
        countries = []
        for i in range(1, n_countries + 1):
            slug = f"bench-country-{i:03d}"
            label = f"Country {i:03d}"
            entity(f"country/{slug}", "country", label, f"aliases: [C{i:03d}]")
            entity(f"organisation/government-of-{slug}", "government-body",
                   f"Government of {label}", f"body_of: country/{slug}", qid=False)  # fmt: skip
            leaders = []
            for role, office_name in (("pm", "Prime Minister"), ("president", "President")):
                if role == "president" and self.rng.random() < 0.5:
                    continue
                office = f"office/{office_name.lower().replace(' ', '-')}-of-{slug}"
                entity(office, "office", f"{office_name} of {label}", f"office_of: country/{slug}",
                       f"office_type: {office_name.lower().replace(' ', '-')}")  # fmt: skip
                person = f"person/bench-{role}-{i:03d}"
                entity(person, "person", f"{office_name} Person {i:03d}",
                       f"aliases: [P{i:03d}{role[0].upper()}]")  # fmt: skip
                mandates.append(
                    f"  - {{holder: {person}, office: {office}, "
                    'reference: "the generated profile (benchmark data)"}'
                )
                leaders.append(person.replace("/", ":", 1))
                self.bump("leaders")
            countries.append(
                Country(f"country:{slug}", label, leaders, f"organisation:government-of-{slug}")
            )
        self.bump("countries", n_countries)
        policies = [DEFAULT_POLICY] + [
            f"policy:bench-policy-{i:03d}" for i in range(2, n_policies + 1)
        ]
        for i, policy in enumerate(policies, 1):
            label = "UK return hubs plan" if policy == DEFAULT_POLICY else f"Policy {i:03d}"
            entity(policy.replace(":", "/", 1), "policy", label, qid=False)
        self.bump("policies", n_policies)
        register += [
            "# Synthetic register of the benchmark data (bench/generate.py): every name and\n"
            "# Wikidata-style QID here is made up.\n",
            "register: 1\nentities:\n",
            "\n".join(entities),
            "\nmandates:\n",
            "\n".join(mandates),
            "\n",
        ]
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
                # As the sheet compiler writes it: the canned queries' fast path.
                ("hg:inSource", source),
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
                    ("hg:inSource", source),
                ],
            )
        return g

    def run(self) -> tuple[str, str, int]:
        """The register (YAML), the articles (TriG) and the articles' triple count."""
        self.triples = 0
        register: list[str] = []
        out = [
            "# Synthetic hubgraph benchmark data (bench/generate.py): every name, number, text\n"
            "# and Wikidata-style IRI here is made up.\n",
            *(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items()),
            "\n",
        ]
        world = self.world(register)
        n = 0
        while self.triples < self.target:
            n += 1
            g = self.article(world, n)
            out.append(g.text())
            self.triples += g.triples
        return "".join(register), "".join(out), self.triples


@dataclass(frozen=True)
class DataSet:
    """A generated data set: a folder ``hubgraph load`` takes as it is (``register.yaml`` and
    ``articles.trig``), and the same quads as TriG files for the stores that do not read the
    register's YAML: the articles, and the register as hubgraph compiles it."""

    folder: Path

    @property
    def register_yaml(self) -> Path:
        return self.folder / "register.yaml"

    @property
    def articles(self) -> Path:
        return self.folder / "articles.trig"

    @property
    def register_trig(self) -> Path:
        return self.folder.with_name(self.folder.name + ".register.trig")

    def trig_files(self) -> list[Path]:
        """What the raw loads take: the same quads as ``hubgraph load`` of the folder writes
        (the ontology apart, which every load is given separately)."""
        return [self.register_trig, self.articles]


def compile_register(yaml_path: Path, target: Path) -> None:
    """The register as hubgraph's loader writes it, in its named graph, as TriG."""
    import pyoxigraph as ox

    from hubgraph.graph.register import read_register

    store = ox.Store()
    store.extend(read_register(yaml_path).quads())
    partial = target.with_suffix(".partial")
    with partial.open("wb") as f:
        store.dump(f, ox.RdfFormat.TRIG)
    partial.replace(target)


def generate(triples: int, seed: int = 42, out: Path = WORK) -> DataSet:
    """Write the data set of about ``triples`` triples for ``seed`` (if not there yet)."""
    data = DataSet(data_path(triples, seed, out))
    if data.register_trig.exists():
        return data
    partial = data.folder.with_name(data.folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    register, articles, _ = Generator(triples, seed).run()
    (partial / "register.yaml").write_text(register, encoding="utf-8")
    (partial / "articles.trig").write_text(articles, encoding="utf-8")
    shutil.rmtree(data.folder, ignore_errors=True)
    partial.rename(data.folder)
    compile_register(data.register_yaml, data.register_trig)
    return data


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
    folder = data_path(triples, args.seed, args.out)
    if args.force:
        shutil.rmtree(folder, ignore_errors=True)
        DataSet(folder).register_trig.unlink(missing_ok=True)
    started = time.perf_counter()
    data = generate(triples, args.seed, args.out)
    print(f"{data.folder}: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
