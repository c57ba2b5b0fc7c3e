"""The dossier's data from the database: counts and rates of the pilot cohorts, insertion,
versions, texts, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.cohorts.models import AccessRoute, EnrolmentStatus
from app.db import db
from app.dossier.builder import dossier_data
from app.frameworks import services as frameworks
from app.frameworks.models import FrameworkVersion
from app.insertion.models import Horizon, Situation
from app.jury.models import Decision
from tests.dossier.conftest import PilotMaker, write_texts
from tests.factories import doc_variant

TODAY = dt.date(2026, 3, 2)


def load(version: FrameworkVersion) -> FrameworkVersion:
    return frameworks.load_version(version.certification.code, version.label)


def levels(version: FrameworkVersion) -> tuple[int, int]:
    """(not acquired, acquired) scale level ids of the small référentiel."""
    by_code = {level.code: level.id for level in version.scale_levels}
    return by_code["NA"], by_code["A"]


def test_counts_and_rates_of_a_cohort(version: Any, pilots: PilotMaker) -> None:
    statuses = {
        "Léa N'Diaye": EnrolmentStatus.CERTIFIED,
        "Jean-Éric Da Silva": EnrolmentStatus.ENROLLED,
        "Zoé Œuvray": EnrolmentStatus.ENROLLED,
        "Parti Avant": EnrolmentStatus.WITHDRAWN,
    }
    made = pilots.cohort(version, "Promotion pilote 1", statuses=statuses)
    lea, jean, zoe, gone = (made.enrolments[n] for n in statuses)
    bloc = version.blocs[0]
    c1, c2 = bloc.competencies
    na, a = levels(version)
    every = [crit.id for comp in bloc.competencies for crit in comp.criteria]
    pilots.results(lea, dict.fromkeys(every, a))
    pilots.results(jean, {c1.criteria[0].id: a, c1.criteria[1].id: a, c2.criteria[0].id: na})
    pilots.results(gone, dict.fromkeys(every, a))  # withdrawn: not counted
    pilots.jury(version, {lea: {bloc.id: Decision.VALIDATED}, gone: {bloc.id: Decision.VALIDATED}})
    # An open session's decision does not count yet.
    pilots.jury(version, {jean: {bloc.id: Decision.VALIDATED}}, closed=False)
    db.session.commit()

    data = dossier_data(load(version), [made.cohort.id], generated_on=TODAY)
    (cohort,) = data.cohorts
    assert (cohort.enrolled, cohort.withdrawn, cohort.certified, cohort.counted) == (4, 1, 1, 3)
    assert cohort.access_route == "formation continue"
    (bloc_rate,) = cohort.blocs
    assert (bloc_rate.code, bloc_rate.validated.count, bloc_rate.validated.total) == ("BC01", 1, 3)
    assert bloc_rate.validated.percent == 33
    assert [(c.code, c.acquired.count, c.acquired.total) for c in cohort.competencies] == [
        ("C1.1", 2, 3),
        ("C1.2", 1, 3),
    ]
    assert [c.acquired.percent for c in cohort.competencies] == [67, 33]
    assert zoe.id not in {lea.id, jean.id}


def test_insertion_per_cohort_from_current_answers(version: Any, pilots: PilotMaker) -> None:
    certified = {f"Certifié·e {n}": EnrolmentStatus.CERTIFIED for n in range(5)}
    made = pilots.cohort(version, "Promotion certifiée", statuses=certified)
    people = list(made.enrolments.values())
    pilots.answer(people[0], Horizon.SIX_MONTHS, Situation.OTHER_JOB)
    pilots.answer(people[0], Horizon.SIX_MONTHS, Situation.TARGET_JOB)  # a correction
    pilots.answer(people[1], Horizon.SIX_MONTHS, Situation.OTHER_JOB)
    pilots.answer(people[2], Horizon.SIX_MONTHS, Situation.JOB_SEEKING)
    pilots.answer(people[3], Horizon.SIX_MONTHS, Situation.STUDYING)  # removed from the rates
    db.session.commit()

    data = dossier_data(load(version), [made.cohort.id], generated_on=TODAY)
    before, six, two = data.insertion
    assert (before.horizon, six.horizon, two.horizon) == (
        "avant la formation",
        "à 6 mois",
        "à 2 ans",
    )
    assert before.lines[0].no_answer == 5  # asked at entry: due, not answered
    # Certified on 12/12/2025: on 02/03/2026 the surveys are not due yet. Person 4 has no
    # answer: not asked yet, not « sans réponse »; the 2-year survey is due for nobody.
    assert two.lines[0].not_due == 5 and two.lines[0].no_answer == 0
    (line,) = six.lines
    assert (line.certified, line.no_answer, line.excluded, line.respondents) == (5, 0, 1, 3)
    assert line.not_due == 1
    assert (line.target_job.count, line.target_job.total, line.target_job.percent) == (1, 3, 33)
    assert (line.employment.count, line.employment.percent) == (2, 67)
    assert two.lines[0].respondents == 0 and two.lines[0].target_job.percent is None


def test_only_chosen_cohorts_of_the_version_are_in(
    version: Any, pilots: PilotMaker, create_version: Any, mini_doc: Any
) -> None:
    chosen = pilots.cohort(version, "Retenue", learners=2)
    pilots.cohort(version, "Pas retenue", learners=2)
    doc = doc_variant(mini_doc, label="v2")
    other = create_version(doc, publish=True)
    foreign = pilots.cohort(other, "Autre version", learners=2)
    db.session.commit()
    data = dossier_data(load(version), [chosen.cohort.id, foreign.cohort.id], generated_on=TODAY)
    assert [c.name for c in data.cohorts] == ["Retenue"]
    assert dossier_data(load(version), [], generated_on=TODAY).cohorts == []


def test_identity_and_référentiel(version: Any, mini_doc: dict[str, Any]) -> None:
    data = dossier_data(load(version), [], generated_on=TODAY)
    assert data.identity.code == "MINI" and data.identity.level == 5
    # Codes with their official labels (shipped nomenclatures: referentiel/nomenclatures).
    assert data.identity.nsf == ["341 — Aménagement du territoire, développement, urbanisme"]
    assert data.identity.rome[0].startswith("K1802 — ")
    assert data.identity.formacodes == ["42806"]
    assert data.identity.certifier_name == "Organisme d'essai"
    assert data.version_label == "v1" and data.version_status == "publiée"
    assert [a.code for d in data.domains for a in d.activities] == ["A1.1", "A1.2"]
    (bloc,) = data.blocs
    assert [m.code for m in bloc.modalities] == ["M1.1"]
    assert [(c.code, [a.code for a in c.activities]) for c in bloc.competencies] == [
        ("C1.1", ["A1.1"]),
        ("C1.2", ["A1.2"]),
    ]
    assert [k.statement for k in bloc.competencies[0].criteria] == [
        c["statement"] for c in mini_doc["blocs"][0]["competencies"][0]["criteria"]
    ]
    assert data.scale == ["Non acquis", "Acquis"]
    assert "« Acquis »" in data.competency_rule


def test_version_history_counts_changes(
    version: Any, create_version: Any, mini_doc: dict[str, Any]
) -> None:
    doc = doc_variant(mini_doc, label="v2")
    doc["blocs"][0]["competencies"][0]["statement"] = "Préparer une réunion pour décider"
    doc["blocs"][0]["competencies"][1]["criteria"].pop()
    doc["activity_domains"][0]["activities"].append({"code": "A1.3", "title": "Évaluer"})
    v2 = create_version(doc)
    data = dossier_data(load(v2), [], generated_on=TODAY)
    first, second = data.versions
    assert (first.label, first.status, first.added, first.current) == ("v1", "publiée", None, False)
    assert first.published_on is not None
    assert (second.label, second.status, second.current) == ("v2", "brouillon", True)
    assert (second.added, second.removed, second.reworded) == (1, 1, 1)


def test_jury_routes_from_texts_and_cohorts(
    version: Any, pilots: PilotMaker, coordinator: Any
) -> None:
    pilots.cohort(version, "En VAE", route=AccessRoute.VAE, learners=1)
    write_texts(
        version,
        {"context_and_opportunity": "Contexte", "vae_access": "VAE : oui"},
        {AccessRoute.APPRENTICESHIP: (True, "Trois membres"), AccessRoute.VAE: (False, "Jury VAE")},
        by=coordinator,
    )
    data = dossier_data(load(version), [], generated_on=TODAY)
    routes = {r.route: r for r in data.jury}
    assert routes["apprentissage"].open and routes["apprentissage"].composition == "Trois membres"
    # Followed by a cohort: open, whatever the text says.
    assert routes["VAE (validation des acquis de l'expérience)"].open
    assert not routes["formation initiale"].open
    assert data.context_and_opportunity == "Contexte" and data.vae_access == "VAE : oui"
    assert data.texts_revision == 1


def _queries(count_queries: Any, version_id: int, cohort_ids: list[int]) -> int:
    db.session.expire_all()
    with count_queries() as counter:
        version = db.session.get(FrameworkVersion, version_id)
        assert version is not None
        data = dossier_data(load(version), cohort_ids, generated_on=TODAY)
    assert len(data.cohorts) == len(cohort_ids)
    return counter.count


def test_the_number_of_queries_does_not_grow_with_cohorts(
    version: Any, pilots: PilotMaker, count_queries: Any
) -> None:
    na, a = levels(version)
    bloc = version.blocs[0]
    every = [crit.id for comp in bloc.competencies for crit in comp.criteria]
    cohorts = []
    for n in range(3):
        made = pilots.cohort(
            version,
            f"Promotion {n}",
            statuses={f"P{n} certifié·e": EnrolmentStatus.CERTIFIED},
            learners=3 + n,
        )
        for enrolment in made.enrolments.values():
            pilots.results(enrolment, dict.fromkeys(every, a if n % 2 else na))
        certified = made.enrolments[f"P{n} certifié·e"]
        pilots.jury(version, {certified: {bloc.id: Decision.VALIDATED}})
        pilots.answer(certified, Horizon.SIX_MONTHS, Situation.TARGET_JOB)
        cohorts.append(made.cohort.id)
    db.session.commit()
    one = _queries(count_queries, version.id, cohorts[:1])
    three = _queries(count_queries, version.id, cohorts)
    assert one == three
    # The version tree (one query for the criteria's modalities), and the criteria's data:
    # control figures (6), correspondences, certified promotions, the register's size.
    assert one <= 41
