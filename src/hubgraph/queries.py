"""The canned-query registry: ``queries/*.rq`` files, their headers, and parameter binding.

A file's stem is the query's name and URL slug. Header lines ``#+ key: value`` (SPARQL
comments, so the file stays valid SPARQL) give its title, description and parameters::

    #+ param: NAME TYPE [required|optional] [list] [default=VALUE] -- description

A parameter binds the variable ``?NAME`` as RDF terms in a ``VALUES`` block at the top of the
WHERE clause; request values are never pasted into query text.

A store that cannot run a query's text well gets its own: ``queries/<kind>/NAME.rq`` (``kind``
as the store reports it, see :data:`STORE_KINDS`) stands in for ``queries/NAME.rq`` there. It
declares the same parameters; the title, description and listing are the main file's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from hubgraph.errors import ConfigError, NotFound, ParameterError
from hubgraph.query.guard import subselect_scopes, where_clause_start
from hubgraph.vocabulary import ID, WIKIDATA_ENTITY

XSD = "http://www.w3.org/2001/XMLSchema#"
SCALAR_TYPES = {"iri", "qid", "entity", "string", "integer", "decimal", "date", "boolean"}
RESERVED = {"limit", "offset", "format", "spreadsheet"}
"""Query-string names hubgraph uses for paging and output; no parameter may take them."""
MAX_VALUE_COMBINATIONS = 1000
STORE_KINDS = ("oxigraph", "virtuoso", "remote")
"""What a store says it is (``GraphStore.kind``): the names a folder of stand-in texts may take."""
QID = re.compile(r"^(?:wd:)?(Q[1-9][0-9]*)$")
QID_IRI = re.compile(r"^https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/(Q[1-9][0-9]*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>\S+)(?P<flags>.*?)(?:\s+--\s+(?P<doc>.*))?$"
)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    """One of SCALAR_TYPES, or ``concept`` with ``scheme`` set."""
    required: bool = False
    is_list: bool = False
    default: str | None = None
    description: str = ""
    scheme: str | None = None
    """For ``concept`` parameters: the SKOS concept scheme whose concepts are the choices."""

    @property
    def type_label(self) -> str:
        described = {
            "iri": "an absolute IRI",
            "qid": "a Wikidata entity (Q1246, wd:Q1246 or its IRI)",
            "entity": "an entity (a QID such as Q1246, an id such as country/kosovo, or an IRI)",
            "string": "a string",
            "integer": "an integer",
            "decimal": "a decimal number",
            "date": "a date (YYYY-MM-DD)",
            "boolean": "true or false",
            "concept": f"a concept of <{self.scheme}>",
        }
        return described[self.type]


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path
    extra: Mapping[str, str] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    """Store kind → the text that stands in for :attr:`text` on such a store."""

    def for_store(self, kind: str) -> CannedQuery:
        """The query as a store of ``kind`` runs it: its own text, if it has one."""
        text = self.texts.get(kind)
        return self if text is None else replace(self, text=text)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise ParameterError(
            f"query {self.name!r} has no parameter {name!r} (its parameters: {known})", name
        )


@dataclass(frozen=True)
class BoundQuery:
    text: str


def parse_parameter(line: str, where: str) -> Parameter:
    match = _PARAM.match(line.strip())
    if not match:
        raise ConfigError(f"{where}: cannot read parameter line {line!r}")
    name, type_text, flags = match["name"], match["type"], match["flags"].split()
    if name in RESERVED:
        raise ConfigError(f"{where}: parameter name {name!r} is reserved for paging and output")
    scheme = None
    concept = re.fullmatch(r"concept\((.+)\)", type_text)
    if concept:
        type_name, scheme = "concept", concept.group(1)
    elif type_text in SCALAR_TYPES:
        type_name = type_text
    else:
        raise ConfigError(f"{where}: parameter {name!r} has unknown type {type_text!r}")
    default = None
    for flag in flags:
        if flag.startswith("default="):
            default = flag.removeprefix("default=")
        elif flag not in {"required", "optional", "list"}:
            raise ConfigError(f"{where}: parameter {name!r} has unknown flag {flag!r}")
    return Parameter(
        name=name,
        type=type_name,
        required="required" in flags,
        is_list="list" in flags,
        default=default,
        description=(match["doc"] or "").strip(),
        scheme=scheme,
    )


def read_query(path: Path) -> CannedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    params: list[Parameter] = []
    for line in text.splitlines():
        if not line.startswith("#+"):
            continue
        key, _, value = line[2:].partition(":")
        key = key.strip()
        if key == "param":
            params.append(parse_parameter(value, str(path)))
        else:
            header[key] = value.strip()
    return CannedQuery(
        name=path.stem,
        title=header.pop("title", path.stem),
        description=header.pop("description", ""),
        parameters=tuple(params),
        text=text,
        path=path,
        extra=header,
    )


class QueryRegistry:
    """The canned queries of one directory, read once, with the texts of its store-kind
    folders (``virtuoso/``) beside them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        paths = sorted(directory.glob("*.rq")) if directory.is_dir() else []
        self.queries = {q.name: q for q in map(read_query, paths)}
        for folder in sorted(p for p in directory.iterdir() if p.is_dir()) if paths else []:
            self._read_stand_ins(folder)

    def _read_stand_ins(self, folder: Path) -> None:
        stand_ins = sorted(folder.glob("*.rq"))
        if not stand_ins:
            return  # not a folder of queries
        if folder.name not in STORE_KINDS:
            # A misspelt folder would be ignored silently, and its store sent the main texts.
            raise ConfigError(
                f"{folder}: a folder of queries must be named after a store kind "
                f"({', '.join(STORE_KINDS)})"
            )
        for path in stand_ins:
            own = read_query(path)
            main = self.queries.get(own.name)
            if main is None:
                raise ConfigError(
                    f"{path}: there is no {self.directory / path.name} for it to stand in for"
                )
            if _signature(own) != _signature(main):
                raise ConfigError(
                    f"{path}: declares other parameters than {main.path} "
                    f"({_signature(own)} instead of {_signature(main)}); "
                    "a store's own text must take the same ones"
                )
            texts = {**main.texts, folder.name: own.text}
            self.queries[own.name] = replace(main, texts=texts)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.queries)

    def get(self, name: str) -> CannedQuery:
        try:
            return self.queries[name]
        except KeyError:
            known = ", ".join(self.queries) or "none"
            raise NotFound(f"no canned query named {name!r} (known: {known})") from None


