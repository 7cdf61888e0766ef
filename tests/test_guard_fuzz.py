"""The guard against the engine, on generated queries: a differential fuzz.

Each case mixes comments ended by CR, LF or CRLF, escapes (PN_LOCAL_ESC, PLX, UCHAR, ECHAR),
prefixes (some declared twice), BASE, strings and IRIs holding ``#``, ``<`` and ``{``, and
SERVICE calls (IRI, relative IRI, prefixed name, SILENT, variable). The guard reads it; the
engine, in a child process, runs it against a listener on 127.0.0.1 that records which
endpoints it was really asked to call. Agreement: when the engine takes the text as a query,
the guard either refuses it or names the same form and the same SERVICE endpoints — so no
SERVICE call the guard did not see can happen, and nothing is run as another form.

``HUBGRAPH_FUZZ_CASES`` and ``HUBGRAPH_FUZZ_SEED`` set the run (``make fuzz`` runs a long one).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from engine_oracle import EngineOracle
from loopback import Recorder, serving

from hubgraph.errors import HubgraphError
from hubgraph.query.guard import QueryInfo, scan
from hubgraph.vocabulary import PREFIXES

CASES = int(os.environ.get("HUBGRAPH_FUZZ_CASES", "8000"))
SEED = int(os.environ.get("HUBGRAPH_FUZZ_SEED", "20251022"))
FORMS = {"SELECT": "SELECT", "ASK": "ASK", "CONSTRUCT": "GRAPH", "DESCRIBE": "GRAPH"}


@pytest.fixture(scope="module")
def listener() -> Iterator[str]:
    with serving() as url:
        yield url


class Generator:
    """Random query texts whose every IRI names the listener, so that whatever the engine calls,
    it calls on 127.0.0.1 and the listener sees it."""

    NAMES = ("ex", "s", "", "p1", "a.b", "x-y")

    def __init__(self, rng: random.Random, host: str) -> None:
        self.rng = rng
        self.host = host  # http://127.0.0.1:port

    def newline(self) -> str:
        return self.rng.choice(["\n", "\r", "\r\n", " "])

    def comment(self) -> str:
        r = self.rng
        inside = r.choice(
            ["", f" SERVICE <{self.host}/incomment> {{ }}", " '", ' "', " <", " {", " \\", " #"]
        )
        return "#" + inside + r.choice(["\n", "\r", "\r\n"])

    def gap(self) -> str:
        r = self.rng
        parts = [r.choice([" ", "\t", "\n", "\r", "\r\n"])]
        if r.random() < 0.3:
            parts.append(self.comment())
        return "".join(parts)

    def iri_text(self, path: str) -> str:
        r = self.rng
        full = f"{self.host}/{path}"
        choice = r.randrange(6)
        if choice == 0:
            return f"<{full}>"
        if choice == 1:  # a UCHAR for one character
            i = r.randrange(len(full))
            return f"<{full[:i]}\\u{ord(full[i]):04X}{full[i + 1 :]}>"
        if choice == 2:
            return f"<{full[:10]}\\U{ord(full[10]):08x}{full[11:]}>"
        if choice == 3:
            return f"<{path}>"  # relative to the base
        if choice == 4:
            return f"<./{path}>"
        return f"<../{path}>"

    def prologue(self, declared: dict[str, str]) -> str:
        r = self.rng
        out = []
        if r.random() < 0.4:
            out.append("BASE " + r.choice([f"<{self.host}/b/c/>", "<sub/>", f"<{self.host}/>"]))
        for _ in range(r.randrange(4)):
            name = r.choice(self.NAMES)
            value = self.iri_text(r.choice(["ns/", "ns2/", "n#", "q/"]))
            out.append(f"PREFIX {name}: {value}")
            declared[name] = value
        return "".join(x + self.gap() for x in out)

    def pname(self, declared: dict[str, str], local: str) -> str:
        r = self.rng
        name = r.choice(list(declared)) if declared and r.random() < 0.9 else "undeclared"
        escaped = r.choice([local, local + "\\~", local + "%41", "\\-" + local, local + ".b"])
        return f"{name}:{escaped}"

    def target(self, declared: dict[str, str], n: int) -> str:
        r = self.rng
        kind = r.randrange(10)
        if kind < 4:
            return self.iri_text(f"t{n}")
        if kind < 8:
            return self.pname(declared, f"t{n}")
        return "?svc"

    def decoy(self, declared: dict[str, str]) -> str:
        # Inside OPTIONAL: on the empty store a triple pattern matches nothing, and a join with
        # nothing would spare the engine the SERVICE calls after it.
        return "OPTIONAL {" + self.gap() + self._decoy(declared) + self.gap() + "}"

    def _decoy(self, declared: dict[str, str]) -> str:
        r = self.rng
        h = self.host
        return r.choice(
            [
                f"?s <{h}/p#x> 'SERVICE <{h}/instring> {{ }} #' .",
                f'?s <{h}/p> "a\\"b # {{ <" .',
                f"?s <{h}/p> '''x\n# SERVICE <{h}/inlong> {{ }}\r'' ''' .",
                f"?s <{h}/p> ?o FILTER(1 < 2)",
                f"?s <{h}/p> ?o FILTER(?o<'#'||1>0)",
                f"?s <{h}/p> ?o FILTER(?o < '#' || 2 > 1)",
                f"?s {self.pname(declared, 'a')}\\#b ?o .",
                f"?s {self.pname(declared, 'it')}\\'s ?o .",
                f'?s <{h}/p> "x"@en-GB .',
                f"?s <{h}/p> '\\u0023' .",
                "BIND('#' AS ?h)",
                f"OPTIONAL {{ ?s <{h}/q> ?o }}",
                f"?s <{h}/p> ?o FILTER(?o<?s&&?s>?o)",
                f"?s <{h}/p>/<{h}/q>|^<{h}/r> ?o .",
                f"?s (<{h}/p>*/!(<{h}/q>|^<{h}/r>))? _:b1 .",
                f'?s a {self.pname(declared, "c")}.d ; <{h}/p> 1.5e3, -2, "x"^^<{h}/t> .',
                f"{{ SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?s <{h}/p> ?o }} GROUP BY ?s }}",
                f"?s <{h}/p> ( 1 <{h}/l#1> ) .",
                "FILTER(STR(?x) < '#' && !BOUND(?y))",
                f'?s <{h}/p> """a \\" # {{ < "" b""" .',
            ]
        )

    def query(self) -> str:
        r = self.rng
        declared: dict[str, str] = {}
        head = self.prologue(declared)
        parts = []
        uses_var = False
        for i in range(r.randrange(1, 5)):
            if r.random() < 0.5:
                silent = "SILENT" + self.gap() if r.random() < 0.3 else ""
                target = self.target(declared, i)
                uses_var |= target == "?svc"
                parts.append(f"SERVICE{self.gap()}{silent}{target}{self.gap()}{{ }}")
            else:
                parts.append(self.decoy(declared))
        if uses_var:
            parts.insert(0, f"VALUES ?svc {{ <{self.host}/v> }}")
        body = "{" + self.gap() + self.gap().join(parts) + self.gap() + "}"
        form = r.choice(
            [
                "SELECT *" + self.gap() + "WHERE",
                "ASK",
                "CONSTRUCT { ?s ?p ?o }" + self.gap() + "WHERE",
                f"DESCRIBE <{self.host}/d>" + self.gap() + "WHERE",
                "select *",
            ]
        )
        return head + form + self.gap() + body + r.choice(["", self.comment(), self.newline()])


