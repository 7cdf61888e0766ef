"""A coding sheet → the quads of its source's named graph (the RDF is in CONTRACT.md).

Names are resolved against the register (and the sheet's own new entities); every problem —
an unknown name, a wrong kind, evidence in another source, a quote not verbatim in the text,
a voice with no office, two observations with the same key — is collected against its sheet
line and field, and all of them are raised together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from hubgraph.graph import dates
from hubgraph.graph.register import (
    ACTOR_KINDS,
    KINDS,
    ORGANISATION_KINDS,
    Entity,
    LookupError_,
    Register,
    WrongKind,
    entity_quads,
)
from hubgraph.sheets.anchor import Anchor, Text
from hubgraph.sheets.catalog import Catalog, item_iri
from hubgraph.sheets.format import (
    POSITIONS,
    Claim,
    Name,
    Observation,
    Sheet,
    read_sheet,
)
from hubgraph.sheets.yamlread import Problem, Problems, SheetError, date_precision
from hubgraph.vocabulary import HG, ID, SOURCE

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
XSD = "http://www.w3.org/2001/XMLSchema#"
HOLDER_KINDS = frozenset({"country", "group"})
ANY_KIND = frozenset(KINDS)


@dataclass
class Compiled:
    sheet: Sheet
    quads: list[ox.Quad]
    places: dict[str, tuple[int | None, str]] = field(default_factory=dict)
    """IRI → (sheet line, field) of what it was compiled from: SHACL findings are reported there."""
    text_checked: bool = False

    @property
    def graph(self) -> str:
        return SOURCE + self.sheet.id


def _bnode(*parts: str) -> ox.BlankNode:
    # Blank nodes named from what they hang on, so a sheet compiles to the same quads each time.
    return ox.BlankNode("b" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:20])


class _Compiler:
    def __init__(
        self, sheet: Sheet, register: Register, catalog: Catalog, sources_dir: Path | None
    ) -> None:
        self.sheet = sheet
        self.problems = sheet.problems or Problems(sheet.file)
        self.register = register
        self.catalog = catalog
        self.sources_dir = sources_dir
        self.graph = ox.NamedNode(SOURCE + sheet.id)
        self.src = ox.NamedNode(SOURCE + sheet.id)
        self.coding = ox.NamedNode(f"{ID}coding/{sheet.id}")
        self.quads: list[ox.Quad] = []
        self.places: dict[str, tuple[int | None, str]] = {}
        self.text: Text | None = None
        self.where_from = sheet.id
        self.evidence_iris: dict[str, str] = {}
        self.anchors: dict[str, Anchor] = {}

    # -------------------------------------------------------------- helpers

    def add(
        self, s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        self.quads.append(ox.Quad(s, ox.NamedNode(p), o, self.graph))

    def lit(self, s: ox.NamedNode | ox.BlankNode, p: str, value: str | None) -> None:
        if value:
            self.add(s, p, ox.Literal(value))

    def date(
        self, s: ox.NamedNode | ox.BlankNode, p: str, value: str | None, precision: bool = False
    ) -> None:
        if value:
            self.add(s, p, ox.Literal(value, datatype=ox.NamedNode(dates.datatype(value))))
            if precision:
                self.add(s, HG + "datePrecision", ox.Literal(date_precision(value)))

    def problem(self, line: int | None, where: str, message: str) -> None:
        self.problems.add(line, where, message)

    def resolve(
        self,
        name: Name | None,
        kinds: Iterable[str],
        *,
        country: str | None = None,
        date: str | None = None,
    ) -> Entity | None:
        """The register entity ``name`` stands for, or None (and a problem at its line)."""
        if name is None:
            return None
        wanted = frozenset(kinds)
        try:
            if self.register.office_like(name.text) and "office" not in wanted:
                return self.register.resolve_office_like(name.text, country, date)
            try:
                return self.register.find(name.text, wanted)
            except WrongKind as exc:
                if exc.entity.kind != "office" or "office" in wanted:
                    raise
                holders = self.register.holders(exc.entity.id, date)
                if len(holders) == 1:
                    return holders[0]
                raise LookupError_(
                    f"{name.text!r} is an office ({exc.entity.label}) and "
                    + ("nobody" if not holders else f"{len(holders)} people")
                    + f" held it on {date} according to the register's mandates; name the person"
                ) from None
        except LookupError_ as exc:
            self.problem(name.line, name.field, exc.message)
            return None

    def node(self, entity: Entity) -> ox.NamedNode:
        return ox.NamedNode(entity.iri)

    # -------------------------------------------------------------- the parts

    def run(self) -> Compiled:
        sheet = self.sheet
        self.register = self.register.with_entities(self._new_entities())
        self._open_text()
        self._source()
        self._evidence_ids()
        quote_context = self._quote_context()
        for quote in sheet.quotes:
            self._quote(quote, *quote_context.get(quote.id, (None, sheet.source.date)))
        for statement in sheet.statements:
            self._statement(statement)
        self._in_sentence()
        keys: dict[tuple[str, str, str | None, str | None], Observation] = {}
        for obs in sheet.observations:
            self._observation(obs, keys)
        for claim in sheet.claims:
            self._claim(claim)
        compiled = Compiled(sheet, self.quads, self.places, self.text is not None)
        return compiled

    def _new_entities(self) -> list[Entity]:
        fresh = []
        for entity in self.sheet.entities:
            if self.register.by_id(entity.id) is not None:
                self.problem(
                    entity.line,
                    "entities",
                    f"{entity.id!r} is already in the register; name it instead of restating it",
                )
                continue
            fresh.append(entity)
        if fresh:
            self.quads.extend(entity_quads(fresh, [], self.graph.value))
        return fresh

    def _open_text(self) -> None:
        name = self.sheet.source.text
        if not name:
            return
        if "/" in name or "\\" in name or name.startswith("."):
            self.problem(
                self.sheet.source.line,
                "source.text",
                f"{name!r} must be a file name in the sources folder, not a path",
            )
            return
        if self.sources_dir is None:
            return
        path = self.sources_dir / name
        if path.is_file():
            self.text = Text(path.read_text(encoding="utf-8"), name)

    def _source(self) -> None:
        s, info = self.src, self.sheet.source
        self.places[s.value] = (info.line, "source")
        self.add(s, RDF + "type", ox.NamedNode(HG + "SourceDocument"))
        self.add(s, RDF + "type", ox.NamedNode(SCHEMA + "NewsArticle"))
        publisher = self.resolve(info.publisher, ORGANISATION_KINDS)
        cites = [e for n in info.cites if (e := self.resolve(n, ACTOR_KINDS))]
        # Labels of this source's items say where they come from in words, not by file name.
        self.where_from = (
            ", ".join(part for part in (publisher.label if publisher else None, info.date) if part)
            or self.sheet.id
        )
        title = info.title or info.title_note or self.sheet.id
        label = f"{publisher.label if publisher else '?'}, {info.date or '?'}: {title}"
        self.add(s, RDFS + "label", ox.Literal(label, language="en"))
        self.lit(s, DCT + "title", info.title)
        self.lit(s, HG + "titleNote", info.title_note)
        if publisher:
            self.add(s, DCT + "publisher", self.node(publisher))
        self.date(s, DCT + "issued", info.date, precision=True)
        self.lit(s, HG + "dateBasis", info.date_basis)
        if info.url:
            self.add(s, SCHEMA + "url", ox.NamedNode(info.url))
        self.lit(s, HG + "urlNote", info.url_note)
        self.lit(s, DCT + "language", info.language)
        if info.first_hand is not None:
            self.add(s, HG + "firstHand", ox.Literal(info.first_hand))
        for e in cites:
            self.add(s, HG + "cites", self.node(e))
        if publisher:
            chain = publisher.label + (
                ", citing " + " and ".join(e.label for e in cites) if cites else ""
            )
            self.lit(s, HG + "reportingChain", chain)
        for i, copy in enumerate(info.copies):
            who = self.resolve(copy.publisher, ORGANISATION_KINDS)
            b = _bnode(s.value, "copy", str(i))
            self.add(s, HG + "copy", b)
            if who:
                self.add(b, HG + "publisher", self.node(who))
            if copy.url:
                self.add(b, SCHEMA + "url", ox.NamedNode(copy.url))
            self.date(b, DCT + "issued", copy.date)
            self.lit(b, HG + "note", copy.note)
        self.lit(s, HG + "textFile", info.text)
        self.lit(s, HG + "textNote", info.text_note)
        self.add(s, HG + "quotesChecked", ox.Literal(self.text is not None))
        self.lit(s, HG + "note", info.note)
        self.add(s, PROV + "wasGeneratedBy", self.coding)
        c = self.sheet.coding
        self.add(self.coding, RDF + "type", ox.NamedNode(HG + "Coding"))
        self.add(
            self.coding, RDFS + "label", ox.Literal(f"Coding of {self.sheet.id}", language="en")
        )
        self.lit(self.coding, HG + "coder", c.coder)
        self.date(self.coding, HG + "codedOn", c.coded_on)
        self.lit(self.coding, HG + "codebookVersion", c.codebook)
        self.lit(self.coding, HG + "reviewer", c.reviewer)

    def _evidence_ids(self) -> None:
        for q in self.sheet.quotes:
            self.evidence_iris[q.id] = item_iri("quote", self.sheet.id, q.id)
        for st in self.sheet.statements:
            self.evidence_iris.setdefault(st.id, item_iri("sentence", self.sheet.id, st.id))

    def _quote_context(self) -> dict[str, tuple[str | None, str | None]]:
        """For each quote, the country and date of the first observation it is evidence of:
        an office-like speaker ("the Prime Minister") is resolved by them."""
        context: dict[str, tuple[str | None, str | None]] = {}
        for obs in self.sheet.observations:
            holder = None
            if obs.holder is not None:
                try:
                    holder = self.register.find(obs.holder.text, HOLDER_KINDS).id
                except LookupError_:
                    holder = None
            for ev in obs.evidence:
                context.setdefault(ev.text, (holder, obs.date or self.sheet.source.date))
        return context

    def _check_verbatim(
        self,
        what: str,
        text: str,
        line: int | None,
        where: str,
        sheet_line: int | None,
        start: int | None = None,
    ) -> Anchor | None:
        if self.text is None:
            return None
        anchor = self.text.anchor(text, line, start)
        if anchor is None:
            closest = self.text.closest(text)
            shown = (
                f'; the closest passage is on line {closest.line}: "{closest.text}"'
                if closest
                else ""
            )
            self.problem(sheet_line, where, f"{what} is not verbatim in {self.text.name}{shown}")
            return None
        if line is not None and anchor.line != line:
            self.problem(
                sheet_line,
                where.rsplit(".", 1)[0] + ".line",
                f"the text is on line {anchor.line} of {self.text.name}, not line {line}",
            )
        return anchor

    def _select(self, s: ox.NamedNode, anchor: Anchor) -> None:
        quote_sel = _bnode(s.value, "quote-selector")
        self.add(s, OA + "hasSelector", quote_sel)
        self.add(quote_sel, RDF + "type", ox.NamedNode(OA + "TextQuoteSelector"))
        self.add(quote_sel, OA + "exact", ox.Literal(anchor.exact))
        self.add(quote_sel, OA + "prefix", ox.Literal(anchor.prefix))
        self.add(quote_sel, OA + "suffix", ox.Literal(anchor.suffix))
        position = _bnode(s.value, "position-selector")
        self.add(s, OA + "hasSelector", position)
        self.add(position, RDF + "type", ox.NamedNode(OA + "TextPositionSelector"))
        self.add(position, OA + "start", ox.Literal(anchor.start))
        self.add(position, OA + "end", ox.Literal(anchor.end))

    def _quote(self, quote, country: str | None, date: str | None) -> None:  # type: ignore[no-untyped-def]
        s = ox.NamedNode(self.evidence_iris[quote.id])
        where = f"quotes[{self.sheet.quotes.index(quote)}]"
        self.places[s.value] = (quote.line, where)
        speaker = self.resolve(quote.speaker, ACTOR_KINDS, country=country, date=date)
        translator = self.resolve(quote.translated_by, ACTOR_KINDS)
        self.add(s, RDF + "type", ox.NamedNode(HG + "Quote"))
        self.add(s, RDF + "type", ox.NamedNode(HG + "Statement"))
        short = quote.text if len(quote.text) <= 60 else quote.text[:57] + "..."
        self.add(
            s,
            RDFS + "label",
            ox.Literal(f'{speaker.label if speaker else "?"}: "{short}"', language="en"),
        )
        self.lit(s, HG + "text", quote.text)
        if speaker:
            self.add(s, HG + "speaker", self.node(speaker))
        self.add(s, HG + "inSource", self.src)
        self.lit(s, DCT + "language", quote.language)
        self.lit(s, HG + "originalLanguage", quote.original_language)
        if translator:
            self.add(s, HG + "translatedBy", self.node(translator))
        self.lit(s, HG + "note", quote.note)
        anchor = self._check_verbatim(
            "the quote",
            quote.text,
            quote.line_number,
            f"{where}.text",
            quote.text_line,
            quote.start,
        )
        if anchor is not None:
            self.anchors[quote.id] = anchor
            self._select(s, anchor)
            self.add(s, HG + "lineNumber", ox.Literal(anchor.line))
        elif quote.line_number is not None:
            self.add(s, HG + "lineNumber", ox.Literal(quote.line_number))

    def _statement(self, st) -> None:  # type: ignore[no-untyped-def]
        s = ox.NamedNode(self.evidence_iris[st.id])
        where = f"statements[{self.sheet.statements.index(st)}]"
        self.places[s.value] = (st.line, where)
        self.add(s, RDF + "type", ox.NamedNode(HG + "SourceStatement"))
        self.add(s, RDF + "type", ox.NamedNode(HG + "Statement"))
        if st.verbatim:
            self.add(s, RDF + "type", ox.NamedNode(HG + "SourceSentence"))
        self.add(s, RDFS + "label", ox.Literal(f"{self.sheet.id}: {st.id}", language="en"))
        self.lit(s, HG + "text", st.text)
        self.add(s, HG + "verbatim", ox.Literal(st.verbatim))
        self.add(s, HG + "inSource", self.src)
        self.lit(s, HG + "note", st.note)
        anchor = None
        if st.verbatim:
            anchor = self._check_verbatim(
                "the sentence", st.text, st.line_number, f"{where}.text", st.text_line
            )
        if anchor is not None:
            self.anchors[st.id] = anchor
            self._select(s, anchor)
            self.add(s, HG + "lineNumber", ox.Literal(anchor.line))
        elif st.line_number is not None:
            self.add(s, HG + "lineNumber", ox.Literal(st.line_number))

    def _in_sentence(self) -> None:
        """A quote lies in the verbatim sentence whose span holds it."""
        sentences = [
            (st.id, self.anchors[st.id]) for st in self.sheet.statements if st.id in self.anchors
        ]
        for quote in self.sheet.quotes:
            anchor = self.anchors.get(quote.id)
            if anchor is None:
                continue
            for sid, span in sentences:
                if span.start <= anchor.start and anchor.end <= span.end:
                    self.add(
                        ox.NamedNode(self.evidence_iris[quote.id]),
                        HG + "inSentence",
                        ox.NamedNode(self.evidence_iris[sid]),
                    )
                    break

    def _evidence(
        self, names: list[Name], where: str, line: int | None, required: bool = True
    ) -> list[ox.NamedNode]:
        out = []
        if required and not names:
            self.problem(
                line, f"{where}.evidence", "give at least one quote or statement id of this sheet"
            )
        for name in names:
            ref = name.text
            if "/" in ref:
                self.problem(
                    name.line,
                    name.field,
                    f"evidence {ref!r} points into another source; evidence must be a quote or "
                    "statement of this sheet (quote the words here, and link the other source's "
                    "item with contradicts or denies)",
                )
            elif ref not in self.evidence_iris:
                known = ", ".join(sorted(self.evidence_iris)) or "none"
                self.problem(
                    name.line,
                    name.field,
                    f"no quote or statement {ref!r} in this sheet; its ids are: {known}",
                )
            else:
                out.append(ox.NamedNode(self.evidence_iris[ref]))
        return out

    def _refs(self, names: list[Name]) -> list[ox.NamedNode]:
        """``contradicts``/``denies``: an observation or claim of this sheet (local id) or of
        another (``<source-id>/<local-id>``)."""
        own = {o.id: item_iri("stance", self.sheet.id, o.id) for o in self.sheet.observations}
        own.update({c.id: item_iri("claim", self.sheet.id, c.id) for c in self.sheet.claims})
        out = []
        for name in names:
            ref = name.text
            source_id, _, local = ref.partition("/")
            if not local or source_id == self.sheet.id:
                key = local or ref
                if key in own:
                    out.append(ox.NamedNode(own[key]))
                else:
                    known = ", ".join(sorted(own)) or "none"
                    self.problem(
                        name.line,
                        name.field,
                        f"no observation or claim {key!r} in this sheet; its ids are: {known}",
                    )
                continue
            iri, why = self.catalog.lookup(ref)
            if iri is None:
                self.problem(name.line, name.field, why or "unknown item")
            else:
                out.append(ox.NamedNode(iri))
        return out

    def _observation(
        self, obs: Observation, keys: dict[tuple[str, str, str | None, str | None], Observation]
    ) -> None:
        s = ox.NamedNode(item_iri("stance", self.sheet.id, obs.id))
        self.places[s.value] = (obs.line, obs.where)
        date = obs.date or self.sheet.source.date
        basis = obs.date_basis or (
            None if obs.date else "date of publication (the source does not date the statement)"
        )
        holder = self.resolve(obs.holder, HOLDER_KINDS)
        policy = self.resolve(obs.policy, {"policy"})
        voice = None
        if holder is not None or not self.register.office_like(obs.voice.text if obs.voice else ""):
            # An office-like voice ("the Prime Minister") needs the holder's country: when
            # the holder is wrong, that is the one problem to report.
            voice = self.resolve(
                obs.voice, ACTOR_KINDS, country=holder.id if holder else None, date=date
            )
        citing = self.resolve(obs.citing, ACTOR_KINDS)
        if (
            holder
            and voice
            and obs.voice_attribution != "source"
            and not self.register.speaks_for(voice, holder, date)
        ):
            line = obs.voice.line if obs.voice else obs.line
            self.problem(
                line,
                f"{obs.where}.voice",
                f"{voice.label} held no office of {holder.label} on {date} according to the "
                "register; fix the voice, add the mandate to data/register.yaml, or write "
                "`voice_attribution: source` if this is the source's own attribution",
            )
        if holder and policy:
            key = (holder.id, policy.id, voice.id if voice else None, date)
            if key in keys:
                first = keys[key]
                self.problem(
                    obs.line,
                    obs.where,
                    f"the same source, holder, policy, voice and date as {first.where} "
                    f"(line {first.line}); one statement is one observation: merge them",
                )
            else:
                keys[key] = obs
        self.add(s, RDF + "type", ox.NamedNode(HG + "Stance"))
        if holder and policy and obs.position:
            who = f", voiced by {voice.label}" if voice else ""
            position = POSITIONS[obs.position]
            label = f"{holder.label} on the {policy.label}: {position}{who} ({self.where_from})"
            self.add(s, RDFS + "label", ox.Literal(label, language="en"))
        if holder:
            self.add(s, HG + "holder", self.node(holder))
        if policy:
            self.add(s, HG + "towards", self.node(policy))
        if obs.position:
            self.add(s, HG + "position", ox.NamedNode(f"{ID}position/{obs.position}"))
        if voice:
            self.add(s, HG + "voicedBy", self.node(voice))
        self.lit(s, HG + "voiceAttribution", obs.voice_attribution)
        self.date(s, HG + "date", date, precision=True)
        self.lit(s, HG + "dateBasis", basis)
        self.add(s, HG + "inSource", self.src)
        evidence = self._evidence(obs.evidence, obs.where, obs.line)
        for ev in evidence:
            self.add(s, HG + "derivedFrom", ev)
        if citing:
            self.add(s, HG + "citing", self.node(citing))
        self.lit(s, HG + "confidence", obs.confidence)
        for ref in self._refs(obs.contradicts):
            self.add(s, HG + "contradicts", ref)
        self.lit(s, HG + "motive", obs.motive)
        self.lit(s, HG + "note", obs.note)
        self.add(s, PROV + "wasGeneratedBy", self.coding)
        for i, cond in enumerate(obs.conditions):
            local = cond.id or f"{obs.id}-{i + 1}"
            c = ox.NamedNode(item_iri("condition", self.sheet.id, local))
            self.places[c.value] = (cond.line, cond.where)
            self.add(s, HG + "hasCondition", c)
            self.add(c, RDF + "type", ox.NamedNode(HG + "Condition"))
            if holder and cond.paraphrase:
                self.add(
                    c,
                    RDFS + "label",
                    ox.Literal(f"{holder.label}: {cond.paraphrase}", language="en"),
                )
            if cond.kind:
                self.add(c, HG + "conditionKind", ox.NamedNode(f"{ID}condition-kind/{cond.kind}"))
            self.lit(c, HG + "paraphrase", cond.paraphrase)
            for part, prop in (("obliged", "obligedParty"), ("beneficiary", "beneficiary")):
                entity = self.resolve(getattr(cond, part), ACTOR_KINDS)
                if entity:
                    self.add(c, HG + prop, self.node(entity))
            for n in cond.concerns:
                if (entity := self.resolve(n, ANY_KIND)) is not None:
                    self.add(c, HG + "concerns", self.node(entity))
            # A condition without evidence of its own rests on its observation's.
            own = self._evidence(cond.evidence, cond.where, cond.line, required=False)
            for ev in own if cond.evidence else evidence:
                self.add(c, HG + "derivedFrom", ev)
            self.lit(c, HG + "note", cond.note)

    def _claim(self, claim: Claim) -> None:
        s = ox.NamedNode(item_iri("claim", self.sheet.id, claim.id))
        self.places[s.value] = (claim.line, claim.where)
        claimant = self.resolve(
            claim.claimant, ACTOR_KINDS, date=claim.date or self.sheet.source.date
        )
        self.add(s, RDF + "type", ox.NamedNode(HG + "ReportedClaim"))
        if claimant and claim.text:
            self.add(
                s, RDFS + "label", ox.Literal(f"{claimant.label}: {claim.text}", language="en")
            )
            self.add(s, HG + "reportedBy", self.node(claimant))
        for n in claim.about:
            if (entity := self.resolve(n, ANY_KIND)) is not None:
                self.add(s, HG + "about", self.node(entity))
        self.lit(s, HG + "claimKind", claim.kind)
        self.lit(s, HG + "paraphrase", claim.text)
        self.date(s, HG + "date", claim.date, precision=True)
        self.lit(s, HG + "dateBasis", claim.date_basis)
        self.add(s, HG + "inSource", self.src)
        for ev in self._evidence(claim.evidence, claim.where, claim.line):
            self.add(s, HG + "derivedFrom", ev)
        for ref in self._refs(claim.denies):
            self.add(s, HG + "denies", ref)
        for ref in self._refs(claim.contradicts):
            self.add(s, HG + "contradicts", ref)
        self.lit(s, HG + "note", claim.note)
        self.add(s, PROV + "wasGeneratedBy", self.coding)


def compile_sheet(
    sheet: Sheet,
    register: Register,
    catalog: Catalog | None = None,
    sources_dir: Path | None = None,
) -> Compiled:
    """The quads of ``sheet``; raises SheetError listing every problem of the sheet."""
    compiled = _Compiler(sheet, register, catalog or Catalog(), sources_dir).run()
    problems = sheet.problems.found if sheet.problems else []
    if problems:
        raise SheetError(sorted(problems, key=_order))
    return compiled


def sheet_problems(
    path: Path, register: Register, catalog: Catalog | None = None, sources_dir: Path | None = None
) -> list[Problem]:
    """Every problem of the sheet in ``path`` (none: it compiles)."""
    try:
        sheet = read_sheet(path)
        compile_sheet(sheet, register, catalog, sources_dir)
    except SheetError as exc:
        return exc.problems
    return []


def _order(p: Problem) -> tuple[int, str]:
    return (p.line or 0, p.field)
