"""The certification's identity as the draft states it."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.db import db
from app.frameworks.models import CompetencyRule, FrameworkVersion
from app.people.models import AuditEvent
from tests.editor.conftest import audit_actions, document, reload

VALID = {
    "label": "v1",
    "title": "Développeur·euse de coopération territoriale",
    "level": "6",
    "nsf_codes": "341, 332t",
    "rome_codes": "K1802,M1402",
    "formacodes": "42806",
    "certifier_name": "Savoir Devenir",
    "certifier_siret": "732 829 320 00074",
    "notes": "Deuxième version, après la promotion pilote.",
    "competency_rule": "minimum",
    "minimum_criteria": "2",
}


def test_metadata_form_shows_the_current_values(client: Any, draft: FrameworkVersion) -> None:
    html = client.get(f"/edition/{draft.id}/identite").get_data(as_text=True)
    assert 'value="Certification d&#39;essai"' in html
    assert 'value="K1802"' in html and 'value="341"' in html
    assert f'name="revision" type="hidden" value="{draft.revision}"' in html


def test_edit_metadata(client: Any, draft: FrameworkVersion, coordinator: Any) -> None:
    revision = draft.revision
    response = client.post(f"/edition/{draft.id}/identite", data={**VALID, "revision": revision})
    assert response.status_code == 302
    version = reload(draft.id)
    assert version.title == VALID["title"] and version.level == 6
    assert version.nsf_codes == ["341", "332t"]
    assert version.rome_codes == ["K1802", "M1402"]
    assert version.formacodes == ["42806"]
    assert version.certifier_name == "Savoir Devenir"
    assert version.certifier_siret == "73282932000074"
    assert version.notes == VALID["notes"]
    assert version.competency_rule is CompetencyRule.MINIMUM and version.minimum_criteria == 2
    assert version.revision == revision + 1
    assert audit_actions(draft.id) == ["framework.edit"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "framework.edit"))
    assert event is not None and event.actor_id == coordinator.id
    assert event.object_id == draft.id and "level" in event.details["fields"]
    # Back to the "all" rule: the minimum goes, the codes may be emptied.
    data = {
        **VALID,
        "competency_rule": "all",
        "nsf_codes": "",
        "certifier_siret": "",
        "revision": revision + 1,
    }
    assert client.post(f"/edition/{draft.id}/identite", data=data).status_code == 302
    version = reload(draft.id)
    assert version.minimum_criteria is None and version.nsf_codes == []
    assert version.certifier_siret is None
    assert "nsf" not in document(draft.id)["certification"]


def test_rename_the_draft(client: Any, draft: FrameworkVersion) -> None:
    data = {**VALID, "label": "v1-bis", "revision": draft.revision}
    assert client.post(f"/edition/{draft.id}/identite", data=data).status_code == 302
    assert reload(draft.id).label == "v1-bis"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("level", "9", "Le niveau va de 1 à 8."),
        ("level", "0", "Le niveau va de 1 à 8."),
        ("level", "", "Ce champ est obligatoire."),
        ("rome_codes", "K180", "Code invalide : K180."),
        ("rome_codes", "k1802", "Code invalide : k1802."),
        ("rome_codes", "A1111, A1112, A1113, A1114, A1115, A1116", "5 codes au plus."),
        ("nsf_codes", "341, 342, 343, 344", "3 codes au plus."),
        ("nsf_codes", "341, 341", "Un même code est répété."),
        ("nsf_codes", "34", "Code invalide : 34."),
        ("formacodes", "4280", "Code invalide : 4280."),
        ("certifier_siret", "73282932000075", "sa clé de contrôle est fausse"),
        ("certifier_siret", "7328293200007", "Un SIRET compte exactement 14 chiffres."),
        ("title", " ", "Ce champ est obligatoire."),
        ("certifier_name", "", "Ce champ est obligatoire."),
        ("minimum_criteria", "", "Indiquez le nombre minimum de critères."),
        ("minimum_criteria", "0", "Au moins 1."),
        ("minimum_criteria", "deux", "Saisissez un nombre entier."),
        ("label", "v 2", "Code invalide"),
        ("notes", "x" * 10_001, "10000 caractères au plus."),
    ],
)
def test_bad_metadata_is_refused(
    client: Any, draft: FrameworkVersion, field: str, value: str, message: str
) -> None:
    before, revision = document(draft.id), draft.revision
    response = client.post(
        f"/edition/{draft.id}/identite", data={**VALID, field: value, "revision": revision}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert 'aria-invalid="true"' in html
    if value.strip() and field != "notes":
        assert f'value="{value}"' in html  # what was typed is kept
    assert document(draft.id) == before
    assert reload(draft.id).revision == revision
    assert audit_actions(draft.id) == []


def test_label_of_another_version_is_refused(
    client: Any, draft: FrameworkVersion, create_version: Any, mini_doc: dict[str, Any]
) -> None:
    mini_doc["version"]["label"] = "v2"
    create_version(mini_doc)
    data = {**VALID, "label": "v2", "revision": draft.revision}
    html = client.post(f"/edition/{draft.id}/identite", data=data).get_data(as_text=True)
    assert "Cette certification a déjà une version de ce libellé." in html
    assert reload(draft.id).label == "v1"


def test_typed_html_is_escaped_in_messages(client: Any, draft: FrameworkVersion) -> None:
    data = {**VALID, "rome_codes": "<b>K1802</b>", "revision": draft.revision}
    html = client.post(f"/edition/{draft.id}/identite", data=data).get_data(as_text=True)
    assert "<b>K1802</b>" not in html
    assert "Code invalide : &lt;b&gt;K1802&lt;/b&gt;." in html
