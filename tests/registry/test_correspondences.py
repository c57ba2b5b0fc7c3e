"""Correspondences (criterion 8°): the closest blocs of the register, and the verdicts kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.registry import correspondences
from app.registry.models import CorrespondenceKind


@pytest.fixture
def level_six(create_version: Any, mini_doc: dict[str, Any]) -> Any:
    """The small référentiel at level 6, with a bloc about running a network of actors."""
    mini_doc["certification"]["level"] = 6
    mini_doc["blocs"][0]["title"] = "Animer un réseau d'acteurs du territoire"
    mini_doc["blocs"][0]["competencies"][1]["statement"] = (
        "Animer des réunions de concertation avec des méthodes participatives"
    )
    return create_version(mini_doc, publish=True)


def test_the_closest_blocs_are_of_the_same_level_and_share_codes_and_words(
    db_session: Any, load_register: Any, register_a: Path, level_six: Any
) -> None:
    load_register(register_a)
    ranking = correspondences.rank(db_session, level_six, level_six.blocs[0])
    # Level-3 and inactive fiches are left out; the network bloc comes before the diagnostic.
    assert [c.bloc_code for c in ranking] == ["RNCP34001BC02", "RNCP34001BC01"]
    best = ranking[0]
    assert best.shared_codes == ["K1802"]
    assert {"reseau", "concert", "participat"} & set(best.shared_words)
    assert best.text > ranking[1].text and best.codes == ranking[1].codes > 0
    similar = correspondences.similar_fiches(db_session, level_six)
    assert [number for number, _, _ in similar] == ["RNCP34001"]


def test_a_verdict_is_kept_changed_and_refused_for_unknown_blocs(
    db_session: Any, load_register: Any, register_a: Path, level_six: Any, create_user: Any
) -> None:
    load_register(register_a)
    user = create_user("coordinator")
    first = correspondences.mark(
        db_session,
        level_six,
        "BC01",
        "RNCP34001",
        "RNCP34001BC02",
        CorrespondenceKind.PARTIAL,
        "  Les réunions seulement. ",
        user.id,
    )
    again = correspondences.mark(
        db_session,
        level_six,
        "BC01",
        "RNCP34001",
        "RNCP34001BC02",
        CorrespondenceKind.TOTAL,
        "",
        user.id,
    )
    assert again.id == first.id and again.kind is CorrespondenceKind.TOTAL
    assert again.registry_bloc_title == "Animer un réseau d'acteurs"
    assert again.fiche_title == "Chargé de développement territorial"
    assert [m.registry_bloc_code for m in correspondences.marks(db_session, level_six)] == [
        "RNCP34001BC02"
    ]
    with pytest.raises(ValueError, match="bloc inconnu"):
        correspondences.mark(
            db_session,
            level_six,
            "BC09",
            "RNCP34001",
            "RNCP34001BC02",
            CorrespondenceKind.TOTAL,
            "",
            user.id,
        )
    with pytest.raises(ValueError, match="absent de la fiche"):
        correspondences.mark(
            db_session,
            level_six,
            "BC01",
            "RNCP34001",
            "RNCP34001BC07",
            CorrespondenceKind.TOTAL,
            "",
            user.id,
        )


def test_a_coordinator_marks_a_correspondence_from_the_page(
    client: Any,
    login: Any,
    certifier_coordinator: Any,
    load_register: Any,
    register_a: Path,
    level_six: Any,
) -> None:
    load_register(register_a)
    login(certifier_coordinator)
    url = f"/registre/correspondances/{level_six.certification.code}/{level_six.label}"
    assert f'href="{url}"' in client.get("/registre/").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "RNCP34001BC02" in page and "codes communs" in page
    response = client.post(
        url,
        data={
            "bloc_code": "BC01",
            "fiche_number": "RNCP34001",
            "registry_bloc_code": "RNCP34001BC02",
            "kind": "partial",
            "note": "Même public, autre finalité",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Correspondance partielle enregistrée entre BC01 et RNCP34001BC02" in text
    assert "Correspondances retenues" in text and "Même public, autre finalité" in text

    refused = client.post(url, data={"bloc_code": "BC01"}, follow_redirects=True)
    assert "Choisissez totale, partielle ou aucune." in refused.get_data(as_text=True)


def test_the_fiche_carries_the_total_and_partial_correspondences(
    db_session: Any, load_register: Any, register_a: Path, level_six: Any, create_user: Any
) -> None:
    from app.exports_history import builders
    from app.frameworks import services as frameworks
    from exports.fiche import build_fiche
    from exports.fiche_reading import parse_fiches

    load_register(register_a)
    user = create_user("coordinator")
    for registry_bloc, kind in (
        ("RNCP34001BC02", CorrespondenceKind.PARTIAL),
        ("RNCP34001BC01", CorrespondenceKind.NONE),
    ):
        correspondences.mark(
            db_session, level_six, "BC01", "RNCP34001", registry_bloc, kind, "", user.id
        )
    db_session.commit()
    data = builders.fiche_data(frameworks.load_version("MINI", level_six.label))
    (parsed,) = parse_fiches(build_fiche(data))
    assert [(c.bloc_code, c.other_bloc_code, c.total) for c in parsed.correspondences] == [
        ("BC01", "RNCP34001BC02", False)
    ]
    assert parsed.correspondences[0].other_bloc_title == "Animer un réseau d'acteurs"
