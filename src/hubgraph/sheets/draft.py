"""``hubgraph new TEXT_FILE``: a draft coding sheet from an article's plain text.

It finds what can be found mechanically and leaves every judgment to a person:
- every passage in quotation marks (straight or curly, nested, across line breaks) as a quote
  with its line and character offsets, and the nearest speaker it can find ("… he said",
  "said Mr Kurti", "Rama said") as a suggestion;
- every sentence as a candidate verbatim statement, with its line;
- every mention of a register entity (by label or alias) with its id and QID, and the dates
  the text gives, as comments;
- one observation skeleton per quoted speaker, with the holder the register suggests.
Where a person must decide (the position, the policy, a condition's kind, the coder), the draft
says DECIDE, and such a sheet does not load until each is decided. It never invents a fact.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hubgraph.errors import LoadError
from hubgraph.graph.register import Entity, LookupError_, Register
from hubgraph.sheets.anchor import Text
from hubgraph.sheets.yamlread import DECIDE, valid_date

OPENERS = {"“": "”", '"': '"', "‘": "’", "'": "'", "«": "»", "„": "“"}
SPEECH = r"(?:said|says|added|adds|told|tells|stated|states|insisted|warned|wrote|asked|replied)"
PRONOUNS = r"(?:he|she|they|He|She|They)"
SPEAKER_KINDS = frozenset({"person", "government-body", "organisation", "political-party"})
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
DATE_PATTERNS = [
    rf"\b\d{{1,2}} (?:{MONTHS})\.? \d{{4}}\b",
    rf"\b(?:{MONTHS}) \d{{1,2}},? \d{{4}}\b",
    rf"\b(?:{MONTHS}) \d{{4}}\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b(?:19|20)\d{2}(?:[-–](?:19|20)?\d{2})?\b",
    r"\bthe (?:19|20)\d0s\b",
    rf"\b(?:on |last |next |this )?(?:{WEEKDAYS})\b",
    r"\b(?:last|next|this|earlier this|later this) "
    r"(?:week|month|year|autumn|spring|summer|winter)\b",
    r"\bin the last year\b",
]


@dataclass(frozen=True)
class Passage:
    """A passage in quotation marks: its words (without the marks) and where they are."""

    text: str
    start: int
    end: int
    line: int
    depth: int


@dataclass(frozen=True)
class Mention:
    entity: Entity
    written: str
    start: int
    end: int
    line: int


def find_quotes(text: Text) -> list[Passage]:
    """Every passage in quotation marks, outermost and nested, in text order. A quote may run
    over a line break, never over a blank line."""
    s = text.text
    found: list[Passage] = []
    stack: list[tuple[str, int]] = []  # (closing mark expected, start of the words)
    i = 0
    while i < len(s):
        ch = s[i]
        if s.startswith("\n\n", i):
            stack.clear()
        if stack and ch == stack[-1][0] and _closes(s, i):
            _, start = stack.pop()
            end = i
            # '"Never in Albania," he said': the comma is the sentence's, not the speaker's.
            while end > start and s[end - 1] == ",":
                end -= 1
            words = s[start:end]
            if words.strip():
                found.append(Passage(words, start, end, text.line_at(start), len(stack)))
        elif ch in OPENERS and _opens(s, i, nested=bool(stack)):
            stack.append((OPENERS[ch], i + 1))
        i += 1
    return sorted(found, key=lambda p: (p.start, p.depth))


def _opens(s: str, i: int, *, nested: bool) -> bool:
    ch = s[i]
    before = s[i - 1] if i > 0 else " "
    after = s[i + 1] if i + 1 < len(s) else " "
    if after.isspace():
        return False
    if ch in "'’":
        # An apostrophe ("Kosovo's", "don't") is not a quote mark; a single mark opens a
        # quote only after a space or an opening mark, inside another quote.
        return nested and (before.isspace() or before in '“"(')
    return before.isspace() or before in "([—–-:“‘\"'|" or i == 0


def _closes(s: str, i: int) -> bool:
    before = s[i - 1] if i > 0 else " "
    after = s[i + 1] if i + 1 < len(s) else " "
    if before.isspace():
        return False
    return not after.isalnum()


def find_mentions(text: Text, register: Register) -> list[Mention]:
    """Every mention of a register entity by its label or an alias (the longest name wins
    where names overlap); case as written, except a leading "the"."""
    candidates: list[Mention] = []
    for entity in register:
        for name in {n for n in entity.names if len(n) >= 2}:
            core = re.escape(name)
            if name.lower().startswith("the "):
                core = "[Tt]he " + re.escape(name[4:])
            for m in re.finditer(rf"(?<![\w-]){core}(?![\w-])", text.text):
                candidates.append(
                    Mention(entity, m.group(0), m.start(), m.end(), text.line_at(m.start()))
                )
    candidates.sort(key=lambda m: (m.start, -(m.end - m.start)))
    mentions: list[Mention] = []
    taken_until = -1
    for mention in candidates:
        if mention.start >= taken_until:
            mentions.append(mention)
            taken_until = mention.end
    return mentions


def find_office_mentions(text: Text, register: Register, date: str | None) -> list[Mention]:
    """ "Kosovo's Prime Minister", "Albanian Prime Minister": whoever the register says held
    that office of that country on ``date`` (only when a date is given)."""
    if date is None:
        return []
    found = []
    for country in register.of_kind("country"):
        for name in country.names:
            for phrase in (
                "Prime Minister",
                "President",
                "Foreign Secretary",
                "Deputy Foreign Minister",
            ):
                pattern = rf"{re.escape(name)}['’]s {phrase}\b"
                for m in re.finditer(pattern, text.text):
                    try:
                        who = register.resolve_office_like(phrase, country.id, date)
                    except LookupError_:
                        continue
                    found.append(
                        Mention(who, m.group(0), m.start(), m.end(), text.line_at(m.start()))
                    )
    return found


def find_dates(text: Text) -> list[tuple[int, str]]:
    found: dict[tuple[int, int], tuple[int, str]] = {}
    for pattern in DATE_PATTERNS:
        for m in re.finditer(pattern, text.text):
            overlapping = [k for k in found if k[0] < m.end() and m.start() < k[1]]
            if any(k[1] - k[0] >= m.end() - m.start() for k in overlapping):
                continue
            for k in overlapping:
                del found[k]
            found[(m.start(), m.end())] = (text.line_at(m.start()), m.group(0))
    return [found[k] for k in sorted(found)]


def suggest_speaker(
    passage: Passage, text: Text, mentions: list[Mention]
) -> tuple[Entity | None, str]:
    """The speaker the words around ``passage`` point at, and why (for the draft's comment)."""
    s = text.text
    speakers = [m for m in mentions if m.entity.kind in SPEAKER_KINDS]
    close = passage.end
    while close < len(s) and s[close] in ",.":
        close += 1
    after = s[close + 1 : close + 80].split("\n", 1)[0]
    line_start = text.line_starts[passage.line - 1]
    before = s[line_start : max(line_start, passage.start - 1)]
    # "…," he said / "…," said Mr Kurti / "…," Rama said
    m = re.match(rf"^[\s,.]*{PRONOUNS}\s+{SPEECH}\b", after)
    if m:
        earlier = [x for x in speakers if x.end <= passage.start and x.entity.kind == "person"]
        if earlier:
            who = earlier[-1]
            return (
                who.entity,
                f'"{m.group(0).strip(" ,.")}" after the quote; the last person named before '
                f'it: "{who.written}" (line {who.line})',
            )
        return (
            None,
            f'"{m.group(0).strip(" ,.")}" after the quote, but no person is named before it',
        )
    for x in speakers:
        if close < x.start <= close + 1 + len(after):
            gap = s[close + 1 : x.start]
            tail = s[x.end : x.end + 20]
            if re.search(rf"\b{SPEECH}\b", gap) or re.match(rf"^\s+{SPEECH}\b", tail):
                return x.entity, f'"{(gap + x.written + tail).strip(" ,.")[:60]}" after the quote'
    # Mr Kurti added: "…" / the presidency … said the country had "…"
    in_line = [x for x in speakers if line_start <= x.start and x.end <= passage.start]
    for x in reversed(in_line):
        between = s[x.end : passage.start]
        if (
            re.search(rf"\b{SPEECH}\b", between)
            or "according to" in s[max(0, x.start - 14) : x.start]
        ):
            return x.entity, f'"{x.written}" with a verb of speech before the quote (line {x.line})'
    if before.strip().endswith(":") and in_line:
        return in_line[-1].entity, f'"{in_line[-1].written}" before the colon'
    return None, "no speaker found near the quote"


def sentences(text: Text) -> Iterator[tuple[int, str]]:
    """The text's sentences (a line is split where a sentence ends), with their lines."""
    for number in range(1, len(text.line_starts) + 1):
        line = text.line_text(number).strip()
        if len(line.split()) < 5:
            continue  # headings, captions' credits, "Most Read"
        for part in re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+(?=[A-Z“\"])", line):
            if len(part.split()) >= 3:
                yield number, part


def slug(words: str, n: int = 5) -> str:
    tokens = re.findall(r"[a-z0-9]+", words.lower().replace("’", "").replace("'", ""))
    return "-".join(tokens[:n]) or "item"


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def draft_sheet(
    path: Path,
    register: Register,
    *,
    url: str | None = None,
    publisher: str | None = None,
    date: str | None = None,
    today: dt.date | None = None,
    source_id: str | None = None,
) -> str:
    """The draft sheet for the text in ``path``, as YAML text; its id is ``source_id`` (the
    stem of the sheet's file name, which the loader requires), else the text file's stem."""
    text = Text(path.read_text(encoding="utf-8"), path.name)
    quotes = find_quotes(text)
    mentions = sorted(
        find_mentions(text, register) + find_office_mentions(text, register, date),
        key=lambda m: m.start,
    )
    dates = find_dates(text)
    title = next(
        (
            text.line_text(n).strip()
            for n in range(1, len(text.line_starts) + 1)
            if text.line_text(n).strip()
        ),
        "",
    )
    publisher_entity = None
    if publisher:
        publisher_entity = register.find(publisher, {"news-organisation", "organisation"})
    if date is not None and not valid_date(date):
        raise LoadError(f"--date {date!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")
    out: list[str] = []
    w = out.append
    w(f"# DRAFT written by `hubgraph new` from {path.name}. Everything marked DECIDE is a")
    w("# person's decision; suggestions (speakers, holders) are to be checked against the text.")
    w("# Delete what the source does not support; `hubgraph validate` lists what is left to do.")
    w("#")
    w("# Register entities the text mentions (as written -> id, QID):")
    seen: set[tuple[str, str]] = set()
    for m in mentions:
        if (m.written, m.entity.id) in seen:
            continue
        seen.add((m.written, m.entity.id))
        qid = m.entity.qid or "no QID"
        w(f"#   line {m.line}: {_q(m.written)} -> {m.entity.id} ({qid})")
    w("# Dates the text gives (a weekday or 'last year' is relative to the date of publication):")
    for line, found in dates:
        w(f"#   line {line}: {_q(found)}")
    if not dates:
        w("#   none")
    w("sheet: 1")
    w(f"id: {source_id or path.stem}")
    w(
        f"coding: {{coder: {DECIDE}, coded_on: {(today or dt.date.today()).isoformat()}, "
        'codebook: "1.0", reviewer: null}'
    )
    w("source:")
    w(f"  title: {_q(title)}  # the text's first line; check it is the headline")
    w(f"  publisher: {_q(publisher_entity.label) if publisher_entity else DECIDE}")
    if url:
        w(f"  url: {_q(url)}")
    else:
        w("  url: null")
        w(f"  url_note: {DECIDE}  # say why there is no URL, or give the url")
    w(f"  date: {date or DECIDE}")
    if date is None:
        w(f"  date_basis: {DECIDE}  # how the date is known, if it is inferred")
    w("  language: en")
    w(f"  first_hand: {DECIDE}  # true when this is the outlet's own reporting")
    w("  cites: []  # whom the source cites, e.g. [The Times]")
    w(f"  text: {path.name}")
    speakers: dict[str, tuple[Entity, list[str]]] = {}
    ids: set[str] = set()
    w("quotes:")
    previous: tuple[Passage, Entity] | None = None
    for passage in quotes:
        speaker, why = suggest_speaker(passage, text, mentions)
        if speaker is None and previous is not None and 0 < passage.line - previous[0].line <= 2:
            speaker = previous[1]
            why = (
                f"no speaker named; it follows the quote of {speaker.label} "
                f"on line {previous[0].line}"
            )
        if speaker is not None and passage.depth == 0:
            previous = (passage, speaker)
        local = _unique(
            f"{slug(speaker.label, 1) + '-' if speaker else 'q-'}{slug(passage.text, 4)}", ids
        )
        w(f"  - id: {local}")
        w(f"    speaker: {_q(speaker.label) if speaker else DECIDE}  # {why}")
        w(f"    text: {_q(passage.text)}")
        w("    language: en")
        w(f"    line: {passage.line}")
        w(f"    start: {passage.start}")
        w(f"    end: {passage.end}")
        if passage.depth:
            w('    note: "nested inside another quote: whose words are these?"')
        if speaker is not None and passage.depth == 0:
            speakers.setdefault(speaker.id, (speaker, []))[1].append(local)
    if not quotes:
        out[-1] = "quotes: []"
    w("statements:  # every sentence, verbatim; keep those the coding relies on")
    for line, sentence in sentences(text):
        local = _unique(f"line-{line}", ids)
        w(f"  - id: {local}")
        w(f"    text: {_q(sentence)}")
        w("    verbatim: true")
        w(f"    line: {line}")
    w("observations:  # one per holder, voice and date the source reports; delete the rest")
    if not speakers:
        out[-1] = "observations: []  # one per holder, voice and date the source reports"
    for speaker, evidence in speakers.values():
        holder = _holder(register, speaker, date)
        w(f"  - id: {_unique(slug(holder.label if holder else speaker.label, 3) + '-stance', ids)}")
        w(
            f"    holder: {_q(holder.label) if holder else DECIDE}  "
            f"# suggested by the register: whom {speaker.label} speaks for"
        )
        w(f"    policy: {DECIDE}")
        w(
            f"    position: {DECIDE}  "
            "# willing | open-with-conditions | open-to-talks | not-approached | refuses"
        )
        w(f"    voice: {_q(speaker.label)}")
        w(f"    evidence: [{', '.join(evidence)}]")
        w(
            "    conditions: []  "
            "# {kind: precondition | reciprocal-expectation, paraphrase, obliged, beneficiary}"
        )
    w(
        "claims: []  "
        '# what the source reports others claiming (The Times "understands"), and the UK\'s acts'
    )
    return "\n".join(out) + "\n"


def _holder(register: Register, speaker: Entity, date: str | None) -> Entity | None:
    if speaker.kind == "government-body" and "body_of" in speaker.links:
        return register.by_id(speaker.links["body_of"])
    offices = register.offices_held(speaker.id, date)
    countries = {o.links.get("office_of") for o in offices}
    countries.discard(None)
    if len(countries) == 1:
        entity = register.by_id(countries.pop() or "")
        if entity is not None and entity.kind in {"country", "group"}:
            return entity
    return None


def _unique(local: str, ids: set[str]) -> str:
    candidate, n = local, 2
    while candidate in ids:
        candidate = f"{local}-{n}"
        n += 1
    ids.add(candidate)
    return candidate
