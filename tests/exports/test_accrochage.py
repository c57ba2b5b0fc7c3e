"""The accrochage flow: every file validates against the official schema; nothing is guessed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from app.cohorts.models import AccessRoute
from exports.accrochage import (
    ACCESS_MODES,
    NAMESPACE,
    SCHEMA_PATH,
    AccrochageData,
    AccrochageError,
    Holder,
    Passage,
    build_accrochage,
    passage_id,
    schema,
    validation_errors,
)

SHARED_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "schemas" / SCHEMA_PATH.name
NS = {"cpf": NAMESPACE}
PARIS = ZoneInfo("Europe/Paris")


def holder(**changes: object) -> Holder:
    values: dict[str, object] = {
        "birth_name": "Lefèvre",
        "first_names": ("Élodie",),
        "birth_date": dt.date(1990, 5, 3),
        "sex": "F",
        "birth_commune_code": "75111",
    }
    values.update(changes)
    return Holder(**values)  # type: ignore[arg-type]


def passage(enrolment_id: int, cohort: str = "Promotion 1", **changes: object) -> Passage:
    values: dict[str, object] = {
        "enrolment_id": enrolment_id,
        "display_name": f"Personne {enrolment_id}",
        "cohort_name": cohort,
        "access_route": "formation_continue",
        "certified_on": dt.date(2025, 12, 12),
        "holder": holder(),
        "entered_on": dt.date(2025, 3, 10),
    }
    values.update(changes)
    return Passage(**values)  # type: ignore[arg-type]


def flow(*passages: Passage, **changes: object) -> AccrochageData:
    values: dict[str, object] = {
        "flux_id": "TEST-20260301100000-1",
        "generated_at": dt.datetime(2026, 3, 1, 10, 0, tzinfo=PARIS),
        "client_id": "03BHY312",
        "contract_id": "MCFCER000775",
        "certification_code": "CTA",
        "rncp_number": "RNCP41234",
        "passages": list(passages),
    }
    values.update(changes)
    return AccrochageData(**values)  # type: ignore[arg-type]


def assert_valid(content: bytes) -> etree._Element:
    document = etree.fromstring(content)
    checker = schema()
    assert checker.validate(document), checker.error_log
    return document


def titulaires(document: etree._Element) -> list[etree._Element]:
    return document.findall(".//cpf:titulaire", NS)


def test_schema_is_the_official_file_byte_for_byte() -> None:
    if not SHARED_SCHEMA.exists():
        pytest.skip("the shared schemas folder is not beside the project")
    assert SCHEMA_PATH.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_typical_flow_validates_and_says_who() -> None:
    content, left_out = build_accrochage(flow(passage(1), passage(2, "Promotion 2")))
    document = assert_valid(content)
    assert left_out == []
    assert document.tag == f"{{{NAMESPACE}}}flux"
    assert document.findtext("cpf:idFlux", namespaces=NS) == "TEST-20260301100000-1"
    assert document.findtext("cpf:horodatage", namespaces=NS) == "2026-03-01T10:00:00+01:00"
    certifier = document.find("cpf:emetteur/cpf:certificateurs/cpf:certificateur", NS)
    assert certifier is not None
    assert certifier.findtext("cpf:idClient", namespaces=NS) == "03BHY312"
    assert certifier.findtext("cpf:idContrat", namespaces=NS) == "MCFCER000775"
    passages = document.findall(".//cpf:passageCertification", NS)
    assert len(passages) == 2
    first = passages[0]
    assert first.findtext("cpf:dateDebutValidite", namespaces=NS) == "2025-12-12"
    assert first.findtext("cpf:obtentionCertification", namespaces=NS) == "PAR_ADMISSION"
    assert first.findtext(".//cpf:nomNaissance", namespaces=NS) == "Lefèvre"
    assert first.findtext(".//cpf:sexe", namespaces=NS) == "F"
    assert first.findtext(".//cpf:codeInsee", namespaces=NS) == "75111"
    assert (
        first.findtext(".//cpf:anneeNaissance", namespaces=NS),
        first.findtext(".//cpf:moisNaissance", namespaces=NS),
        first.findtext(".//cpf:jourNaissance", namespaces=NS),
    ) == ("1990", "5", "3")


def test_born_abroad_uses_the_country_code() -> None:
    content, _ = build_accrochage(
        flow(passage(1, holder=holder(birth_commune_code=None, birth_country_code="99341")))
    )
    (person,) = titulaires(assert_valid(content))
    assert person.findtext(".//cpf:codeInsee", namespaces=NS) == "99341"
    assert person.findtext("cpf:codePaysNaissance", namespaces=NS) == "341"


def test_born_in_france_has_no_country_code_and_corsica_is_a_commune() -> None:
    content, _ = build_accrochage(flow(passage(1, holder=holder(birth_commune_code="2a004"))))
    (person,) = titulaires(assert_valid(content))
    assert person.findtext(".//cpf:codeInsee", namespaces=NS) == "2A004"
    assert person.find("cpf:codePaysNaissance", NS) is None


def test_usage_name_absent_is_nil_and_present_is_written() -> None:
    content, _ = build_accrochage(
        flow(passage(1), passage(2, holder=holder(usage_name="Martin-Lefèvre")))
    )
    without, with_usage = titulaires(assert_valid(content))
    nil = without.find("cpf:nomUsage", NS)
    assert nil is not None
    assert nil.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    assert with_usage.findtext("cpf:nomUsage", namespaces=NS) == "Martin-Lefèvre"


def test_accents_apostrophes_and_several_first_names() -> None:
    content, _ = build_accrochage(
        flow(
            passage(
                1,
                holder=holder(
                    birth_name="N’Diaye d'Arc",
                    first_names=("Jean-Éric", "Gaël", "Anaïs", "Zoé"),
                    sex="M",
                ),
            ),
            passage(2, holder=holder(first_names=("Marie", " Hélène "))),
            passage(3, holder=holder(first_names=("Marie Hélène",))),
        )
    )
    first, second, third = titulaires(assert_valid(content))
    # One apostrophe, the straight one, whatever was stored (exports.accrochage says why).
    assert first.findtext("cpf:nomNaissance", namespaces=NS) == "N'Diaye d'Arc"
    assert [first.findtext(f"cpf:prenom{i}", namespaces=NS) for i in (1, 2, 3)] == [
        "Jean-Éric",
        "Gaël",
        "Anaïs Zoé",
    ]
    assert [second.findtext(f"cpf:prenom{i}", namespaces=NS) for i in (1, 2, 3)] == [
        "Marie",
        "Hélène",
        None,
    ]
    # A first name with a space stays one first name: the list is what was entered.
    assert [third.findtext(f"cpf:prenom{i}", namespaces=NS) for i in (1, 2)] == [
        "Marie Hélène",
        None,
    ]


@pytest.mark.parametrize("route", list(AccessRoute))
def test_every_access_route_maps_to_the_schema(route: AccessRoute) -> None:
    content, _ = build_accrochage(flow(passage(1, access_route=route.value)))
    document = assert_valid(content)
    assert document.findtext(".//cpf:modaliteAcces", namespaces=NS) == ACCESS_MODES[route.value]


def test_several_cohorts_in_one_certification() -> None:
    passages = [passage(n, f"Promotion {n % 3}") for n in range(1, 31)]
    content, left_out = build_accrochage(flow(*passages))
    document = assert_valid(content)
    assert left_out == []
    assert len(document.findall(".//cpf:certification", NS)) == 1
    ids = [e.text for e in document.findall(".//cpf:idTechnique", NS)]
    assert len(set(ids)) == 30


def test_passage_ids_are_stable_and_depend_on_certification_and_enrolment() -> None:
    first, _ = build_accrochage(flow(passage(7), passage(8)))
    later, _ = build_accrochage(
        flow(
            passage(8, holder=holder(usage_name="Autre")),
            passage(7),
            flux_id="TEST-autre",
            generated_at=dt.datetime(2027, 1, 1, tzinfo=PARIS),
        )
    )

    def ids(content: bytes) -> list[str | None]:
        return [e.text for e in etree.fromstring(content).findall(".//cpf:idTechnique", NS)]

    assert ids(first) == ids(later) == [passage_id("CTA", 7), passage_id("CTA", 8)]
    assert passage_id("CTA", 7) != passage_id("CTD", 7)
    # The RNCP number, once given, does not change the ids of people already declared.
    before, _ = build_accrochage(flow(passage(7), rncp_number=None, test_file=True))
    assert ids(before) == [passage_id("CTA", 7)]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"holder": None}, "identité civile non renseignée"),
        ({"certified_on": None}, "date de certification manquante"),
        ({"holder": holder(birth_date=None)}, "date de naissance manquante"),
        ({"holder": holder(sex=None)}, "sexe manquant"),
        ({"holder": holder(birth_name="  ")}, "nom de naissance manquant"),
        ({"holder": holder(first_names=())}, "prénom manquant"),
        ({"holder": holder(first_names=(" ",))}, "prénom manquant"),
        (
            {"holder": holder(birth_commune_code=None)},
            "lieu de naissance manquant (code de commune ou de pays)",
        ),
        (
            {"holder": holder(birth_country_code="99134")},
            "deux lieux de naissance (commune et pays) : un seul attendu",
        ),
        (
            {"holder": holder(birth_commune_code="7511")},
            "code INSEE de la commune de naissance invalide",
        ),
        (
            {"holder": holder(birth_commune_code=None, birth_country_code="FR")},
            "code INSEE du pays de naissance invalide (99xxx attendu)",
        ),
        (
            {"holder": holder(birth_name="X" * 61)},
            "nom de naissance trop long (plus de 60 caractères)",
        ),
        (
            {"holder": holder(birth_name="Nom\x01caché")},
            "nom de naissance contient un caractère non imprimable",
        ),
        (
            {"holder": holder(birth_date=dt.date(1899, 12, 31))},
            "année de naissance hors de la plage 1900–2099",
        ),
        ({"access_route": "inconnue"}, "voie d'accès inconnue : inconnue"),
    ],
)
def test_incomplete_identity_is_left_out_never_guessed(
    changes: dict[str, object], reason: str
) -> None:
    bad = passage(2, "Promotion 2", display_name="Manon Sans-Données", **changes)
    content, left_out = build_accrochage(flow(passage(1), bad))
    document = assert_valid(content)
    assert len(document.findall(".//cpf:passageCertification", NS)) == 1
    assert [(p.enrolment_id, p.display_name, p.cohort_name) for p in left_out] == [
        (2, "Manon Sans-Données", "Promotion 2")
    ]
    assert reason in left_out[0].reasons
    assert passage_id("CTA", 2).encode() not in content


def test_nobody_to_declare_is_an_error_with_the_reasons() -> None:
    with pytest.raises(AccrochageError) as caught:
        build_accrochage(flow(passage(1, holder=None)))
    assert [p.enrolment_id for p in caught.value.left_out] == [1]
    with pytest.raises(AccrochageError):
        build_accrochage(flow())


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "1234567"},
        {"client_id": ""},
        {"contract_id": ""},
        {"contract_id": "X" * 21},
        {"flux_id": "X" * 51},
        {"generated_at": dt.datetime(2026, 3, 1, 10, 0)},
    ],
)
def test_settings_that_do_not_fit_the_schema_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(AccrochageError):
        build_accrochage(flow(passage(1), **changes))


def test_validation_reports_a_broken_file() -> None:
    content, _ = build_accrochage(flow(passage(1)))
    assert validation_errors(content) == []
    document = etree.fromstring(content)
    sex = document.find(".//cpf:sexe", NS)
    assert sex is not None
    sex.text = "X"
    errors = validation_errors(etree.tostring(document))
    assert errors and "sexe" in errors[0]


def test_the_same_passage_twice_is_declared_once() -> None:
    content, _ = build_accrochage(flow(passage(1), dataclasses.replace(passage(1))))
    assert len(etree.fromstring(content).findall(".//cpf:passageCertification", NS)) == 1


# --- what the Caisse des Dépôts receives --------------------------------------------------------


def test_the_declared_code_is_the_rncp_number() -> None:
    document = assert_valid(build_accrochage(flow(passage(1)))[0])
    assert document.findtext(".//cpf:certification/cpf:code", namespaces=NS) == "RNCP41234"
    assert document.findtext(".//cpf:certification/cpf:type", namespaces=NS) == "RNCP"


def test_no_rncp_number_refuses_the_flow_with_a_plain_message() -> None:
    with pytest.raises(AccrochageError) as caught:
        build_accrochage(flow(passage(1), rncp_number=None))
    assert "n'a pas encore de numéro RNCP" in str(caught.value)
    assert "CTA" in str(caught.value)
    with pytest.raises(AccrochageError, match="numéro RNCP mal formé"):
        build_accrochage(flow(passage(1), rncp_number="12345"))


def test_a_test_file_can_be_made_before_the_rncp_number() -> None:
    content, _ = build_accrochage(flow(passage(1), rncp_number=None, test_file=True))
    document = assert_valid(content)
    assert document.findtext(".//cpf:certification/cpf:code", namespaces=NS) == "CTA"


def test_the_entry_date_is_declared_and_checked_against_the_certification() -> None:
    content, left_out = build_accrochage(
        flow(
            passage(1, entered_on=dt.date(2025, 3, 10)),
            passage(2, entered_on=dt.date(2025, 12, 12)),  # the same day: allowed
            passage(3, display_name="Tardive", entered_on=dt.date(2025, 12, 13)),
        )
    )
    document = assert_valid(content)
    dates = [e.text for e in document.findall(".//cpf:dateInscription", NS)]
    assert dates == ["2025-03-10", "2025-12-12"]
    assert [p.display_name for p in left_out] == ["Tardive"]
    (reason,) = left_out[0].reasons
    assert "date d'entrée en formation (13/12/2025) postérieure" in reason
    assert "(12/12/2025)" in reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"birth_commune_code": "99100"}, "99100 est la France comme pays"),
        ({"birth_commune_code": None, "birth_country_code": "99100"}, "99100 est la France"),
        ({"birth_commune_code": "20004"}, "ancien code corse (d'avant 1976)"),
    ],
)
def test_france_as_a_country_and_old_corsican_codes_are_refused_at_export(
    changes: dict[str, object], reason: str
) -> None:
    content, left_out = build_accrochage(flow(passage(1), passage(2, holder=holder(**changes))))
    assert_valid(content)
    assert [p.enrolment_id for p in left_out] == [2]
    assert any(reason in r for r in left_out[0].reasons), left_out[0].reasons
