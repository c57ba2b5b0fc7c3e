"""Each role's home ("Mon espace"): what it lists, whose it is, and its fixed query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.assessment.models import Result, ResultHead
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from app.names import name_key
from app.people.models import Organisation, OrganisationKind
from tests.factories import new_cohort


def make_cohort(db_session: Any, org: Any, version: Any, name: str, trainers: list[Any]) -> Cohort:
    cohort = new_cohort(db_session, org, version, name, trainers)
    db_session.commit()
    return cohort


def enrol(db_session: Any, create_user: Any, cohort: Cohort, n: int, **kw: Any) -> list[Enrolment]:
    people = [create_user("learner") for _ in range(n)]
    made = [Enrolment(cohort=cohort, learner=person, **kw) for person in people]
    db_session.add_all(made)
    db_session.commit()
    return made


def record(
    db_session: Any,
    enrolment: Enrolment,
    criterion: Any,
    level: Any,
    who: Any,
    *,
    disagreement: bool = False,
) -> None:
    result = Result(enrolment=enrolment, criterion=criterion, level=level, assessor=who)
    db_session.add(result)
    db_session.flush()
    db_session.add(
        ResultHead(
            enrolment_id=enrolment.id,
            criterion_id=criterion.id,
            result_id=result.id,
            level_id=level.id if level else None,
            disagreement=disagreement,
        )
    )
    db_session.commit()


@pytest.fixture
def setting(
    db_session: Any, create_user: Any, create_version: Any, two_blocs_doc: Any, organisation: Any
) -> dict[str, Any]:
    version = create_version(two_blocs_doc, publish=True)
    trainer = create_user("trainer", name="Sophie Renard", organisations=[organisation])
    cohort = make_cohort(db_session, organisation, version, "Promo 1", [trainer])
    learners = enrol(db_session, create_user, cohort, 3)
    enrol(db_session, create_user, cohort, 1, status=EnrolmentStatus.WITHDRAWN)
    bloc1 = version.blocs[0]
    criteria1 = [k for c in bloc1.competencies for k in c.criteria]
    level = version.scale_levels[-1]
    record(db_session, learners[0], criteria1[0], level, trainer)
    record(db_session, learners[1], criteria1[0], level, trainer, disagreement=True)
    record(db_session, learners[2], criteria1[0], None, trainer)  # cleared: not filled
    return {
        "version": version,
        "trainer": trainer,
        "cohort": cohort,
        "criteria1": criteria1,
        "learners": learners,
    }


def test_login_lands_on_the_home(client: Any, setting: dict[str, Any]) -> None:
    response = client.post(
        "/connexion",
        data={"email": setting["trainer"].email, "password": "motdepasse-solide-42"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/mon-espace")


def test_trainer_home_lists_each_bloc_with_its_completion(
    client: Any, login: Any, setting: dict[str, Any]
) -> None:
    login(setting["trainer"])
    page = client.get("/mon-espace").get_data(as_text=True)
    cohort = setting["cohort"]
    bloc1, bloc2 = setting["version"].blocs
    assert f'href="/promotions/{cohort.id}/grille/{bloc1.code}"' in page
    assert f'href="/promotions/{cohort.id}/grille/{bloc2.code}"' in page
    cells1 = 3 * len(setting["criteria1"])  # the withdrawn learner is not in the grid
    assert f"2 / {cells1} cellules remplies" in page
    assert "1 désaccord" in page
    assert 'role="region"' in page and 'tabindex="0"' in page


def test_a_learner_goes_to_their_record(client: Any, login: Any, setting: dict[str, Any]) -> None:
    login(setting["learners"][0].learner)
    response = client.get("/mon-espace")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me")


def test_homes_show_only_what_is_theirs(
    client: Any,
    login: Any,
    db_session: Any,
    create_user: Any,
    setting: dict[str, Any],
    organisation: Any,
) -> None:
    other_org = Organisation(name="Autre organisme", kind=OrganisationKind.TRAINING)
    db_session.add(other_org)
    db_session.commit()
    other_trainer = create_user("trainer", organisations=[other_org])
    make_cohort(db_session, other_org, setting["version"], "Promo ailleurs", [other_trainer])
    coordinator = create_user("coordinator", organisations=[organisation])
    login(coordinator)
    page = client.get("/mon-espace").get_data(as_text=True)
    assert "Promo 1" in page and "Promo ailleurs" not in page
    login(setting["trainer"])
    page = client.get("/mon-espace").get_data(as_text=True)
    assert "Promo 1" in page and "Promo ailleurs" not in page


def test_coordinator_home_lists_sessions_and_unfinished_exports(
    client: Any,
    login: Any,
    db_session: Any,
    create_user: Any,
    setting: dict[str, Any],
    organisation: Any,
) -> None:
    coordinator = create_user("coordinator", organisations=[organisation])
    version = setting["version"]
    session = JurySession(
        organisation=organisation, version=version, session_date=dt.date(2026, 12, 20)
    )
    presentation = JuryPresentation(jury_session=session, enrolment=setting["learners"][0])
    db_session.add_all([session, presentation])
    db_session.flush()
    db_session.add(
        BlocDecision(
            presentation=presentation,
            bloc=version.blocs[0],
            decision=Decision.VALIDATED,
            proposed_validation=True,
            decided_by=coordinator,
        )
    )
    failed = ExportRecord(
        kind=ExportKind.FICHE,
        filename="fiche-echec.xml",
        status=ExportStatus.FAILED,
        error="identifiant manquant",
        created_by=coordinator,
        parameters={},
    )
    db_session.add(failed)
    db_session.commit()
    login(coordinator)
    page = client.get("/mon-espace").get_data(as_text=True)
    assert "Jury du 20/12/2026" in page
    assert "1 décision à prendre" in page  # 1 learner × 2 blocs, 1 decided
    assert "fiche-echec.xml" in page and "identifiant manquant" in page
    # A training organisation's coordinator files no dossier: no readiness section
    # (tests/dossier/test_readiness.py shows it to the certifier's).
    assert "Ce qui manque au dossier" not in page


def test_jury_member_home_says_what_is_left_to_decide(
    client: Any, login: Any, db_session: Any, create_user: Any, setting: dict[str, Any]
) -> None:
    member = create_user("jury")
    session = JurySession(
        version=setting["version"], session_date=dt.date(2026, 12, 20), members=[member]
    )
    db_session.add(session)
    db_session.add_all(
        [JuryPresentation(jury_session=session, enrolment=e) for e in setting["learners"]]
    )
    db_session.commit()
    login(member)
    page = client.get("/mon-espace").get_data(as_text=True)
    assert f'href="/jurys/{session.id}"' in page
    assert "6 décisions à prendre" in page


@pytest.mark.parametrize("role", ["trainer", "coordinator", "jury"])
def test_home_reads_a_fixed_number_of_queries(
    role: str,
    client: Any,
    login: Any,
    db_session: Any,
    create_user: Any,
    create_version: Any,
    two_blocs_doc: Any,
    organisation: Any,
    count_queries: Any,
) -> None:
    version = create_version(two_blocs_doc, publish=True)
    person = create_user(role, organisations=[organisation])
    jury_user = person if role == "jury" else create_user("jury")
    counts = []
    for n in (1, 4):
        for i in range(n):
            cohort = make_cohort(
                db_session,
                organisation,
                version,
                f"Promo {n}-{i}",
                [person] if role == "trainer" else [],
            )
            learners = enrol(db_session, create_user, cohort, 2)
            session = JurySession(
                version=version, session_date=dt.date(2026, 12, 1 + i), members=[jury_user]
            )
            db_session.add(session)
            db_session.add(JuryPresentation(jury_session=session, enrolment=learners[0]))
            db_session.add(
                ExportRecord(
                    kind=ExportKind.FICHE,
                    filename=f"f{n}{i}.xml",
                    status=ExportStatus.PENDING,
                    created_by=person,
                    parameters={},
                )
            )
            db_session.commit()
        login(person)
        client.get("/mon-espace")  # warm
        with count_queries() as counter:
            assert client.get("/mon-espace").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    print(f"home queries as {role}: {counts[0]}")


def test_french_order_of_names() -> None:
    names = ["Lucas", "hugo", "Léo", "Hélène", "Émile", "Zoé", "Eric"]
    assert sorted(names, key=name_key) == ["Émile", "Eric", "Hélène", "hugo", "Léo", "Lucas", "Zoé"]


def test_cohort_page_is_the_hub_of_the_cohort(
    client: Any, login: Any, create_user: Any, setting: dict[str, Any], organisation: Any
) -> None:
    cohort = setting["cohort"]
    coordinator = create_user("coordinator", organisations=[organisation])
    login(coordinator)
    page = client.get(f"/promotions/{cohort.id}").get_data(as_text=True)
    for bloc in setting["version"].blocs:
        assert f'href="/promotions/{cohort.id}/grille/{bloc.code}"' in page
    for href in (
        f"/promotions/{cohort.id}/evaluations",
        f"/analyse/promotions/{cohort.id}",
        f"/insertion/promotions/{cohort.id}",
        f"/promotions/{cohort.id}/resultats?format=xlsx",
        f"/promotions/{cohort.id}/apprenants/{setting['learners'][0].id}",
    ):
        assert f'href="{href}"' in page, href
    assert 'aria-label="Fil d’Ariane"' in page


def test_staff_read_a_learners_record(
    client: Any, login: Any, create_user: Any, db_session: Any, setting: dict[str, Any]
) -> None:
    cohort, learner = setting["cohort"], setting["learners"][0]
    login(setting["trainer"])
    response = client.get(f"/promotions/{cohort.id}/apprenants/{learner.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert learner.learner.full_name in page
    first = setting["version"].blocs[0].competencies[0]
    assert f"1 / {len(first.criteria)}" in page  # one criterion acquired in the first bloc
    assert f'href="/inscriptions/{learner.id}/preuves"' in page
    # Another trainer does not see it.
    login(create_user("trainer"))
    assert client.get(f"/promotions/{cohort.id}/apprenants/{learner.id}").status_code == 404
