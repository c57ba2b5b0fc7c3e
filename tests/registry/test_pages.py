"""The register's pages: search, a fiche, a version's copy check; who reaches them."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_a_trainer_searches_the_register_and_opens_a_fiche(
    client: Any, login: Any, create_user: Any, load_register: Any, register_a: Path
) -> None:
    load_register(register_a)
    login(create_user("trainer"))
    # Trainers reach it from the référentiels, coordinators from their "Certification" menu.
    assert 'href="/registre/"' in client.get("/").get_data(as_text=True)
    page = client.get("/registre/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "3 fiches chargées" in text and "dont 2 actives" in text

    found = client.get("/registre/?q=coop%C3%A9rations+territoire").get_data(as_text=True)
    assert "1 fiche trouvée" in found
    assert 'href="/registre/fiches/RNCP34001"' in found

    fiche = client.get("/registre/fiches/RNCP34001").get_data(as_text=True)
    assert "Chargé de développement territorial" in fiche
    assert "RNCP34001BC02" in fiche and "Mise en situation professionnelle" in fiche
    assert "K1802" in fiche and "Développement local" in fiche
    assert client.get("/registre/fiches/RNCP99999").status_code == 404


def test_a_bad_code_is_refused_by_the_form(client: Any, login: Any, create_user: Any) -> None:
    login(create_user("coordinator"))
    page = client.get("/registre/?rome=12345").get_data(as_text=True)
    assert "Un code ROME : une lettre et 4 chiffres" in page
    assert "fiches trouvées" not in page and "fiche trouvée" not in page


def test_the_copy_check_shows_the_copy_beside_its_source(
    client: Any,
    login: Any,
    certifier_coordinator: Any,
    create_version: Any,
    mini_doc: dict[str, Any],
    load_register: Any,
    register_a: Path,
) -> None:
    load_register(register_a)
    competency = mini_doc["blocs"][0]["competencies"][0]
    competency["statement"] = (
        "Formaliser les engagements réciproques des partenaires dans une charte de "
        "coopération signée par tous"
    )
    version = create_version(mini_doc)
    login(certifier_coordinator)
    index = client.get("/registre/").get_data(as_text=True)
    url = f"/registre/verification/{version.certification.code}/{version.label}"
    assert f'href="{url}"' in index
    page = client.get(url).get_data(as_text=True)
    assert "1 énoncé reprend presque mot pour mot une fiche existante" in page
    assert "quand 70 % de ses mots" in page
    assert competency["code"] in page and "RNCP34001" in page
    assert "<mark>engagements</mark>" in page and "<mark>réciproques</mark>" in page
    assert "charte" in page and "<mark>charte</mark>" not in page


def test_learners_and_jury_members_do_not_reach_the_register(
    client: Any, login: Any, create_user: Any
) -> None:
    login(create_user("learner"))
    assert client.get("/registre/").status_code == 403


def test_the_editor_warns_when_a_saved_statement_copies_the_register(
    client: Any,
    login: Any,
    create_user: Any,
    create_version: Any,
    load_register: Any,
    register_a: Path,
    certifier_coordinator: Any,
) -> None:
    load_register(register_a)
    draft = create_version()
    competency = draft.blocs[0].competencies[0]
    login(certifier_coordinator)  # only the certifier edits référentiels (issue #11)
    edit = client.get(f"/edition/{draft.id}").get_data(as_text=True)
    assert f'href="/registre/verification/{draft.certification.code}/{draft.label}"' in edit
    form = client.get(f"/edition/{draft.id}/competence/{competency.id}").get_data(as_text=True)
    import re

    revision = re.search(r'name="revision"[^>]*value="(\d+)"', form) or re.search(
        r'value="(\d+)"[^>]*name="revision"', form
    )
    assert revision is not None
    response = client.post(
        f"/edition/{draft.id}/competence/{competency.id}",
        data={
            "revision": revision.group(1),
            "code": competency.code,
            "statement": "Conduire des entretiens avec les élus, les associations et les "
            "habitants du territoire pour repérer les dynamiques de coopération existantes",
            "activity_ids": [a.id for a in competency.activities],
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "enregistré" in text
    assert f"{competency.code} reprend à" in text and "RNCP34001" in text