def _signature(query: CannedQuery) -> str:
    """The parameters as a caller sees them (their descriptions aside)."""
    described = []
    for p in query.parameters:
        flags = ["required" if p.required else "optional", *(["list"] if p.is_list else [])]
        if p.default is not None:
            flags.append(f"default={p.default}")
        kind = f"concept({p.scheme})" if p.type == "concept" else p.type
        described.append(" ".join([p.name, kind, *flags]))
    return "; ".join(described) or "none"


EntityResolver = Callable[[str], ox.NamedNode | None]
ConceptChoices = Callable[[str], Mapping[str, str]]
"""For a scheme IRI: every accepted spelling (IRI, last path segment, label) → concept IRI."""


def parse_qid(value: str) -> str | None:
    match = QID.match(value.strip()) or QID_IRI.match(value.strip())
    return match.group(1) if match else None


def convert_value(
    param: Parameter,
    raw: str,
    resolve_entity: EntityResolver,
    concept_choices: ConceptChoices,
) -> ox.NamedNode | ox.Literal:
    """``raw`` as the RDF term ``param`` expects, or a ParameterError that says what was wrong."""

    def bad(reason: str = "") -> ParameterError:
        why = f": {reason}" if reason else ""
        return ParameterError(
            f"parameter {param.name!r} must be {param.type_label}, not {raw!r}{why}", param.name
        )

    value = raw.strip()
    if param.type == "iri":
        try:
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
                raise ValueError
            return ox.NamedNode(value)
        except ValueError:
            raise bad() from None
    if param.type == "qid":
        qid = parse_qid(value)
        if qid is None:
            raise bad()
        return ox.NamedNode(WIKIDATA_ENTITY + qid)
    if param.type == "entity":
        entity = resolve_entity(value)
        if entity is None:
            raise bad("no such entity in the graph")
        return entity
    if param.type == "concept":
        choices = concept_choices(param.scheme or "")
        key = value if value in choices else value.lower()
        if key not in choices:
            options = ", ".join(sorted({c.rsplit("/", 1)[-1] for c in choices.values()}))
            raise bad(f"choose one of {options}")
        return ox.NamedNode(choices[key])
    if param.type == "string":
        return ox.Literal(raw)
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            raise bad()
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if param.type == "decimal":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise bad() from None
        if not number.is_finite():
            raise bad()
        return ox.Literal(str(number), datatype=ox.NamedNode(XSD + "decimal"))
    if param.type == "date":
        try:
            return ox.Literal(
                date.fromisoformat(value).isoformat(), datatype=ox.NamedNode(XSD + "date")
            )
        except ValueError:
            raise bad() from None
    if param.type == "boolean":
        if value.lower() not in {"true", "false", "1", "0"}:
            raise bad()
        return ox.Literal(value.lower() in {"true", "1"})
    raise bad()


