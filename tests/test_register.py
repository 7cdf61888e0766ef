"""The entity register: its content against wikidata-ids.md, its lookups, offices in time, and
the messages its mistakes get."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from hubgraph.config import Settings
from hubgraph.graph.register import (
    AmbiguousName,
    Entity,
    LookupError_,
    Register,
    UnknownName,
    WrongKind,
    read_register,
)
from hubgraph.sheets.yamlread import SheetError

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "data" / "register.yaml"
WIKIDATA_IDS = ROOT.parent / "shared" / "wikidata-ids.md"

FIRST_ARTICLE_IDS = [
    "country/united-kingdom", "country/kosovo", "country/montenegro",
    "country/bosnia-and-herzegovina", "country/albania", "country/north-macedonia",
    "country/serbia", "country/russia", "country/rwanda", "group/other-nations-outside-europe",
    "person/keir-starmer", "person/albin-kurti", "person/milojko-spajic", "person/edi-rama",
    "person/slobodan-milosevic", "organisation/gb-news", "organisation/the-times",
    "organisation/conservative-party", "organisation/migration-observatory",
    "organisation/university-of-oxford", "organisation/government-of-the-united-kingdom",
    "organisation/presidency-of-bosnia-and-herzegovina",
    "organisation/ministry-of-internal-affairs-of-kosovo", "organisation/kfor", "organisation/nato",
    "office/prime-minister-of-the-united-kingdom", "office/prime-minister-of-kosovo",
    "office/prime-minister-of-montenegro", "office/prime-minister-of-albania",
    "policy/uk-return-hubs", "policy/uk-rwanda-scheme",
]  # fmt: skip
"""The first article's entities, with the IRIs its TriG gave them (one renamed: the policy
`rwanda-offshore-processing` is now the neutral `uk-rwanda-scheme`)."""
INVENTORY_PEOPLE = [
    "Vjosa Osmani", "Hristijan Mickoski", "Aleksandar Vučić", "Bajram Begaj", "Željko Komšić",
    "Milorad Dodik", "Zoran Dimitrovski", "Marija Miteva", "Antonio Milososki", "Venko Filipče",
    "David Lammy", "Hugh Williamson", "Andi Hoxhaj", "Matthew Lawson", "Enver Solomon",
]  # fmt: skip
PUBLISHERS = [
    "GB News", "The Times", "Sky News", "LBC", "The Independent", "The National", "PA Media", "N1",
    "MIA", "Balkan View", "Republika", "MNE News", "Mondo.ba", "POLITICO Europe", "AFP",
    "Pamfleti", "InfoMigrants", "BTA", "Express", "RKS News", "SDK.mk", "RT",
]  # fmt: skip


@pytest.fixture(scope="module")
def register() -> Register:
    return read_register(REGISTER)


def wikidata_rows() -> dict[str, str]:
    """QID → status as wikidata-ids.md gives it (verified | verified-1-source)."""
    if not WIKIDATA_IDS.exists():
        pytest.skip("wikidata-ids.md is not beside the clone")
    rows = {}
    for line in WIKIDATA_IDS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"Q[1-9]\d*", cells[1]):
            rows[cells[1]] = "verified" if cells[2] == "verified" else "verified-1-source"
        # A QID given in a row's notes: "NATO is Q7184 (verified)".
        for qid, status in re.findall(r"is (Q[1-9]\d*) \((verified[^)]*)\)", line):
            rows.setdefault(qid, "verified" if status == "verified" else "verified-1-source")
    return rows


def test_the_first_articles_entities_keep_their_iris(register: Register) -> None:
    for entity_id in FIRST_ARTICLE_IDS:
        assert register.by_id(entity_id) is not None, entity_id


def test_the_inventorys_people_and_publishers_are_there(register: Register) -> None:
    for name in INVENTORY_PEOPLE:
        assert register.find(name, {"person"}).label == name
    for name in PUBLISHERS:
        assert register.find(name, {"news-organisation"}).label == name
    for name in (
        "Human Rights Watch",
        "MI6",
        "VMRO-DPMNE",
        "SDSM",
        "Refugee Council",
        "KCL",
        "ICMPD",
    ):
        register.find(name)


def test_every_qid_is_listed_in_wikidata_ids_md_with_its_status(register: Register) -> None:
    listed = wikidata_rows()
    linked = [e for e in register if e.qid]
    assert len(linked) >= 30
    for entity in linked:
        assert entity.qid in listed, f"{entity}: {entity.qid} is not in wikidata-ids.md"
        assert entity.qid_status == listed[entity.qid], entity
    assert register.by_qid("Q1058") is None  # Narendra Modi, never Milošević
    assert register.by_id("person/slobodan-milosevic").qid is None  # type: ignore[union-attr]


def test_republika_srpska_is_an_entity_level_group(register: Register) -> None:
    rs = register.find("Republika Srpska")
    assert rs.kind == "group" and rs.links["part_of"] == "country/bosnia-and-herzegovina"
    office = register.find("President of Republika Srpska")
    assert office.links["office_of"] == "group/republika-srpska"


@pytest.mark.parametrize(
    ("name", "entity_id"),
    [
        ("Sir Keir", "person/keir-starmer"),
        ("Spajic", "person/milojko-spajic"),
        ("spajić", "person/milojko-spajic"),
        ("Mr Kurti", "person/albin-kurti"),
        (
            "Bosnia and Herzegovina’s presidency",
            "organisation/presidency-of-bosnia-and-herzegovina",
        ),
        ("Q1246", "country/kosovo"),
        ("country/kosovo", "country/kosovo"),
        ("Oslobodjenje", "organisation/oslobodjenje"),
    ],
)
def test_lookups_by_label_alias_qid_and_id(register: Register, name: str, entity_id: str) -> None:
    assert register.find(name).id == entity_id


def test_an_unknown_name_says_which_names_are_close(register: Register) -> None:
    with pytest.raises(UnknownName) as caught:
        register.find("Milojko Spajc")
    assert caught.value.message == (
        "no entity named 'Milojko Spajc' in the register; did you mean 'Milojko Spajić'?"
    )
    with pytest.raises(UnknownName) as caught:
        register.find("Zzyzx Qwerty")
    assert caught.value.message == (
        "no entity named 'Zzyzx Qwerty' in the register; add it to data/register.yaml "
        "(or to the sheet's entities)"
    )


def test_a_name_of_the_wrong_kind_says_what_it_is(register: Register) -> None:
    with pytest.raises(WrongKind) as caught:
        register.find("Sir Keir", {"country", "group"})
    assert caught.value.message == (
        "'Sir Keir' is Keir Starmer, a person (person/keir-starmer); expected a country or group"
    )


def test_a_qid_not_in_the_register(register: Register) -> None:
    with pytest.raises(LookupError_) as caught:
        register.find("Q999999")
    assert caught.value.message == (
        "Q999999 is not in the register; add the entity to data/register.yaml with its QID "
        "from wikidata-ids.md, or name it by its label"
    )


def test_a_name_that_fits_several_entities_lists_them() -> None:
    register = Register(
        [
            Entity("organisation/the-times", "news-organisation", "The Times", ("Times",)),
            Entity(
                "organisation/the-new-york-times",
                "news-organisation",
                "The New York Times",
                ("Times",),
            ),
        ],
        [],
    )
    with pytest.raises(AmbiguousName) as caught:
        register.find("Times")
    assert caught.value.message == (
        "'Times' fits 2 entities: The New York Times (organisation/the-new-york-times); "
        "The Times (organisation/the-times); use one's id or full label"
    )


@pytest.mark.parametrize(
    ("name", "country", "date", "who"),
    [
        ("the Prime Minister", "country/kosovo", "2025-10", "person/albin-kurti"),
        ("Prime Minister", "country/united-kingdom", "2025-05-15", "person/keir-starmer"),
        ("the PM", "country/north-macedonia", "2025-12-09", "person/hristijan-mickoski"),
        ("the President", "country/kosovo", "2025-05-16", "person/vjosa-osmani"),
        ("the Foreign Secretary", "country/united-kingdom", "2025-04", "person/david-lammy"),
    ],
)
def test_office_like_names_resolve_by_country_and_date(
    register: Register, name: str, country: str, date: str, who: str
) -> None:
    assert register.resolve_office_like(name, country, date).id == who


# Written for the tests: the real register leaves a term open where no source dates it.
DATED_REGISTER = """register: 1
entities:
  - {id: country/freedonia, kind: country, label: Freedonia, qid_status: none}
  - {id: person/rufus-firefly, kind: person, label: Rufus Firefly, qid_status: none}
  - {id: office/prime-minister-of-freedonia, kind: office, label: Prime Minister of Freedonia, office_of: country/freedonia, office_type: prime-minister, qid_status: none}
