"""The readiness check's links lead where each thing is filled: the form and its field, the
draft of a frozen version, a plain explanation where no page of the app does it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from lxml import html as lxml_html

from app.db import db
from app.dossier.readiness import Readiness, check
from app.frameworks import services as frameworks
from app.frameworks.models import FrameworkVersion
from app.people.models import Organisation, OrganisationKind, User
from tests.dossier.test_readiness import TODAY, complete_doc


def _check(version: Any) -> Readiness:
    return check(frameworks.load_version(version.certification.code, version.label), today=TODAY)


def _gap(result: Readiness, key: str, starts: str) -> Any:
    (gap,) = [g for c in result.criteria if c.key == key for g in c.gaps if starts in g.message]
    return gap


@pytest.fixture
def broken_draft(create_version: Any, mini_doc: dict[str, Any]) -> Any:
    """The small référentiel, complete but for BC01's rule and C1.1.b's modality, as a draft."""
    doc = complete_doc(mini_doc)
    doc["blocs"][0]["validation_rule"] = ""
    doc["blocs"][0]["competencies"][0]["criteria"][1]["modalities"] = []
    return create_version(doc)


def test_a_draft_links_to_the_form_and_field_of_each_item(app: Any, broken_draft: Any) -> None:
    with app.test_request_context():
        result = _check(broken_draft)
    bloc = broken_draft.blocs[0]
    criterion = bloc.competencies[0].criteria[1]
    rule = _gap(result, "7", "ne dit pas comment il est validé")
    assert rule.url == f"/edition/{broken_draft.id}/bloc/{bloc.id}#validation_rule"
    uncovered = _gap(result, "7", "Bloc BC01 : le critère")
    assert criterion.code in uncovered.message
    assert uncovered.url == f"/edition/{broken_draft.id}/critere/{criterion.id}#modality_ids"


def test_a_published_version_links_to_its_certifications_draft(
    app: Any, create_version: Any, mini_doc: dict[str, Any]
) -> None:
    doc = complete_doc(mini_doc)
    doc["blocs"][0]["validation_rule"] = ""
    doc["certification"]["certifier"].pop("siret")
    published = create_version(doc, publish=True)
    with app.test_request_context():
        alone = _check(published)
    # No draft yet: what a frozen version lacks goes into a copy.
    assert _gap(alone, "7", "ne dit pas").url == f"/edition/{published.id}/copier"
    assert alone.draft_label is None
    doc["version"]["label"] = "v2"
    draft = create_version(doc)
    with app.test_request_context():
        result = _check(published)
    assert result.draft_label == "v2"
    draft_bloc = draft.blocs[0]  # the same bloc, found by its code
    assert _gap(result, "7", "ne dit pas").url == (
        f"/edition/{draft.id}/bloc/{draft_bloc.id}#validation_rule"
    )
    # The certifier's SIRET is the organisation's when the version names none: its settings.
    assert _gap(result, "identity", "Le SIRET").url == "/parametres#siret"


def test_without_the_register_criterion_8_says_how_to_load_it(app: Any, version: Any) -> None:
    with app.test_request_context():
        result = _check(version)
    (gap,) = [g for c in result.criteria if c.key == "8" for g in c.gaps]
    assert gap.url == "/dossier/MINI/textes#correspondences"  # why there is none, meanwhile
    assert "flask --app app rncp import" in gap.hint
    three = _gap(result, "3", "Le répertoire national n'est pas chargé")
    assert three.url == "/registre/import" and three.hint


# --- every link of the demo's checks, followed as its coordinator --------------------------------


def _certifier_coordinator(accounts: list[dict[str, Any]]) -> User:
    certifiers = set(
        db.session.scalars(
            sa.select(Organisation.name).where(Organisation.kind == OrganisationKind.CERTIFIER)
        )
    )
    email = next(
        a["email"]
        for a in accounts
        if a["role"] == "coordinator" and certifiers & set(a["organisations"])
    )
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None
    return user


def test_every_link_of_the_demos_checks_leads_to_its_page_and_field(
    runner: Any, client: Any, login: Any
) -> None:
    result = runner.invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    login(_certifier_coordinator(json.loads(result.output)))
    index = lxml_html.document_fromstring(client.get("/dossier/").get_data(as_text=True))
    checks = [a.get("href") for a in index.xpath("//a[contains(@href, '/verification')]")]
    versions = db.session.scalars(sa.select(FrameworkVersion)).all()
    assert len(checks) == len(versions) == 4
    pages: dict[str, Any] = {}
    followed = 0
    for url in checks:
        response = client.get(url)
        assert response.status_code == 200, url
        page = lxml_html.document_fromstring(response.get_data(as_text=True))
        links = [*page.xpath("//ul[@class='gaps']//a"), *page.xpath("//p[@class='notice']//a")]
        assert links, url
        for link in links:
            href = link.get("href")
            parts = urlsplit(href)
            if parts.path not in pages:
                target = client.get(parts.path)
                assert target.status_code == 200, (url, link.text_content(), href)
                pages[parts.path] = lxml_html.document_fromstring(target.get_data(as_text=True))
            if parts.fragment:  # the field where it is filled is on that page
                found = pages[parts.path].xpath(f"//*[@id='{parts.fragment}']")
                assert found, (url, link.text_content(), href)
            followed += 1
    assert followed > 20


def test_the_page_shows_the_plain_hint_without_a_link(
    client: Any, login: Any, create_user: Any, version: Any, db_session: Any
) -> None:
    certifier = Organisation(name="Certificateur", kind=OrganisationKind.CERTIFIER)
    db_session.add(certifier)
    version.certification.organisation = certifier
    db_session.commit()
    login(create_user("coordinator", organisations=[certifier]))
    page = client.get("/dossier/MINI/v1/verification").get_data(as_text=True)
    assert "rncp import FICHIER" in page
    assert page.count('href="/registre/correspondances/MINI/v1"') == 0
