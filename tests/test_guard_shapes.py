"""The guard's shortcut for point lookups (hubgraph.query.shapes): on every text it either
declines or gives exactly the full guard's verdict. Thousands of random texts near the shape and
look-alikes (comments, strings, escapes and unicode in IRIs, relative IRIs, prefixed names,
PREFIX and BASE, extra clauses, glued keywords, single-character mutations)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from hubgraph.errors import HubgraphError
from hubgraph.query.guard import QueryInfo, check_query
from hubgraph.query.shapes import Shortcut, canonical
from hubgraph.vocabulary import PREFIXES

POINT = "SELECT ?p ?o WHERE { <https://w3id.org/hubgraph/id/stance/bench-article-000100-1> ?p ?o }"
SPACES = ["", " ", "  ", "\n", "\t", "\r\n", " \n ", "#c\n", " # x }\n", "\u00a0", "\u3000", "\x0b"]
SELECTS = ["SELECT", "select", "SeLeCt", "SELECTT", "SELEC", "\u017felect", "SELECT\u200b", "ASK"]
MODIFIERS = ["", "", "", " DISTINCT", " REDUCED", " distinct", " DISTINCT*", " DISTINCTX"]
NAMES = ["p", "o", "s", "_x", "1a", "x_1", "\u00e9", "p\u00b7", "SELECT", "where", "x-y", "K", ""]
WHERES = [" WHERE", " where", "", "", "WHERE", " WHER", " WHERE#x\n", " WHEREX", " WHERE "]
IRIS = [
    "<http://a/b>",
    "<https://w3id.org/hubgraph/id/stance/bench-article-000100-1>",
    "<urn:x>",
    "<a:b>",
    "<A+.-b:c>",
    "<http://a/b#frag>",
    "<http://a/b?q=1&r=(2)>",
    "<http://a/'x'>",
    "<http://a/[1]!*+=>",
    "<http://a/b/c/d/e/f/g/h/i>",
    "<http://a/%41>",
    "<http://a/~_.;,$@>",
    "<b>",
    "<#x>",
    "<//h/p>",
    "<>",
    "<1a:b>",
    "<:b>",
    "<a/b:c>",
    "<http://a/\\u0041>",
    "<http://a/\\U00000041>",
    "<\\u0068ttp://a/>",
    "<http://\u00e9/>",
    "<http://a b>",
    "<http://a{b}>",
    '<http://a"b>',
    "<http://a|b>",
    "<http://a^b>",
    "<http://a`b>",
    "<http://a\\b>",
    "<http://a<b>",
    "<http://a>b>",
    "<http://a\x00b>",
    "<http://a\x7fb>",
    "<SERVICE:x>",
]
OTHER_TERMS = [
    "a",
    "ex:a",
    "hg:Stance",
    ":x",
    "_:b",
    "[]",
    '"x"',
    "'x'",
    '"x\\"y"',
    "'''x'''",
    "1",
    "-1.5e3",
    "true",
    "(1 2)",
    "<<?s ?p ?o>>",
    "SERVICE",
    "?",
    "$",
]
DOTS = ["", "", " .", ".", " ;", " ,", ". .", " ;.", " . <http://a/> ?p ?o"]
TAILS = [
    "",
    "",
    "",
    " LIMIT 1",
    " ORDER BY ?p",
    " }",
    "#c",
    " .",
    " OFFSET 1",
    "{}",
    " VALUES ?x {1}",
]
PROLOGUES = ["", "", "", "PREFIX ex: <http://e/> ", "BASE <http://b/> ", "prefix : <http://x/> "]
INSIDES = ["", "", "", "FILTER(?o) ", "SERVICE <http://x/> { } ", "OPTIONAL { } ", "{ } "]
FROMS = ["", "", "", "", " FROM <http://g/>", " FROM NAMED <http://g/>"]
MUTATIONS = [*" \t\n#<>?$.{}\"'\\:*_-aZ09\u00e9\u00a0", "\\u0041", "\u017f", "\u212a"]


def pick(rng: random.Random, options: list[str], clean: int, noisy: bool) -> str:
    """One of ``options``: of its first ``clean`` (each of the shape) unless ``noisy``."""
    return rng.choice(options if noisy else options[:clean])


def variable(rng: random.Random, noisy: bool) -> str:
    return pick(rng, ["?", "$", "??"], 2, noisy) + pick(rng, NAMES, 6, noisy)


def term(rng: random.Random, iri_share: float, noisy: bool) -> str:
    roll = rng.random()
    if roll < iri_share:
        return pick(rng, IRIS, 12, noisy)
    if roll < 0.9 or not noisy:
        return variable(rng, noisy)
    return rng.choice(OTHER_TERMS)


def near_shape(rng: random.Random) -> str:
    """A text of the shape, or (most often) one near it: each part is noisy a third of the time
    and the text is mutated a third of the time."""

    def noisy() -> bool:
        return rng.random() < 0.08

    def ws() -> str:
        return pick(rng, SPACES, 6, noisy())

    def sep() -> str:
        return pick(rng, SPACES, 6, noisy()) or " "

    if rng.random() < 0.15:
        projection = ws() + "*"
    elif rng.random() < 0.03:
        projection = sep() + rng.choice(["(?p AS ?q)", "(COUNT(*) AS ?n)", "?p?o"])
    else:
        count = rng.choice([1, 2, 2, 2, 3])
        projection = "".join(sep() + variable(rng, noisy()) for _ in range(count))
    text = (
        pick(rng, PROLOGUES, 3, noisy())
        + ws()
        + pick(rng, SELECTS, 3, noisy())
        + pick(rng, MODIFIERS, 6, noisy())
        + projection
        + pick(rng, FROMS, 4, noisy())
        + pick(rng, WHERES, 4, noisy())
        + ws()
        + "{"
        + ws()
        + pick(rng, INSIDES, 3, noisy())
        + term(rng, 1.0, noisy())
        + sep()
        + term(rng, 0.2, noisy())
        + sep()
        + term(rng, 0.2, noisy())
        + pick(rng, DOTS, 4, noisy())
        + ws()
        + "}"
        + pick(rng, TAILS, 3, noisy())
        + ws()
    )
    for _ in range(rng.choice([0, 0, 0, 0, 1, 2])):
        i = rng.randrange(len(text) + 1)
        roll = rng.random()
        if roll < 0.4:
            text = text[:i] + rng.choice(MUTATIONS) + text[i:]
        elif roll < 0.7:
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + rng.choice(MUTATIONS) + text[i + 1 :]
    return text


def texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [near_shape(rng) for _ in range(count)]


def full_guard(
    max_depth: int, allowlist: tuple[str, ...], prefixes: dict[str, str] | None, base: str | None
) -> Callable[[str], QueryInfo]:
    def check(text: str) -> QueryInfo:
        return check_query(
            text,
            max_depth=max_depth,
            service_allowlist=allowlist,
            prefixes=prefixes,
            base_iri=base,
        )

    return check


CONFIGS = {
    "served": full_guard(100, (), PREFIXES, "http://127.0.0.1:8000/sparql"),
    "bare": full_guard(100, ("http://x/",), None, None),
    "shallow": full_guard(2, (), PREFIXES, "http://h/"),
    "flat": full_guard(1, (), PREFIXES, "http://h/"),
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_shortcut_declines_or_agrees_with_the_full_guard(config: str) -> None:
    check = CONFIGS[config]
    shortcut = Shortcut(check)
    matched = 0
    for text in [POINT, *texts(seed=13, count=4000)]:
        verdict = shortcut.verdict(text)
        if verdict is None:
            continue
        matched += 1
        try:
            full: QueryInfo | HubgraphError = check(text)
        except HubgraphError as exc:
            full = exc
        assert full == verdict, text
    if config == "flat":
        assert matched == 0  # the canonical text itself is refused: the full guard decides
    else:
        # Not a vacuous pass: a good share of the texts are of the shape.
        assert matched > 600, matched


def test_the_shape_and_its_variants() -> None:
    assert canonical(POINT) == "SELECT ?v0 ?v1 WHERE { <http://example.org/x> ?v0 ?v1 }"
    same = [
        "select $p ?o { <urn:x> ?p $o . }",
        "SELECT DISTINCT ?p ?o WHERE{<http://a/> ?p ?o}",
        "\n SELECT *\tWHERE {\r\n<http://a/b#c> <http://p/> ?o.}\n",
    ]
    assert canonical(same[0]) == "SELECT ?v0 ?v1 { <http://example.org/x> ?v0 ?v1 . }"
    assert canonical(same[1]) == "SELECT DISTINCT ?v0 ?v1 WHERE { <http://example.org/x> ?v0 ?v1 }"
    assert canonical(same[2]) == (
        "SELECT * WHERE { <http://example.org/x> <http://example.org/x> ?v0 . }"
    )
    declined = [
        "SELECT ?p ?o WHERE { <b> ?p ?o }",  # relative: the base IRI would resolve it
        "SELECT ?p ?o WHERE { <http://a/\\u0041> ?p ?o }",  # an escape
        "SELECT ?p ?o WHERE { <http://\u00e9/> ?p ?o }",  # not ASCII
        "SELECT ?p ?o WHERE { ex:a ?p ?o }",  # a prefixed name
        "SELECT ?p ?o WHERE { <http://a/> ?p ?o } LIMIT 1",
        "SELECT ?p ?o WHERE { <http://a/> ?p ?o } # }",
        "\u017fELECT ?p ?o WHERE { <http://a/> ?p ?o }",  # ſ folds to S in unicode case
        'SELECT ?p ?o WHERE { <http://a/> ?p "x" }',
        "BASE <http://b/> SELECT ?p ?o WHERE { <http://a/> ?p ?o }",
        "SELECT ?p ?o FROM <http://g/> WHERE { <http://a/> ?p ?o }",
    ]
    assert [canonical(t) for t in declined] == [None] * len(declined)


def test_the_service_answers_point_lookups_without_filling_its_cache_of_texts() -> None:
    from conftest import data_settings

    from hubgraph.runtime import open_service

    service = open_service(data_settings())
    try:
        first = service.check(POINT)
        for n in range(50):
            assert service.check(POINT.replace("000100-1", f"{n:06d}-1")) is first
        assert service._scan.cache_info().currsize == 0
        assert service.check("ASK {}").form == "ASK"
        assert service._scan.cache_info().currsize == 1
    finally:
        service.close()
