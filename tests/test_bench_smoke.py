"""The benchmark's synthetic data (bench/generate.py), at a tiny size: it passes hubgraph's SHACL
validation, it is the same for the same seed, and the real canned queries return rows on it.
No servers here: bench/run.py is the benchmark itself."""

from __future__ import annotations

import sys
from pathlib import Path

from hubgraph.config import Settings
from hubgraph.loader import read_and_check
from hubgraph.runtime import open_service

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402

TRIPLES = 2_000
CONDITION_KINDS = {
    "https://w3id.org/hubgraph/id/condition-kind/precondition",
    "https://w3id.org/hubgraph/id/condition-kind/reciprocal-expectation",
}


def test_generated_data_validates_and_the_canned_queries_answer(tmp_path: Path) -> None:
    path = generate.generate(TRIPLES, seed=7, out=tmp_path)
    [source] = read_and_check([path], ROOT / "ontology" / "shapes.ttl")  # raises if invalid
    assert TRIPLES <= source.quad_count < 2 * TRIPLES
    assert len(source.graphs) >= 3  # reference graphs and articles: one per source document

    settings = Settings(
        store="memory",
        data_dir=tmp_path,
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
        workers=1,
        service_allowlist=(),
    )
    service = open_service(settings)
    try:
        page = service.canned("countries-attaching-conditions", {})
        assert page.rows and not page.truncated
        kinds = {str(row[page.variables.index("kind")].value) for row in page.rows}
        assert kinds == CONDITION_KINDS
        qids = [row[page.variables.index("qid")] for row in page.rows]
        assert all(q is not None and q.value.startswith("Q") for q in qids)
        assert service.canned("stances", {}).rows
    finally:
        service.close()


def test_same_seed_same_data() -> None:
    first, count = generate.Generator(TRIPLES, seed=3).run()
    second, _ = generate.Generator(TRIPLES, seed=3).run()
    other, _ = generate.Generator(TRIPLES, seed=4).run()
    assert first == second != other
    assert count >= TRIPLES
