"""The coordinator's page of the dossier's texts: saved with an audit event, refused when
stale or incomplete, for coordinators only; the fiche takes the jury compositions."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.cohorts.models import AccessRoute
from app.db import db
from app.dossier.models import DossierText
from app.exports_history import builders
from app.frameworks import services as frameworks
from app.people.models import AuditEvent, Role

URL = "/dossier/MINI/textes"


def form(revision: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "revision": revision,
        "context_and_opportunity": "Les coopérations se multiplient : des métiers à reconnaître.",
        "vae_access": "Recevabilité examinée par le certificateur.",
        "open_formation_continue": "y",
        "jury_formation_continue": "Trois membres, dont deux professionnel·les extérieur·es.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def saved() -> DossierText | None:
    return db.session.scalar(sa.select(DossierText))


@pytest.fixture
def logged_in(client: Any, login: Any, coordinator: Any, db_session: Any) -> Any:
    """The coordinator, also a member of the certifier: the dossier texts are the
    certifier's to write (issue #11); a legacy certification is every certifier's."""
    from app.people.models import Organisation, OrganisationKind

    certifier = Organisation(name="Le Labo", kind=OrganisationKind.CERTIFIER)
    db_session.add(certifier)
    coordinator.organisations.append(certifier)
    db_session.commit()
    login(coordinator)
    return coordinator


def test_first_save_then_edit(client: Any, logged_in: Any, version: Any) -> None:
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="revision" type="hidden" value="0"' in html
    assert "Formation continue" in html or "formation continue" in html

    response = client.post(URL, data=form(0))
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    texts = saved()
    assert texts is not None and texts.revision == 1
    assert texts.context_and_opportunity.startswith("Les coopérations se multiplient")
    fc = texts.jury_text(AccessRoute.CONTINUING_TRAINING)
    assert fc is not None and fc.open and fc.composition.startswith("Trois membres")
    assert texts.jury_text(AccessRoute.VAE) is None
    assert texts.updated_by_id == logged_in.id

    response = client.post(URL, data=form(1, vae_access="Jury VAE\r\n\r\nDeux paragraphes.  "))
    assert response.status_code == 302
    db.session.expire_all()
    texts = saved()
    assert texts is not None and texts.revision == 2
    assert texts.vae_access == "Jury VAE\n\nDeux paragraphes."
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dossier.texts_edit")
    ).all()
    assert len(events) == 2
    assert events[1].actor_id == logged_in.id
    assert events[1].details["changed"] == ["vae_access"]
    assert events[1].details["certification"] == "MINI"


def test_a_stale_form_is_refused_and_the_typed_text_kept(
    client: Any, logged_in: Any, version: Any
) -> None:
    client.post(URL, data=form(0))
    client.post(URL, data=form(1, context_and_opportunity="Version de la collègue"))
    response = client.post(URL, data=form(1, context_and_opportunity="Ma version tardive"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Quelqu&#39;un d&#39;autre a modifié les textes du dossier" in html
    assert "Ma version tardive" in html
    db.session.expire_all()
    texts = saved()
    assert texts is not None and texts.revision == 2
    assert texts.context_and_opportunity == "Version de la collègue"


def test_a_second_first_save_is_stale(client: Any, logged_in: Any, version: Any) -> None:
    client.post(URL, data=form(0))
    response = client.post(URL, data=form(0, context_and_opportunity="Écrit en même temps"))
    assert response.status_code == 200
    assert "rien n&#39;a été enregistré" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(DossierText.id))) == 1


def test_an_open_route_needs_its_jury(client: Any, logged_in: Any, version: Any) -> None:
    response = client.post(URL, data=form(0, jury_formation_continue="   "))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="jury_formation_continue-errors"' in html
    assert "Décrivez la composition du jury de cette voie d" in html and "ou décochez-la." in html
    assert saved() is None


def test_too_long_a_text_is_refused(client: Any, logged_in: Any, version: Any) -> None:
    response = client.post(URL, data=form(0, context_and_opportunity="x" * 20_001))
    assert response.status_code == 200
    assert 'id="context_and_opportunity-errors"' in response.get_data(as_text=True)
    assert saved() is None


def test_text_is_shown_escaped(client: Any, logged_in: Any, version: Any) -> None:
    client.post(URL, data=form(0, vae_access="<script>alert(1)</script> l'accès"))
    html = client.get(URL).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_unknown_certification(client: Any, logged_in: Any, version: Any) -> None:
    assert client.get("/dossier/INCONNUE/textes").status_code == 404


@pytest.mark.parametrize("role", [Role.TRAINER, Role.LEARNER, Role.JURY])
def test_coordinators_only(
    client: Any, login: Any, create_user: Any, version: Any, role: Role
) -> None:
    login(create_user(role))
    for url in (URL, "/dossier/", "/exports/dossier"):
        assert client.get(url).status_code == 403
    assert client.post(URL, data=form(0)).status_code == 403
    assert saved() is None


def test_anonymous_visitors_are_sent_to_log_in(client: Any, version: Any) -> None:
    for url in (URL, "/dossier/", "/exports/dossier"):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_the_index_lists_certifications(client: Any, logged_in: Any, version: Any) -> None:
    html = client.get("/dossier/").get_data(as_text=True)
    assert "Certification d&#39;essai" in html and URL in html
    assert "pas encore rédigés" in html


def test_the_fiche_takes_the_jury_texts(client: Any, logged_in: Any, version: Any) -> None:
    client.post(
        URL,
        data=form(0, open_vae="y", jury_vae="Deux professionnel·les et le certificateur."),
    )
    data = builders.fiche_data(frameworks.load_version("MINI", "v1"))
    assert data.jury["FC"].open and data.jury["FC"].composition.startswith("Trois membres")
    assert data.jury["VAE"].open
    assert data.jury["VAE"].composition == "Deux professionnel·les et le certificateur."
    assert not data.jury["CA"].open and data.jury["CA"].composition == ""


def test_the_demo_comes_with_texts_for_both_certifications(runner: Any, db_session: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    texts = db_session.scalars(sa.select(DossierText)).all()
    assert sorted(t.certification.code for t in texts) == ["CTA", "CTD"]
    for written in texts:
        assert written.context_and_opportunity and written.vae_access
        vae = written.jury_text(AccessRoute.VAE)
        assert vae is not None and vae.open and vae.composition
