"""Cohorts: opening on a published version, editing with concurrent-edit detection, trainers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cohorts.models import AccessRoute, Cohort
from app.people.models import AuditEvent, Role
from tests.factories import count_rows, doc_variant


def cohort_form(org: Any, version: Any, **values: Any) -> dict[str, Any]:
    data = {
        "name": "Promotion 2025 — Lyon",
        "organisation_id": org.id,
        "version_id": version.id,
        "start_date": "2025-09-01",
        "end_date": "2026-06-30",
        "access_route": "formation_continue",
    }
    data.update(values)
    return data


def test_create_cohort(
    client: Any, login: Any, coordinator: Any, org: Any, version: Any, db_session: Any
) -> None:
    login(coordinator)
    page = client.get("/promotions/nouvelle").get_data(as_text=True)
    assert "formation initiale" in page and "contrat de professionnalisation" in page
    assert "candidature individuelle" in page and "VAE" in page and "apprentissage" in page
    response = client.post("/promotions/nouvelle", data=cohort_form(org, version))
    cohort = db_session.scalar(sa.select(Cohort))
    assert response.status_code == 302 and response.location == f"/promotions/{cohort.id}"
    assert cohort.name == "Promotion 2025 — Lyon" and cohort.version_id == version.id
    assert cohort.access_route is AccessRoute.CONTINUING_TRAINING and cohort.revision == 1
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "cohort.create"))
    assert event.object_id == cohort.id
    html = client.get(f"/promotions/{cohort.id}").get_data(as_text=True)
    assert "Promotion 2025 — Lyon" in html and "formation continue" in html
    assert "01/09/2025" in html and "30/06/2026" in html


def test_end_before_start_refused(
    client: Any, login: Any, coordinator: Any, org: Any, version: Any, db_session: Any
) -> None:
    login(coordinator)
    data = cohort_form(org, version, start_date="2026-01-10", end_date="2026-01-09")
    html = client.post("/promotions/nouvelle", data=data).get_data(as_text=True)
    assert "La date de fin doit suivre la date de début." in html
    assert 'value="2026-01-09"' in html  # the typed input is kept
    bad_date = cohort_form(org, version, start_date="pas une date")
    assert "date" in client.post("/promotions/nouvelle", data=bad_date).get_data(as_text=True)
    assert count_rows(db_session, Cohort) == 0


def test_draft_version_refused(
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    version: Any,
    create_version: Any,
    mini_doc: dict[str, Any],
    db_session: Any,
) -> None:
    doc = doc_variant(mini_doc, label="v2")
    draft = create_version(doc)
    login(coordinator)
    page = client.get("/promotions/nouvelle").get_data(as_text=True)
    assert f'value="{version.id}"' in page and f'value="{draft.id}"' not in page
    html = client.post("/promotions/nouvelle", data=cohort_form(org, draft)).get_data(as_text=True)
    assert "Choisissez une version publiée du référentiel" in html
    html = client.post(
        "/promotions/nouvelle", data=cohort_form(org, draft, version_id="9999")
    ).get_data(as_text=True)
    assert "Choisissez une version publiée du référentiel" in html
    assert count_rows(db_session, Cohort) == 0


def test_organisation_must_be_one_of_mine(
    client: Any,
    login: Any,
    coordinator: Any,
    version: Any,
    create_organisation: Any,
    db_session: Any,
) -> None:
    other = create_organisation("Autre organisme")
    login(coordinator)
    assert "Autre organisme" not in client.get("/promotions/nouvelle").get_data(as_text=True)
    html = client.post("/promotions/nouvelle", data=cohort_form(other, version)).get_data(
        as_text=True
    )
    assert "Choisissez l&#39;un de vos organismes." in html.replace("'", "&#39;")
    assert count_rows(db_session, Cohort) == 0


def test_duplicate_name_in_organisation_refused(
    client: Any, login: Any, coordinator: Any, org: Any, version: Any, create_cohort: Any
) -> None:
    create_cohort(org, name="Promotion 1")
    login(coordinator)
    response = client.post(
        "/promotions/nouvelle", data=cohort_form(org, version, name="Promotion 1")
    )
    assert response.status_code == 200
    assert "déjà une promotion de ce nom" in response.get_data(as_text=True)


def test_html_in_names_is_shown_escaped(
    client: Any, login: Any, coordinator: Any, org: Any, create_cohort: Any, create_user: Any
) -> None:
    learner = create_user(Role.LEARNER, name="<img src=x onerror=alert(1)>")
    cohort = create_cohort(org, name="<script>alert('promo')</script>", learners=[learner])
    login(coordinator)
    for url in (f"/promotions/{cohort.id}", "/promotions", f"/promotions/{cohort.id}/modifier"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def edit_form(cohort: Any, **values: Any) -> dict[str, Any]:
    data = {
        "name": cohort.name,
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "access_route": cohort.access_route.value,
        "revision": cohort.revision,
    }
    data.update(values)
    return data


def test_edit_cohort(
    client: Any, login: Any, coordinator: Any, org: Any, create_cohort: Any, db_session: Any
) -> None:
    cohort = create_cohort(org)
    login(coordinator)
    page = client.get(f"/promotions/{cohort.id}/modifier").get_data(as_text=True)
    assert 'name="revision" type="hidden" value="1"' in page
    response = client.post(
        f"/promotions/{cohort.id}/modifier",
        data=edit_form(cohort, name="Promotion d'automne", access_route="vae"),
    )
    assert response.status_code == 302
    db_session.refresh(cohort)
    assert cohort.name == "Promotion d'automne" and cohort.access_route is AccessRoute.VAE
    assert cohort.revision == 2
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "cohort.edit"))
    assert event.details["changed"] == {"name": "Promotion d'automne", "access_route": "vae"}


def test_stale_edit_refused_and_nothing_applied(
    client: Any, login: Any, coordinator: Any, org: Any, create_cohort: Any, db_session: Any
) -> None:
    cohort = create_cohort(org, name="Promotion A")
    login(coordinator)
    # Two people load the form at revision 1; the first saves.
    first = edit_form(cohort, name="Promotion B")
    second = edit_form(cohort, name="Promotion C", end_date="2026-12-31")
    assert client.post(f"/promotions/{cohort.id}/modifier", data=first).status_code == 302
    response = client.post(f"/promotions/{cohort.id}/modifier", data=second)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Quelqu&#39;un d&#39;autre a modifié ces informations" in html
    db_session.refresh(cohort)
    assert cohort.name == "Promotion B" and cohort.end_date.isoformat() == "2026-06-30"
    assert cohort.revision == 2
    edits = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "cohort.edit"))
    assert len(edits.all()) == 1


def test_edit_dates_order(
    client: Any, login: Any, coordinator: Any, org: Any, create_cohort: Any, db_session: Any
) -> None:
    cohort = create_cohort(org)
    login(coordinator)
    html = client.post(
        f"/promotions/{cohort.id}/modifier", data=edit_form(cohort, end_date="2025-01-01")
    ).get_data(as_text=True)
    assert "La date de fin doit suivre la date de début." in html
    db_session.refresh(cohort)
    assert cohort.revision == 1


# --- trainers ----------------------------------------------------------------------------------


def test_assign_and_unassign_trainer(
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    create_cohort: Any,
    create_user: Any,
    create_organisation: Any,
    db_session: Any,
) -> None:
    trainer = create_user(Role.TRAINER, name="Théo Formateur", organisations=[org])
    outsider = create_user(Role.TRAINER, organisations=[create_organisation()])
    not_trainer = create_user(Role.LEARNER, organisations=[org])
    invited = create_user(Role.TRAINER, name="Iris Invitée", organisations=[org])
    invited.active, invited.password_hash = False, None
    disabled = create_user(Role.TRAINER, name="Denis Désactivé", organisations=[org])
    disabled.active = False
    db_session.commit()
    cohort = create_cohort(org)
    login(coordinator)
    page = client.get(f"/promotions/{cohort.id}").get_data(as_text=True)
    assert "Théo Formateur" in page and outsider.full_name not in page
    assert "Iris Invitée" in page and "Denis Désactivé" not in page
    for refused in (outsider, not_trainer):
        client.post(f"/promotions/{cohort.id}/formateurs", data={"user_id": refused.id})
    db_session.refresh(cohort)
    assert cohort.trainers == []
    client.post(f"/promotions/{cohort.id}/formateurs", data={"user_id": trainer.id})
    db_session.refresh(cohort)
    assert cohort.trainers == [trainer]
    assert db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "cohort.assign_trainer")
    )
    # Now the trainer sees the cohort.
    client.post(f"/promotions/{cohort.id}/formateurs/{trainer.id}/retirer")
    db_session.refresh(cohort)
    assert cohort.trainers == []
    assert (
        client.post(f"/promotions/{cohort.id}/formateurs/{outsider.id}/retirer").status_code == 404
    )


def test_trainers_cannot_assign(
    client: Any, login: Any, org: Any, create_cohort: Any, create_user: Any
) -> None:
    trainer = create_user(Role.TRAINER, organisations=[org])
    cohort = create_cohort(org, trainers=[trainer])
    login(trainer)
    assert (
        client.post(f"/promotions/{cohort.id}/formateurs", data={"user_id": trainer.id}).status_code
        == 403
    )
    assert (
        client.post(f"/promotions/{cohort.id}/formateurs/{trainer.id}/retirer").status_code == 403
    )
    assert client.get(f"/promotions/{cohort.id}/modifier").status_code == 403


# --- the cohort page's queries -----------------------------------------------------------------


def test_cohort_page_queries_do_not_grow_with_learners(
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    create_cohort: Any,
    create_learner: Any,
    create_user: Any,
    count_queries: Any,
) -> None:
    trainers = [create_user(Role.TRAINER, organisations=[org]) for _ in range(3)]
    small = create_cohort(
        org,
        trainers=trainers[:1],
        learners=[create_learner(email=f"a{i}@exemple.fr") for i in range(3)],
    )
    big = create_cohort(
        org,
        trainers=trainers,
        learners=[create_learner(email=f"b{i}@exemple.fr") for i in range(30)],
    )
    # count_queries() ends the test's session: keep plain values only.
    urls = [f"/promotions/{small.id}", f"/promotions/{big.id}"]
    # The person and their roles and organisations (3), the cohort, its enrolments with their
    # learners, its trainers (3); the hub: blocs' completion (4) and evaluation sessions (1);
    # for coordinators also its jury sessions, the trainers to choose and identities.
    expected = {coordinator.get_id(): 14, trainers[0].get_id(): 11}
    for session_id, queries in expected.items():
        with client.session_transaction() as session:
            session["_user_id"] = session_id
        counts = []
        for url in urls:
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(counter.count)
        assert counts == [queries, queries]
