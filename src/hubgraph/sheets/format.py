"""The coding sheet's format: what each key holds, read and checked with its line.

The format is the contract (CONTRACT.md) and docs/coding-sheet.md explains it field by field.
Reading only checks the shape of the sheet (keys, types, dates, allowed words); names are
resolved against the register afterwards (:mod:`hubgraph.sheets.resolve`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hubgraph.graph.register import Entity, parse_entity
from hubgraph.sheets.yamlread import Node, Problems, read_yaml

POSITIONS = {
    "willing": "willing",
    "open-with-conditions": "open with conditions",
    "open-to-talks": "open to talks",
    "not-approached": "not approached",
    "refuses": "refuses",
}
"""Position (as a sheet writes it) → its label; the concepts of hg:StancePositionScheme."""
CONDITION_KINDS = ("precondition", "reciprocal-expectation")
CLAIM_KINDS = ("approach", "shortlist", "talks", "description", "figure", "misc")
CONFIDENCE = ("high", "medium", "low")
VOICE_ATTRIBUTIONS = ("source",)
SHEET_KEYS = (
    "sheet",
    "id",
    "coding",
    "source",
    "quotes",
    "statements",
    "observations",
    "claims",
    "entities",
)
CODING_KEYS = ("coder", "coded_on", "codebook", "reviewer")
SOURCE_KEYS = (
    "title",
    "title_note",
    "publisher",
    "url",
    "url_note",
    "date",
    "date_basis",
    "language",
    "first_hand",
    "cites",
    "copies",
    "text",
    "text_note",
    "note",
)
COPY_KEYS = ("publisher", "url", "date", "note")
QUOTE_KEYS = (
    "id",
    "speaker",
    "text",
    "language",
    "original_language",
    "translated_by",
    "line",
    "start",
    "end",
    "note",
)
STATEMENT_KEYS = ("id", "text", "verbatim", "line", "note")
OBSERVATION_KEYS = (
    "id",
    "holder",
    "policy",
    "position",
    "voice",
    "voice_attribution",
    "date",
    "date_basis",
    "evidence",
    "conditions",
    "confidence",
    "citing",
    "contradicts",
    "motive",
    "note",
)
CONDITION_KEYS = (
    "id",
    "kind",
    "paraphrase",
    "obliged",
    "beneficiary",
    "concerns",
    "evidence",
    "note",
)
CLAIM_KEYS = (
    "id",
    "claimant",
    "about",
    "text",
    "kind",
    "date",
    "date_basis",
    "evidence",
    "denies",
    "contradicts",
    "note",
)
LOCAL_ID_HINT = "lower-case words joined by '-'"


@dataclass(frozen=True)
class Name:
    """A name as the sheet writes it ("Sir Keir", "the Prime Minister"), with its place."""

    text: str
    line: int | None
    field: str


@dataclass
class Coding:
    coder: str | None
    coded_on: str | None
    codebook: str | None
    reviewer: str | None


@dataclass
class Copy:
    publisher: Name | None
    url: str | None
    date: str | None
    note: str | None


@dataclass
class SourceInfo:
    title: str | None
    title_note: str | None
    publisher: Name | None
    url: str | None
    url_note: str | None
    date: str | None
    date_basis: str | None
    language: str | None
    first_hand: bool | None
    cites: list[Name]
    copies: list[Copy]
    text: str | None
    text_note: str | None
    note: str | None
    line: int | None


@dataclass
class Quote:
    id: str
    speaker: Name | None
    text: str
    language: str | None
    original_language: str | None
    translated_by: Name | None
    line_number: int | None
    start: int | None
    end: int | None
    note: str | None
    line: int | None
    text_line: int | None


@dataclass
class Statement:
    id: str
    text: str
    verbatim: bool
    line_number: int | None
    note: str | None
    line: int | None
    text_line: int | None


@dataclass
class Condition:
    id: str | None
    kind: str | None
    paraphrase: str | None
    obliged: Name | None
    beneficiary: Name | None
    concerns: list[Name]
    evidence: list[Name]
    note: str | None
    where: str
    line: int | None


@dataclass
class Observation:
    id: str
    holder: Name | None
    policy: Name | None
    position: str | None
    voice: Name | None
    voice_attribution: str | None
    date: str | None
    date_basis: str | None
    evidence: list[Name]
    conditions: list[Condition]
    confidence: str | None
    citing: Name | None
    contradicts: list[Name]
    motive: str | None
    note: str | None
    where: str
    line: int | None


@dataclass
class Claim:
    id: str
    claimant: Name | None
    about: list[Name]
    text: str | None
    kind: str | None
    date: str | None
    date_basis: str | None
    evidence: list[Name]
    denies: list[Name]
    contradicts: list[Name]
    note: str | None
    where: str
    line: int | None


@dataclass
class Sheet:
    path: Path
    id: str
    coding: Coding
    source: SourceInfo
    quotes: list[Quote] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    problems: Problems | None = None

    @property
    def file(self) -> str:
        return str(self.path)

    def local_ids(self) -> dict[str, str]:
        """Local id → what it is: quote, statement, observation, claim."""
        out: dict[str, str] = {}
        for kind, items in (
            ("quote", self.quotes),
            ("statement", self.statements),
            ("observation", self.observations),
            ("claim", self.claims),
        ):
            for item in items:
                out.setdefault(item.id, kind)
        return out


def _name(node: Node, key: str) -> Name | None:
    value = node.text(key)
    return Name(value, node.line_of(key), node.field(key)) if value else None


def _names(node: Node, key: str) -> list[Name]:
    field_name = node.field(key)
    items = node.texts(key)
    if len(items) == 1 and not isinstance(node.data.get(key), list):
        return [Name(items[0][0], items[0][1], field_name)]
    return [Name(text, line, f"{field_name}[{i}]") for i, (text, line) in enumerate(items)]


def _local_id(node: Node, seen: dict[str, str]) -> str:
    value = node.text("id", required=True) or ""
    if value and not _is_local(value):
        node.error("id", f"{value!r} is not a local id ({LOCAL_ID_HINT})")
    elif value in seen:
        node.error("id", f"{value!r} is also the id of {seen[value]}")
    elif value:
        seen[value] = node.where
    return value


def _is_local(value: str) -> bool:
    return bool(value) and all(part.isalnum() and part == part.lower() for part in value.split("-"))


def _choice(node: Node, key: str, allowed: tuple[str, ...] | list[str], what: str) -> str | None:
    if node.pending(key, " with one of: " + ", ".join(allowed)):
        return None
    value = node.text(key)
    if value is not None and value not in allowed:
        node.error(key, f"unknown {what} {value!r}; the allowed ones are: {', '.join(allowed)}")
        return None
    return value


def read_sheet(path: Path) -> Sheet:
    """The sheet in ``path``; its shape problems are in ``sheet.problems`` (not raised)."""
    problems = Problems(str(path))
    root = Node(read_yaml(path), "", problems, 1)
    root.check_keys(SHEET_KEYS, required=("sheet", "id", "coding", "source"))
    if root.has("sheet") and root.data.get("sheet") != 1:
        root.error("sheet", "this hubgraph reads sheet format 1 (write `sheet: 1`)")
    sheet_id = root.text("id") or ""
    if sheet_id and sheet_id != path.stem:
        root.error(
            "id",
            f"{sheet_id!r} does not match the file name; the id is the file's stem "
            f"({path.stem!r}), so the source graph is https://w3id.org/hubgraph/source/{path.stem}",
        )
    coding_node = root.node("coding") or Node({}, "coding", problems, root.line_of("coding"))
    coding_node.check_keys(CODING_KEYS, required=("coder", "coded_on", "codebook"))
    coding = Coding(
        coder=coding_node.text("coder"),
        coded_on=coding_node.date("coded_on"),
        codebook=coding_node.text("codebook"),
        reviewer=coding_node.text("reviewer"),
    )
    sheet = Sheet(path, sheet_id or path.stem, coding, _read_source(root), problems=problems)
    seen: dict[str, str] = {}
    for node in root.nodes("quotes"):
        node.check_keys(QUOTE_KEYS, required=("id", "speaker", "text"))
        sheet.quotes.append(
            Quote(
                id=_local_id(node, seen),
                speaker=_name(node, "speaker"),
                text=node.text("text") or "",
                language=node.text("language"),
                original_language=node.text("original_language"),
                translated_by=_name(node, "translated_by"),
                line_number=node.integer("line"),
                start=node.integer("start"),
                end=node.integer("end"),
                note=node.text("note"),
                line=node.line,
                text_line=node.line_of("text"),
            )
        )
    for node in root.nodes("statements"):
        node.check_keys(STATEMENT_KEYS, required=("id", "text"))
        sheet.statements.append(
            Statement(
                id=_local_id(node, seen),
                text=node.text("text") or "",
                verbatim=bool(node.boolean("verbatim")),
                line_number=node.integer("line"),
                note=node.text("note"),
                line=node.line,
                text_line=node.line_of("text"),
            )
        )
    for node in root.nodes("observations"):
        node.check_keys(
            OBSERVATION_KEYS, required=("id", "holder", "policy", "position", "evidence")
        )
        conditions = []
        for c in node.nodes("conditions"):
            c.check_keys(CONDITION_KEYS, required=("kind", "paraphrase"))
            conditions.append(
                Condition(
                    id=c.text("id"),
                    kind=_choice(c, "kind", CONDITION_KINDS, "condition kind"),
                    paraphrase=c.text("paraphrase"),
                    obliged=_name(c, "obliged"),
                    beneficiary=_name(c, "beneficiary"),
                    concerns=_names(c, "concerns"),
                    evidence=_names(c, "evidence"),
                    note=c.text("note"),
                    where=c.where,
                    line=c.line,
                )
            )
        sheet.observations.append(
            Observation(
                id=_local_id(node, seen),
                holder=_name(node, "holder"),
                policy=_name(node, "policy"),
                position=_choice(node, "position", list(POSITIONS), "position"),
                voice=_name(node, "voice"),
                voice_attribution=_choice(
                    node, "voice_attribution", VOICE_ATTRIBUTIONS, "voice_attribution"
                ),
                date=node.date("date"),
                date_basis=node.text("date_basis"),
                evidence=_names(node, "evidence"),
                conditions=conditions,
                confidence=_choice(node, "confidence", CONFIDENCE, "confidence"),
                citing=_name(node, "citing"),
                contradicts=_names(node, "contradicts"),
                motive=node.text("motive"),
                note=node.text("note"),
                where=node.where,
                line=node.line,
            )
        )
    for node in root.nodes("claims"):
        node.check_keys(CLAIM_KEYS, required=("id", "claimant", "text", "kind", "evidence"))
        sheet.claims.append(
            Claim(
                id=_local_id(node, seen),
                claimant=_name(node, "claimant"),
                about=_names(node, "about"),
                text=node.text("text"),
                kind=_choice(node, "kind", CLAIM_KINDS, "claim kind"),
                date=node.date("date"),
                date_basis=node.text("date_basis"),
                evidence=_names(node, "evidence"),
                denies=_names(node, "denies"),
                contradicts=_names(node, "contradicts"),
                note=node.text("note"),
                where=node.where,
                line=node.line,
            )
        )
    for node in root.nodes("entities"):
        if node.has("qid"):
            node.error(
                "qid",
                "QIDs live in data/register.yaml only; move this entity to the register "
                "(with its QID from wikidata-ids.md), or leave the qid out",
            )
        entity = parse_entity(node)
        if entity is not None:
            sheet.entities.append(entity)
    return sheet


def _read_source(root: Node) -> SourceInfo:
    node = root.node("source") or Node({}, "source", root.problems, root.line_of("source"))
    node.check_keys(SOURCE_KEYS, required=("publisher", "date"))
    if not node.has("url") and not node.has("url_note"):
        node.problems.add(
            node.line,
            node.field("url"),
            "is required (or url: null and a url_note saying why there is none)",
        )
    if not node.has("title") and not node.has("title_note"):
        node.problems.add(
            node.line,
            node.field("title"),
            "give the title, or title: null and a title_note saying why there is none",
        )
    date = node.date("date")
    if not node.has("text") and not node.has("text_note"):
        node.problems.add(
            node.line,
            node.field("text"),
            "name the text file (text: <file>.txt) or say in text_note why there is none, "
            "so that nobody takes the quotes as checked",
        )
    copies = []
    for c in node.nodes("copies"):
        c.check_keys(COPY_KEYS, required=("publisher",))
        copies.append(Copy(_name(c, "publisher"), c.text("url"), c.date("date"), c.text("note")))
    url = node.text("url")
    if url is not None and not url.startswith(("http://", "https://")):
        node.error("url", f"{url!r} is not an http(s) URL")
    return SourceInfo(
        title=node.text("title"),
        title_note=node.text("title_note"),
        publisher=_name(node, "publisher"),
        url=url,
        url_note=node.text("url_note"),
        date=date,
        date_basis=node.text("date_basis"),
        language=node.text("language"),
        first_hand=node.boolean("first_hand"),
        cites=_names(node, "cites"),
        copies=copies,
        text=node.text("text"),
        text_note=node.text("text_note"),
        note=node.text("note"),
        line=node.line,
    )
