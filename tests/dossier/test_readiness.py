"""The readiness check: each criterion ready when its data is there, and saying what is missing
(with where to fill it) when it is not; the page, the command's exit status, the query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.cohorts.models import AccessRoute, EnrolmentStatus
from app.db import db
from app.dossier import services as texts_services
from app.dossier.builder import _identity
from app.dossier.readiness import Level, Readiness, check
from app.dossier.texts import TEXT_KEYS
from app.frameworks import services as frameworks
from app.insertion.models import Horizon, Situation
from app.people.models import Organisation, OrganisationKind
from tests.dossier.conftest import PilotMaker, write_texts
from tests.factories import fiche_doc

TODAY = dt.date(2026, 12, 5)


def complete_doc(mini_doc: dict[str, Any]) -> dict[str, Any]:
    """The small référentiel with everything the fiche and the dossier need."""
    return fiche_doc(mini_doc, certifier_siret="44789845200001")


def complete_texts(version: Any) -> None:
    write_texts(
        version,
        {key: f"Texte {key}." for key in TEXT_KEYS},
        {AccessRoute.VAE: (True, "Trois professionnel·les")},
    )


def two_certified_promotions(version: Any, pilots: PilotMaker) -> None:
    for n in range(2):
        made = pilots.cohort(
            version,
            f"Promotion {n + 1}",
            statuses={f"Certifié·e {n}": EnrolmentStatus.CERTIFIED},
            start=dt.date(2024 + n, 1, 8),
        )
        pilots.answer(made.enrolments[f"Certifié·e {n}"], Horizon.SIX_MONTHS, Situation.TARGET_JOB)
        from app.assessment.models import EvaluationSession

        db.session.add(
            EvaluationSession(
                cohort=made.cohort,
                bloc=version.blocs[0],
                session_date=dt.date(2025, 6, 1),
                assessors=[pilots.assessor],
            )
        )
    from app.registry.models import RegistryFiche

    db.session.add(RegistryFiche(number="RNCP00001", title="Une fiche", level=5, digest="0" * 64))


def readiness(version: Any) -> Readiness:
    return check(frameworks.load_version(version.certification.code, version.label), today=TODAY)


def level_of(result: Readiness, key: str) -> Level:
    return next(c.level for c in result.criteria if c.key == key)


def messages(result: Readiness, key: str) -> list[str]:
    return [g.message for c in result.criteria if c.key == key for g in c.gaps]


@pytest.fixture
def complete(app: Any, create_version: Any, mini_doc: dict[str, Any], pilots: PilotMaker) -> Any:
    version = create_version(complete_doc(mini_doc), publish=True)
    complete_texts(version)
    two_certified_promotions(version, pilots)
    db.session.commit()
    return version


def test_a_complete_dossier_is_ready(app: Any, complete: Any) -> None:
    with app.test_request_context():
        result = readiness(complete)
    assert [(c.key, c.level) for c in result.criteria if c.level is not Level.READY] == []
    assert result.level is Level.READY


def test_a_bare_dossier_lists_what_is_missing_per_criterion(
    app: Any, version: Any, pilots: PilotMaker
) -> None:
    with app.test_request_context():
        result = readiness(version)
    assert result.level is Level.BLOCKING
    blocking = {c.key for c in result.criteria if c.level is Level.BLOCKING}
    assert blocking == {"identity", "1", "2", "3", "4", "5", "6", "7", "2025"}
    assert level_of(result, "8") is Level.TO_COMPLETE
    assert level_of(result, "9") is Level.TO_COMPLETE
    identity = messages(result, "identity")
    assert "Le SIRET du certificateur n'est pas renseigné." in identity
    assert any("Les secteurs d'activité" in m for m in identity)
    assert "Dites si l'activité est réglementée (ou qu'elle ne l'est pas)." in messages(result, "5")
    seven = messages(result, "7")
    assert "Le bloc BC01 ne dit pas comment il est validé." in seven
    assert any("4 critères ne sont évalués par aucune modalité" in m for m in seven)
    # Every gap links to the page where it is filled.
    assert all(gap.url for _criterion, gap in result.gaps())


@pytest.mark.parametrize(
    ("key", "breaks", "expected"),
    [
        ("identity", lambda d: d["certification"].update(sectors=""), "Les secteurs d'activité"),
        ("5", lambda d: d["certification"].update(regulations={"regulated": True}), "Décrivez"),
        ("7", lambda d: d["blocs"][0].pop("validity"), "combien de temps"),
    ],
)
def test_each_version_field_makes_its_criterion_not_ready(
    app: Any,
    create_version: Any,
    mini_doc: dict[str, Any],
    pilots: PilotMaker,
    key: str,
    breaks: Any,
    expected: str,
) -> None:
    doc = complete_doc(mini_doc)
    breaks(doc)
    version = create_version(doc)
    complete_texts(version)
    two_certified_promotions(version, pilots)
    db.session.commit()
    with app.test_request_context():
        result = readiness(version)
    assert level_of(result, key) is not Level.READY
    assert any(expected in m for m in messages(result, key)), messages(result, key)
    others = {c.key for c in result.criteria if c.level is not Level.READY} - {key}
    assert others == set()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("disability_adaptations", "3"),
        ("assessment_procedures", "4"),
        ("vae_access", "6"),
        ("branch_involvement", "9"),
        ("health_and_safety", "2025"),
        ("context_and_opportunity", "identity"),
    ],
)
def test_each_unwritten_text_makes_its_criterion_not_ready(
    app: Any, complete: Any, text: str, key: str
) -> None:
    texts = texts_services.texts_for(complete.certification_id)
    assert texts is not None
    setattr(texts, text, "")
    db.session.commit()
    with app.test_request_context():
        result = readiness(complete)
    assert level_of(result, key) is not Level.READY
    (gap,) = [g for c in result.criteria if c.key == key for g in c.gaps]
    assert gap.url is not None and gap.url.endswith(f"/textes#{text}")


def test_one_promotion_limits_the_registration_to_three_years(
    app: Any, create_version: Any, mini_doc: dict[str, Any], pilots: PilotMaker
) -> None:
    version = create_version(complete_doc(mini_doc), publish=True)
    complete_texts(version)
    made = pilots.cohort(version, "Seule", statuses={"Unique": EnrolmentStatus.CERTIFIED})
    db.session.commit()
    with app.test_request_context():
        result = readiness(version)
    assert level_of(result, "1") is Level.TO_COMPLETE
    one = messages(result, "1")
    assert any("limité à trois ans" in m for m in one)
    # Certified on 12/12/2025: on 05/12/2026 the 6-month survey is due and missing.
    assert any(m == "Seule : 1 réponse à l'enquête à 6 mois n'est pas saisie." for m in one)
    assert level_of(result, "2") is Level.TO_COMPLETE
    assert made.cohort.id  # the cohort the messages name


def test_the_vae_route_must_be_open(app: Any, complete: Any) -> None:
    texts = texts_services.texts_for(complete.certification_id)
    assert texts is not None
    write_texts(complete, {}, revision=texts.revision)
    with app.test_request_context():
        result = readiness(complete)
    assert level_of(result, "6") is Level.BLOCKING
    assert any("VAE n'est pas déclarée ouverte" in m for m in messages(result, "6"))


def test_the_query_count_does_not_grow_with_promotions(
    app: Any, complete: Any, pilots: PilotMaker, count_queries: Any
) -> None:
    def counted() -> int:
        db.session.expire_all()
        with app.test_request_context(), count_queries() as counter:
            readiness(complete)
        return counter.count

    before = counted()
    for n in range(5):
        pilots.cohort(complete, f"Encore {n}", statuses={f"Encore {n}": EnrolmentStatus.CERTIFIED})
    db.session.commit()
    assert counted() == before


def certifier_coordinator(create_user: Any, version: Any, db_session: Any) -> Any:
    certifier = Organisation(name="Certificateur", kind=OrganisationKind.CERTIFIER)
    db_session.add(certifier)
    version.certification.organisation = certifier
    db_session.commit()
    return create_user("coordinator", organisations=[certifier])


def test_the_page_lists_gaps_with_links(
    client: Any, login: Any, create_user: Any, version: Any, db_session: Any
) -> None:
    login(certifier_coordinator(create_user, version, db_session))
    index = client.get("/dossier/").get_data(as_text=True)
    assert "/dossier/MINI/v1/verification" in index
    page = client.get("/dossier/MINI/v1/verification").get_data(as_text=True)
    assert "4° Contrôle des modalités d&#39;évaluation" in page
    assert "bloquant" in page and "/dossier/MINI/textes#vae_access" in page
    assert client.get("/dossier/MINI/v9/verification").status_code == 404


def test_the_command_exits_non_zero_while_something_blocks(
    runner: Any, app: Any, complete: Any, version_label: str = "v1"
) -> None:
    result = runner.invoke(args=["dossier", "check", "MINI", "--version", version_label])
    assert result.exit_code == 0, result.output
    assert "Dossier : prêt" in result.output
    texts = texts_services.texts_for(complete.certification_id)
    assert texts is not None
    texts.means = ""
    db.session.commit()
    result = runner.invoke(args=["dossier", "check", "MINI", "--version", version_label])
    assert result.exit_code == 1
    assert "[bloquant] Texte à écrire : Moyens pédagogiques, techniques et d'encadrement." in (
        result.output
    )
    unknown = runner.invoke(args=["dossier", "check", "MINI", "--version", "v9"])
    assert unknown.exit_code == 2


def test_the_certifier_organisations_siret_serves_when_the_version_names_none(
    app: Any, create_version: Any, mini_doc: dict[str, Any], pilots: PilotMaker
) -> None:
    doc = complete_doc(mini_doc)
    doc["certification"]["certifier"].pop("siret")
    version = create_version(doc, publish=True)
    complete_texts(version)
    two_certified_promotions(version, pilots)
    db.session.commit()
    with app.test_request_context():
        assert "Le SIRET du certificateur n'est pas renseigné." in messages(
            readiness(version), "identity"
        )
    certifier = Organisation(
        name="Le Labo de l'ESS", siret="44789845200001", kind=OrganisationKind.CERTIFIER
    )
    version.certification.organisation = certifier
    db.session.commit()
    with app.test_request_context():
        assert level_of(readiness(version), "identity") is Level.READY
        assert _identity(version).certifier_siret == "44789845200001"