def bind(
    query: CannedQuery,
    raw: Mapping[str, Sequence[str]],
    resolve_entity: EntityResolver,
    concept_choices: ConceptChoices,
) -> BoundQuery:
    """Check ``raw`` (name → values, as a query string gives them) against the query's
    parameters and bind them; unknown, missing, repeated or ill-typed values raise."""
    for name in raw:
        if name not in RESERVED:
            query.parameter(name)
    bindings: dict[str, list[ox.NamedNode | ox.Literal]] = {}
    for param in query.parameters:
        values = [v for v in raw.get(param.name, []) if v != ""]
        if not values and param.default is not None:
            values = [param.default]
        if not values:
            if param.required:
                raise ParameterError(
                    f"query {query.name!r} needs parameter {param.name!r} ({param.type_label})",
                    param.name,
                )
            continue
        if len(values) > 1 and not param.is_list:
            raise ParameterError(
                f"parameter {param.name!r} takes one value, not {len(values)}", param.name
            )
        terms = [convert_value(param, v, resolve_entity, concept_choices) for v in values]
        bindings[param.name] = list(dict.fromkeys(terms))
    return BoundQuery(bind_values(query.text, bindings))


def bind_values(text: str, bindings: Mapping[str, Sequence[ox.NamedNode | ox.Literal]]) -> str:
    """``text`` with an inline ``VALUES`` block at the top of its WHERE clause, which joins the
    given terms with the whole query pattern. (The engine's own substitutions only accept
    projected variables, and a trailing VALUES would join after any GROUP BY.)"""
    if not bindings:
        return text
    names = list(bindings)
    rows = list(itertools.islice(itertools.product(*bindings.values()), MAX_VALUE_COMBINATIONS + 1))
    if len(rows) > MAX_VALUE_COMBINATIONS:
        raise ParameterError(
            f"the list parameters give over {MAX_VALUE_COMBINATIONS} combinations; "
            "ask for fewer values"
        )
    # Each term was built by convert_value (or by hubgraph itself), and str() writes it in its
    # escaped N-Triples form: values are bound as terms, never spliced in as query text.
    inserts = [(where_clause_start(text), _values_block(names, rows))]
    # A sub-select is evaluated on its own, before it joins the rest: one that names a
    # parameter's variable gets the binding too, so that (say) an aggregate over the
    # observations known by ``asOf`` sees ``asOf``. Only the variables it names, each
    # combination once: a row of VALUES it does not use would multiply its own.
    for at, used in subselect_scopes(text):
        keep = [i for i, n in enumerate(names) if n in used]
        if keep:
            picked = list(dict.fromkeys(tuple(row[i] for i in keep) for row in rows))
            inserts.append((at, _values_block([names[i] for i in keep], picked)))
    for at, block in sorted(inserts, reverse=True):
        text = f"{text[:at]} {block} {text[at:]}"
    return text


def _values_block(
    names: Sequence[str], rows: Sequence[tuple[ox.NamedNode | ox.Literal, ...]]
) -> str:
    head = " ".join(f"?{n}" for n in names)
    body = " ".join("(" + " ".join(str(t) for t in row) + ")" for row in rows)
    return f"VALUES ({head}) {{ {body} }}"


def entity_id(value: str) -> str | None:
    """A hubgraph entity IRI from an id such as ``country/kosovo`` or a full IRI. Ids of things
    a source states have a segment per source (``stance/<source-id>/<local>``)."""
    value = value.strip()
    if re.match(r"^[a-z-]+(/[A-Za-z0-9._~-]+)+$", value):
        return ID + value
    if value.startswith(ID) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        return value
    return None
