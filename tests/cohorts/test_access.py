"""Who sees what: per role on every route, and per object (organisation, assignment, self)."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest

from app.people.models import Role


@pytest.fixture
def world(
    org: Any,
    coordinator: Any,
    create_organisation: Any,
    create_user: Any,
    create_cohort: Any,
    create_learner: Any,
    db_session: Any,
) -> dict[str, Any]:
    """Two organisations, each with a cohort, a trainer and a learner."""
    other_org = create_organisation("Autre organisme")
    trainer = create_user(Role.TRAINER, name="Théo Formateur", organisations=[org])
    other_trainer = create_user(Role.TRAINER, name="Olga Formatrice", organisations=[other_org])
    learner = create_learner("Hélène", "N'Diaye", email="helene@exemple.fr")
    classmate = create_learner("Jean-Éric", "Lefèvre", email="jean-eric@exemple.fr")
    stranger = create_learner("Zoë", "Ørsted", email="zoe@exemple.fr")
    mine = create_cohort(
        org, name="Promotion Lyon", trainers=[trainer], learners=[learner, classmate]
    )
    unassigned = create_cohort(org, name="Promotion Grenoble", learners=[classmate])
    theirs = create_cohort(
        other_org, name="Promotion Lille", trainers=[other_trainer], learners=[stranger]
    )
    return {
        "coordinator": coordinator,
        "other_coordinator": create_user(Role.COORDINATOR, organisations=[other_org]),
        "trainer": trainer,
        "learner": learner,
        "classmate": classmate,
        "stranger": stranger,
        "jury": create_user(Role.JURY),
        "mine": mine,
        "unassigned": unassigned,
        "theirs": theirs,
    }


def page(client: Any, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, unescape(response.get_data(as_text=True))


# Birth data of the learners of the fixtures, as shown on the identity page.
BIRTH_DATA = ("1990-07-14", "14/07/1990", "69123", "Date de naissance", "Lieu de naissance")


def coordinator_only_urls(w: dict[str, Any]) -> list[tuple[str, str]]:
    c, e = w["mine"].id, w["mine"].enrolments[0].id
    return [
        ("GET", "/organisations"),
        ("GET", "/organisations/nouvelle"),
        ("POST", "/organisations/nouvelle"),
        ("GET", "/promotions/nouvelle"),
        ("POST", "/promotions/nouvelle"),
        ("GET", f"/promotions/{c}/modifier"),
        ("POST", f"/promotions/{c}/modifier"),
        ("POST", f"/promotions/{c}/formateurs"),
        ("POST", f"/promotions/{c}/formateurs/{w['trainer'].id}/retirer"),
        ("GET", f"/promotions/{c}/apprenants/nouveau"),
        ("POST", f"/promotions/{c}/apprenants/nouveau"),
        ("POST", f"/promotions/{c}/apprenants/{e}/statut"),
        ("GET", f"/apprenants/{w['learner'].id}/identite"),
        ("POST", f"/apprenants/{w['learner'].id}/identite"),
        ("GET", f"/promotions/{c}/import"),
        ("POST", f"/promotions/{c}/import"),
        ("POST", f"/promotions/{c}/import/confirmer"),
    ]


def test_roles_not_allowed_get_403(client: Any, login: Any, world: dict[str, Any]) -> None:
    urls = coordinator_only_urls(world)
    c = world["mine"].id
    for who in ("trainer", "learner", "jury"):
        login(world[who])
        for method, url in urls:
            assert client.open(url, method=method).status_code == 403, (who, method, url)
    for who in ("learner", "jury"):
        login(world[who])
        assert client.get(f"/promotions/{c}").status_code == 403, who
    for who in ("coordinator", "trainer", "jury"):
        login(world[who])
        assert client.get("/me").status_code == 403, who
    login(world["jury"])
    assert client.get("/promotions").status_code == 403


def test_anonymous_sent_to_login(client: Any, world: dict[str, Any]) -> None:
    urls = [*coordinator_only_urls(world), ("GET", "/promotions"), ("GET", "/me")]
    urls.append(("GET", f"/promotions/{world['mine'].id}"))
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/connexion" in response.location, (method, url)


def test_trainer_sees_only_assigned_cohorts(client: Any, login: Any, world: dict[str, Any]) -> None:
    login(world["trainer"])
    status, html = page(client, "/promotions")
    assert status == 200
    assert "Promotion Lyon" in html
    assert "Promotion Grenoble" not in html and "Promotion Lille" not in html
    assert client.get(f"/promotions/{world['unassigned'].id}").status_code == 404
    assert client.get(f"/promotions/{world['theirs'].id}").status_code == 404
    status, html = page(client, f"/promotions/{world['mine'].id}")
    assert status == 200
    assert "Hélène N'Diaye" in html and "Jean-Éric Lefèvre" in html
    assert "Zoë" not in html


def test_trainers_never_see_identity_data(client: Any, login: Any, world: dict[str, Any]) -> None:
    login(world["trainer"])
    _, html = page(client, f"/promotions/{world['mine'].id}")
    for value in BIRTH_DATA:
        assert value not in html
    assert "/identite" not in html and "Identité" not in html
    for user in ("learner", "classmate", "stranger"):
        assert client.get(f"/apprenants/{world[user].id}/identite").status_code == 403
    # A coordinator of the cohort does see them, on the identity page.
    login(world["coordinator"])
    _, html = page(client, f"/promotions/{world['mine'].id}")
    assert f"/apprenants/{world['learner'].id}/identite" in html
    _, html = page(client, f"/apprenants/{world['learner'].id}/identite")
    assert "1990-07-14" in html and "69123" in html


def test_coordinator_sees_only_own_organisations(
    client: Any, login: Any, world: dict[str, Any]
) -> None:
    login(world["coordinator"])
    _, html = page(client, "/promotions")
    assert "Promotion Lyon" in html and "Promotion Grenoble" in html
    assert "Promotion Lille" not in html
    theirs = world["theirs"]
    for url in (
        f"/promotions/{theirs.id}",
        f"/promotions/{theirs.id}/modifier",
        f"/promotions/{theirs.id}/apprenants/nouveau",
        f"/promotions/{theirs.id}/import",
        f"/apprenants/{world['stranger'].id}/identite",
        f"/apprenants/{world['other_coordinator'].id}/identite",
        "/apprenants/999999/identite",
        "/promotions/999999",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/promotions/{theirs.id}/apprenants/{theirs.enrolments[0].id}/statut",
            data={f"e{theirs.enrolments[0].id}-status": "withdrawn"},
        ).status_code
        == 404
    )
    # The other coordinator cannot reach this organisation's learners either.
    login(world["other_coordinator"])
    assert client.get(f"/apprenants/{world['learner'].id}/identite").status_code == 404
    assert client.get(f"/promotions/{world['mine'].id}").status_code == 404


def test_learner_is_sent_to_their_own_page(client: Any, login: Any, world: dict[str, Any]) -> None:
    login(world["classmate"])
    response = client.get("/promotions")
    assert response.status_code == 302 and response.location == "/me"
    status, html = page(client, "/me")
    assert status == 200
    assert "Promotion Lyon" in html and "Promotion Grenoble" in html
    assert "Certification d'essai" in html and "version v1" in html
    assert "01/09/2025" in html and "inscrit·e" in html
    # Nothing about anybody else: not the other learners, not the trainers.
    for other in ("Hélène", "N'Diaye", "Zoë", "Théo Formateur", "Promotion Lille"):
        assert other not in html
    for cohort in ("mine", "unassigned", "theirs"):
        assert client.get(f"/promotions/{world[cohort].id}").status_code == 403


def test_enrolled_trainer_does_not_see_fellow_learners(
    client: Any,
    login: Any,
    world: dict[str, Any],
    create_user: Any,
    create_cohort: Any,
    org: Any,
) -> None:
    both = create_user(Role.TRAINER, Role.LEARNER, name="Double Casquette", organisations=[org])
    taught = create_cohort(org, name="Promotion Annecy", trainers=[both])
    enrolled = create_cohort(org, name="Promotion Valence", learners=[both, world["learner"]])
    login(both)
    _, html = page(client, "/promotions")
    assert "Promotion Annecy" in html and "Promotion Valence" not in html
    assert client.get(f"/promotions/{taught.id}").status_code == 200
    assert client.get(f"/promotions/{enrolled.id}").status_code == 404
    _, html = page(client, "/me")
    assert "Promotion Valence" in html and "Hélène" not in html


def test_coordinator_who_trains_elsewhere_cannot_manage_there(
    client: Any, login: Any, world: dict[str, Any], db_session: Any
) -> None:
    coordinator = world["coordinator"]
    coordinator.role_rows.append(type(coordinator.role_rows[0])(role=Role.TRAINER))
    world["theirs"].trainers.append(coordinator)
    db_session.commit()
    login(coordinator)
    status, html = page(client, f"/promotions/{world['theirs'].id}")
    assert status == 200 and "Zoë Ørsted" in html
    assert "/identite" not in html and "69123" not in html
    assert client.get(f"/promotions/{world['theirs'].id}/modifier").status_code == 403
    assert client.get(f"/apprenants/{world['stranger'].id}/identite").status_code == 404


def test_forms_need_the_csrf_token(
    app: Any, client: Any, login: Any, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(world["coordinator"])
    c = world["mine"]
    for url in (
        "/promotions/nouvelle",
        f"/promotions/{c.id}/formateurs/{world['trainer'].id}/retirer",
        f"/promotions/{c.id}/import/confirmer",
    ):
        assert client.post(url, data={}).status_code == 400, url
    assert [t.id for t in c.trainers] == [world["trainer"].id]
    html = client.get(f"/promotions/{c.id}").get_data(as_text=True)
    assert 'name="csrf_token"' in html