mandates:
  - {holder: person/rufus-firefly, office: office/prime-minister-of-freedonia, start: 2025-01-01, end: 2025-06-30, reference: "written for the tests"}
"""


def dated_register(tmp_path: Path) -> Register:
    path = tmp_path / "register.yaml"
    path.write_text(DATED_REGISTER, encoding="utf-8")
    return read_register(path)


def test_an_office_nobody_held_then_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LookupError_) as caught:
        dated_register(tmp_path).resolve_office_like(
            "the Prime Minister", "country/freedonia", "2025-10-21"
        )
    assert caught.value.message == (
        "'the Prime Minister': nobody held Prime Minister of Freedonia on 2025-10-21 according "
        "to the register's mandates"
    )


def test_a_dated_term_bounds_the_office(tmp_path: Path) -> None:
    register = dated_register(tmp_path)
    assert [m.office for m in register.mandates_of("person/rufus-firefly", "2025-06")] == [
        "office/prime-minister-of-freedonia"
    ]
    assert register.mandates_of("person/rufus-firefly", "2025-07") == []


def test_no_term_date_is_unsourced(register: Register) -> None:
    """Term dates no source at hand states are not invented: such a mandate stays open (held
    on any date) and its reference says so."""
    for mandate in register.mandates:
        assert mandate.reference, mandate
        if mandate.start or mandate.end:
            assert "other public sources" not in mandate.reference.lower(), mandate
        else:
            assert "left open" in mandate.reference or "not at hand" in mandate.reference, mandate


def test_offices_in_time(register: Register) -> None:
    kurti = register.mandates_of("person/albin-kurti", "2025-10-21")
    assert [m.status for m in kurti] == ["acting"]
    assert kurti[0].status_until == "2026-02" and "LBC" in (kurti[0].status_reference or "")
    for mandate in register.mandates:
        assert mandate.reference, mandate


@pytest.mark.parametrize(
    ("voice", "holder", "date", "speaks"),
    [
        ("Vjosa Osmani", "Kosovo", "2025-05-16", True),
        ("Albin Kurti", "Kosovo", "2025-10", True),
        ("Bajram Begaj", "Albania", "2025-05-26", True),
        ("the Presidency", "Bosnia and Herzegovina", "2025-10", True),
        ("Milorad Dodik", "Republika Srpska", "2025-06", True),
        ("Milorad Dodik", "Bosnia and Herzegovina", "2025-06", False),
        ("Hugh Williamson", "Bosnia and Herzegovina", "2025-05-26", False),
    ],
)
def test_who_speaks_for_whom(
    register: Register, voice: str, holder: str, date: str, speaks: bool
) -> None:
    assert register.speaks_for(register.find(voice), register.find(holder), date) is speaks


def test_the_register_compiles_to_its_graph(register: Register) -> None:
    quads = {(q.subject.value, q.predicate.value, str(q.object)) for q in register.quads()}
    hg, idp = "https://w3id.org/hubgraph/ontology#", "https://w3id.org/hubgraph/id/"
    mandate = idp + "mandate/albin-kurti--prime-minister-of-kosovo"
    assert (mandate, hg + "status", '"acting"') in quads
    assert (
        mandate,
        hg + "statusUntil",
        '"2026-02"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>',
    ) in quads
    assert (
        idp + "organisation/gb-news",
        hg + "wikidataLinkMissing",
        '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',
    ) in quads
    assert (idp + "person/edi-rama", hg + "qidStatus", '"verified-1-source"') in quads
    assert (
        idp + "person/albin-kurti",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        f"<{hg}Leader>",
    ) in quads


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_registers_mistakes_are_reported_at_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """register: 1
entities:
  - {id: country/kosovo, kind: country, label: Kosovo, qid: Q1246, qid_status: verified}
  - {id: country/kosovo, kind: country, label: Kosovo again, qid_status: none}
  - {id: person/x, kind: persn, label: X}
  - {id: person/y, kind: person, label: Y, qid: 1246, qid_status: verified}
  - {id: person/z, kind: person, label: Z, qid: Q5, qid_status: none}
  - {id: office/p, kind: office, label: P, office_of: country/nowhere, office_type: president}
  - {id: person/w, kind: person, label: W, colour: blue}