def _expected_paths(info: QueryInfo, host: str) -> tuple[set[str], bool]:
    """The paths the engine should call, and whether a variable target may add others."""
    paths = set()
    variable = False
    for target in info.services:
        if target.startswith("?"):
            variable = True
            continue
        parts = urlsplit(target)
        assert f"{parts.scheme}://{parts.netloc}" == host, target  # never another host
        paths.add(parts.path)
    return paths, variable


def test_the_guard_and_the_engine_agree(listener: str) -> None:
    rng = random.Random(SEED)
    generator = Generator(rng, listener)
    base = f"{listener}/base/sparql"
    oracle = EngineOracle()
    refused_parsed = agreed = engine_refused = 0
    disagreements: list[str] = []
    started = time.perf_counter()
    try:
        for _ in range(CASES):
            text = generator.query()
            try:
                info: QueryInfo | None = scan(text, PREFIXES, base_iri=base, max_depth=100)
            except HubgraphError:
                info = None
            Recorder.seen.clear()
            verdict = oracle.ask(text, base=base, prefixes=PREFIXES, run=True)
            seen = set(Recorder.seen)
            if verdict.verdict == "crash":
                if info is not None:
                    disagreements.append(f"engine crashed, guard accepted: {text!r}")
                continue
            if verdict.verdict == "syntax":
                engine_refused += 1
                if seen:
                    disagreements.append(f"engine refused yet called {seen}: {text!r}")
                continue
            if info is None:
                refused_parsed += 1
                continue
            if verdict.form != "?" and FORMS.get(info.form) != verdict.form:
                disagreements.append(f"guard {info.form}, engine {verdict.form}: {text!r}")
                continue
            expected, variable = _expected_paths(info, listener)
            if seen - {"/v"} != expected or ("/v" in seen and not variable):
                disagreements.append(f"guard named {expected}, engine called {seen}: {text!r}")
                continue
            agreed += 1
    finally:
        oracle.close()
    elapsed = time.perf_counter() - started
    print(
        f"\nfuzz: {CASES} cases (seed {SEED}) in {elapsed:.1f} s ({CASES / elapsed:.0f}/s): "
        f"{agreed} agreed, {engine_refused} refused by the engine, "
        f"{refused_parsed} refused by the guard though the engine parses them"
    )
    assert not disagreements, "\n".join(disagreements[:20])
    # The generator aims at valid queries: most must run, and the guard must not refuse many.
    assert agreed > CASES * 0.4, (agreed, engine_refused, refused_parsed)
    assert refused_parsed < CASES * 0.15, (agreed, engine_refused, refused_parsed)
