"""From the database to the exporters' plain data: who is declared, what the fiche says, and a
fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from app.cohorts.models import AccessRoute, EnrolmentStatus
from app.db import db
from app.exports_history import builders
from app.frameworks import services as frameworks
from app.frameworks.models import FrameworkVersion
from exports.accrochage import NAMESPACE as NS
from exports.accrochage import build_accrochage, validation_errors
from exports.fiche import build_fiche
from exports.fiche_reading import parse_fiches
from tests.exports.conftest import Pilot

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def accrochage(version: Any, cohort_ids: list[int]) -> Any:
    return builders.accrochage_data(
        version,
        cohort_ids,
        flux_id="TEST-1",
        client_id="03BHY312",
        contract_id="MCFCER000775",
        generated_at=NOW,
    )


def test_only_certified_people_with_a_jury_date_are_passed(version: Any, pilot: Pilot) -> None:
    data = accrochage(version, [c.id for c in pilot.cohorts])
    passed = {p.enrolment_id for p in data.passages}
    assert pilot.missing_birth is not None
    assert passed == {e.id for e in pilot.certified} | {pilot.missing_birth.id}
    assert not passed & {e.id for e in pilot.others}


def test_the_flow_from_the_database_validates(version: Any, pilot: Pilot) -> None:
    data = accrochage(version, [c.id for c in pilot.cohorts])
    content, left_out = build_accrochage(data)
    assert validation_errors(content) == []
    assert pilot.missing_birth is not None
    assert [(p.enrolment_id, p.display_name, p.reasons) for p in left_out] == [
        (pilot.missing_birth.id, "Sans Naissance", ("date de naissance manquante",))
    ]
    text = content.decode()
    for name in ("N'Diaye", "Da Silva", "Le Goff-Da Silva", "Œuvray", "2A004", "99341"):
        assert name in text
    for other in ("Inscrit", "Parti", "Sans Date"):
        assert other not in text
    assert "VAE</cpf:modaliteAcces>" in text
    assert data.generated_at.utcoffset() == dt.timedelta(hours=1)  # Paris, winter


def test_only_the_chosen_cohorts(version: Any, pilot: Pilot) -> None:
    first = pilot.cohorts[0]
    data = accrochage(version, [first.id])
    assert {p.cohort_name for p in data.passages} == {first.name}
    assert accrochage(version, []).passages == []


def _version(version_id: int) -> Any:
    return db.session.get(FrameworkVersion, version_id)


def test_accrochage_queries_do_not_grow_with_people(
    version: Any, make_cohort: Any, enrol: Any, count_queries: Any
) -> None:
    small = make_cohort("Petite")
    enrol(small)
    large = make_cohort("Grande")
    for _ in range(12):
        enrol(large)
    ids = (version.id, small.id, large.id)
    # Each count starts from an empty identity map, so both load the same things.
    db.session.expunge_all()
    with count_queries() as few:
        assert len(accrochage(_version(ids[0]), [ids[1]]).passages) == 1
    db.session.expunge_all()
    with count_queries() as many:
        assert len(accrochage(_version(ids[0]), [ids[2]]).passages) == 12
    assert few.count == many.count


def test_fiche_data_says_what_the_version_says(
    version: Any, make_cohort: Any, enrol: Any, mini_doc: dict[str, Any]
) -> None:
    vae = make_cohort("VAE 2025", route=AccessRoute.VAE)
    enrol(vae)
    enrol(vae, certified_on=dt.date(2026, 1, 15))
    continuing = make_cohort("FC 2025")
    enrol(continuing)
    enrol(continuing, status=EnrolmentStatus.ENROLLED)
    loaded = frameworks.load_version(version.certification.code, version.label)
    data = builders.fiche_data(loaded)
    assert (data.number, data.title, data.level) == ("MINI", mini_doc["certification"]["title"], 5)
    assert [c.code for c in data.nsf] == mini_doc["certification"]["nsf"]
    assert [(b.code, b.title) for b in data.blocs] == [
        (b["code"], b["title"]) for b in mini_doc["blocs"]
    ]
    assert [b.competencies for b in data.blocs] == [
        [c["statement"] for c in b["competencies"]] for b in mini_doc["blocs"]
    ]
    assert data.blocs[0].modalities[0].startswith(mini_doc["blocs"][0]["modalities"][0]["title"])
    assert {key for key, route in data.jury.items() if route.open} == {"VAE", "FC"}
    assert [(s.year, s.certified, s.certified_vae) for s in data.statistics] == [
        (2025, 2, 1),
        (2026, 1, 1),
    ]
    (parsed,) = parse_fiches(build_fiche(data))
    assert parsed.blocs == data.blocs


def test_fiche_queries_do_not_grow_with_cohorts(
    version: Any, make_cohort: Any, enrol: Any, count_queries: Any
) -> None:
    code, label, version_id = version.certification.code, version.label, version.id
    enrol(make_cohort("Première promotion"))
    with count_queries() as before:
        builders.fiche_data(frameworks.load_version(code, label))
    for n in range(5):
        enrol(make_cohort(f"Promotion {n}", route=list(AccessRoute)[n], on=_version(version_id)))
    with count_queries() as after:
        builders.fiche_data(frameworks.load_version(code, label))
    assert before.count == after.count


def test_fiche_statistics_carry_the_insertion_rates(
    version: Any, make_cohort: Any, enrol: Any, create_user: Any, db_session: Any
) -> None:
    from app.insertion.models import Horizon, Situation, SurveyAnswer
    from app.people.models import Role

    surveyor = create_user(Role.COORDINATOR)
    cohort = make_cohort("Promotion 2025")
    people = [enrol(cohort) for _ in range(4)]
    enrol(make_cohort("Promotion 2026"), certified_on=dt.date(2026, 6, 30))

    def answer(enrolment: Any, horizon: Horizon, situation: Situation) -> None:
        db_session.add(
            SurveyAnswer(
                enrolment=enrolment,
                horizon=horizon,
                situation=situation,
                recorded_by_id=surveyor.id,
            )
        )
        db_session.flush()

    six = Horizon.SIX_MONTHS
    answer(people[0], six, Situation.JOB_SEEKING)
    answer(people[0], six, Situation.TARGET_JOB)  # a correction: the latest counts
    answer(people[1], six, Situation.OTHER_JOB)
    answer(people[2], six, Situation.JOB_SEEKING)
    answer(people[3], six, Situation.STUDYING)  # removed from the rates
    answer(people[0], Horizon.TWO_YEARS, Situation.TARGET_JOB)
    db_session.commit()
    loaded = frameworks.load_version(version.certification.code, version.label)
    stats = builders.fiche_data(loaded).statistics
    assert [
        (s.year, s.certified, s.global_insertion_6m, s.job_insertion_6m, s.job_insertion_2y)
        for s in stats
    ] == [
        (2025, 4, 67, 33, 100),
        (2026, 1, None, None, None),
    ]
    (parsed,) = parse_fiches(build_fiche(builders.fiche_data(loaded)))
    assert parsed.statistics == stats


def test_the_entry_date_is_the_real_one_not_the_day_it_was_typed(
    version: Any, pilot: Pilot
) -> None:
    """dateInscription: the enrolment's own entry date, else its cohort's start date; never
    the day the enrolment was typed into the app (enrolled_at, here today, after the jury)."""
    first = pilot.certified[0]
    first.entered_on = dt.date(2025, 4, 1)
    db.session.commit()
    data = accrochage(version, [c.id for c in pilot.cohorts])
    entered = {p.enrolment_id: p.entered_on for p in data.passages}
    assert entered[first.id] == dt.date(2025, 4, 1)
    assert entered[pilot.certified[1].id] == dt.date(2025, 3, 10)  # the cohort's start
    content, _ = build_accrochage(data)
    assert validation_errors(content) == []
    dates = sorted(e.text or "" for e in etree.fromstring(content).iter(f"{{{NS}}}dateInscription"))
    assert dates == ["2025-03-10", "2025-03-10", "2025-04-01"]


def test_an_entry_after_the_certification_is_left_out_with_the_reason(
    version: Any, pilot: Pilot
) -> None:
    late = pilot.certified[0]
    late.entered_on = dt.date(2026, 1, 5)  # after the jury of 12/12/2025
    db.session.commit()
    _, left_out = build_accrochage(accrochage(version, [c.id for c in pilot.cohorts]))
    reasons = {p.enrolment_id: p.reasons for p in left_out}
    assert any("postérieure à la date de certification" in r for r in reasons[late.id])


def test_first_names_are_separate_elements_and_one_apostrophe_is_sent(
    version: Any, pilot: Pilot
) -> None:
    content, _ = build_accrochage(accrochage(version, [c.id for c in pilot.cohorts]))
    document = etree.fromstring(content)
    people = document.findall(f".//{{{NS}}}titulaire")
    by_name = {p.findtext(f"{{{NS}}}nomNaissance"): p for p in people}
    # Stored as typed with ’ by an older version of the app: sent with the straight one.
    assert "N'Diaye" in by_name and "N’Diaye" not in content.decode()
    da_silva = by_name["Da Silva"]
    assert [da_silva.findtext(f"{{{NS}}}prenom{i}") for i in (1, 2, 3)] == [
        "Jean-Éric",
        "Paul",
        "Marie",
    ]