mandates:
  - {holder: person/nobody, office: office/p, reference: "r"}
  - {holder: person/w, office: office/p, start: May 2025, reference: "r"}
""",
    )
    with pytest.raises(SheetError) as caught:
        read_register(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:4: entities[1].id: 'country/kosovo' is also the id of the entry on line 3",
        f"{path}:5: entities[2].kind: unknown kind 'persn'; the kinds are: country, person, "
        "organisation, news-organisation, political-party, government-body, group, office, policy",
        f"{path}:6: entities[3].qid: '1246' is not a Wikidata QID (Q followed by digits)",
        f"{path}:7: entities[4].qid: a qid with qid_status none; remove the qid or give its status",
        f"{path}:9: entities[6].colour: unknown key 'colour'; the allowed keys are: id, kind, "
        "label, aliases, qid, qid_status, note, office_of, office_type, body_of, "
        "head_of_state_of, member_count, part_of, parent",
        f"{path}:8: office/p.office_of: no entity 'country/nowhere' in the register",
        f"{path}:11: mandates[0].holder: no entity 'person/nobody' in the register",
        f"{path}:12: mandates[1].start: 'May 2025' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY",
    ]


# -- the register as last read, kept beside the store ---------------------------------------
def test_a_load_reads_the_register_once_until_it_changes(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubgraph import loader as loader_module
    from hubgraph.graph import register_cache
    from hubgraph.runtime import load_data
    from hubgraph.store import OxigraphStore

    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    settings = replace(settings, data_dir=data)
    reads: list[Path] = []
    real = register_cache.read_register

    def counted(path: Path) -> Register:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(register_cache, "read_register", counted)
    store = OxigraphStore(settings.store)
    try:
        first = load_data(store, settings)
        assert len(reads) == 1
        assert load_data(store, settings) == first
        assert len(reads) == 1  # the register as kept
        register = data / "register.yaml"
        register.write_text(register.read_text() + "# edited\n")
        load_data(store, settings)
        assert len(reads) == 2  # edited: read again
        cache = loader_module._cache_of(store)
        assert cache is not None
        cache.write_bytes(cache.read_bytes()[:100])  # damaged: read again, and kept anew
        load_data(store, settings)
        load_data(store, settings)
        assert len(reads) == 3
        broken = register.read_text().replace("kind: country,", "kind: kountry,", 1)
        register.write_text(broken)
        for _ in range(2):  # its problems, each time: a register with problems is never kept
            with pytest.raises(SheetError, match="unknown kind 'kountry'"):
                load_data(store, settings)
        assert len(reads) == 5
    finally:
        store.close()
