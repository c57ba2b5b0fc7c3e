"""CASE import: round trip of the shipped référentiels through a second database, a CASE
1.0-shaped package as real ones are (OpenSALT), bad packages refused with their JSON path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app import create_app
from app.db import db
from app.frameworks import case as case_service
from app.frameworks import documents, services
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from exports import case_import, guard
from tests.conftest import DATA, REAL_FILES, own_database

OPENSALT = DATA / "case-1.0-reseau-territorial.json"


def _fresh_app(url: str, tmp: Path) -> Any:
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_DIR=tmp / "instance",
        WTF_CSRF_ENABLED=False,
    )
    with app.app_context():
        db.create_all()
    return app


def _cli(app: Any, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, (args, result.output)
    return str(result.stdout)


def test_shipped_referentiels_round_trip_through_a_second_database(tmp_path: Path) -> None:
    """Export each shipped référentiel from one database, import it into a fresh one: the
    same tree comes out (the référentiel files of both are identical)."""
    with own_database(tmp_path, "case_a") as url_a, own_database(tmp_path, "case_b") as url_b:
        first, second = _fresh_app(url_a, tmp_path / "a"), _fresh_app(url_b, tmp_path / "b")
        try:
            _cli(first, "referentiel", "seed")
            for path in REAL_FILES:  # one per version: the fiche's fields, links and rules too
                doc = documents.load(path)
                code, label = doc["certification"]["code"], doc["version"]["label"]
                package = tmp_path / f"{code}-{label}.json"
                _cli(first, "case", "export", code, "--version", label, "-o", str(package))
                output = _cli(second, "case", "import", str(package))
                assert "Tous les éléments du paquet ont trouvé leur place." in output
                assert "Remarques" not in output
                original = _cli(first, "referentiel", "export", code, "--version", label)
                imported = _cli(second, "referentiel", "export", code, "--version", label)
                assert imported == original
                assert f"code: {code}" in original
                with second.app_context():
                    version = services.load_version(code, label)
                    assert version.status is VersionStatus.DRAFT
                    blocs = len(version.blocs)
                assert blocs >= 4
        finally:
            for app in (first, second):
                with app.app_context():
                    db.engine.dispose()


def test_an_opensalt_case_1_0_package_lists_what_it_could_not_place(
    runner: Any, db_session: Any
) -> None:
    result = runner.invoke(args=["case", "import", str(OPENSALT)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "depuis un paquet CASE 1.0 : 3 blocs de compétences, 5 compétences, 7 critères" in out
    assert "5 éléments non placés :" in out
    unplaced = [
        line.strip() for line in out.split("non placés :")[1].split("Remarques")[0].splitlines()
    ]
    assert [line for line in unplaced if line] == [
        "$.CFItems[15] « RT.1.1.a.1 » « Exemple : portrait de territoire publié par l'observatoire "
        "régional » : sous un critère d'évaluation, le référentiel n'a pas de niveau de plus",
        "$.CFItems[16] « RT.2.1.a.1 » « Exemple : ordre du jour envoyé une semaine avant la "
        "rencontre » : sous un critère d'évaluation, le référentiel n'a pas de niveau de plus",
        "$.CFItems[17] « RT.X » « Se former tout au long de sa vie professionnelle » : aucune "
        "chaîne d'associations isChildOf ne le rattache au document",
        "$.CFItems[18] « RT.2.3 » « Mobiliser la créativité collective » : rattaché seulement à "
        "« EntreComp 2.1 », hors du paquet",
        "$.CFItems[19] « RT.1.1.a.1.i » « Sous-exemple : la fiche territoire de l'INSEE » : son "
        "parent $.CFItems[15] n'est pas placé",
    ]
    assert (
        "« RT 3 » « Évaluer et rendre compte de l'action du réseau » : code remplacé par « RT-3 »"
        in out
    )
    assert "1 association « exactMatchOf » ignorée" in out
    assert "1 association « precedes » ignorée" in out

    version = services.load_version("CASE-C2F0E1A4", "2019")
    assert version.status is VersionStatus.DRAFT
    assert version.title == "Cadre de compétences de l'animation de réseaux territoriaux"
    assert version.certifier_name == "Réseau régional des animateurs territoriaux"
    assert version.level == 5
    assert "c2f0e1a4-7a53-11e9-8f9e-2a86e4085a59" in version.notes
    # The tree, in the associations' (string) sequence numbers.
    assert [(b.code, [c.code for c in b.competencies]) for b in version.blocs] == [
        ("RT.1", ["RT.1.1", "RT.1.2"]),
        ("RT.2", ["RT.2.1", "RT.2.2"]),
        ("RT-3", ["RT.3.1"]),
    ]
    assert [k.code for k in version.blocs[0].competencies[0].criteria] == ["RT.1.1.a", "RT.1.1.b"]
    assert (
        version.blocs[1].competencies[0].criteria[1].statement
        == "Chaque participant peut s'exprimer"
    )
    # The rubric's four levels became the scale, the highest one acquired.
    assert [(s.label, s.counts_as_acquired) for s in version.scale_levels] == [
        ("Débutant", False),
        ("Intermédiaire", False),
        ("Confirmé", False),
        ("Expert", True),
    ]


def test_options_name_the_certification_version_and_level(runner: Any, db_session: Any) -> None:
    args = ["case", "import", str(OPENSALT), "--code", "RESEAU", "--version", "v1", "--level", "6"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    version = services.load_version("RESEAU", "v1")
    assert version.level == 6
    again = runner.invoke(args=args)
    assert again.exit_code == 1
    assert "la certification RESEAU a déjà une version « v1 »" in again.output
    assert "--version" in again.output


def _our_package(tmp_path: Path, runner: Any, create_version: Any) -> dict[str, Any]:
    version = create_version(publish=True)
    out = tmp_path / "mini.json"
    assert runner.invoke(args=["case", "export", "MINI", "-o", str(out)]).exit_code == 0
    assert version.label == "v1"
    return json.loads(out.read_text(encoding="utf-8"))


def _versions(db_session: Any) -> int:
    return db_session.scalar(sa.select(sa.func.count(FrameworkVersion.id)))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda p: p["CFItems"][3].update(humanCodingScheme=12),
            "$.CFItems[3].humanCodingScheme : du texte attendu, pas « 12 »",
        ),
        (
            lambda p: p["CFItems"][2].pop("fullStatement"),
            "$.CFItems[2].fullStatement : champ obligatoire absent",
        ),
        (
            lambda p: p["CFAssociations"][1].update(associationType="estEnfantDe"),
            "$.CFAssociations[1].associationType : valeur non reconnue « estEnfantDe »",
        ),
        (
            lambda p: p["CFItems"][4].update(identifier="C1.1"),
            "$.CFItems[4].identifier : « C1.1 » n'est pas un identifiant UUID",
        ),
        (
            lambda p: p["CFItems"][5].update(lastChangeDateTime="hier"),
            "$.CFItems[5].lastChangeDateTime : « hier » n'est pas un horodatage RFC 3339",
        ),
        (
            lambda p: p["CFItems"][6].update(identifier=p["CFItems"][1]["identifier"]),
            "$.CFItems[6].identifier : identifiant déjà pris par $.CFItems[1]",
        ),
        (
            lambda p: p.pop("CFDocument"),
            "$ : un paquet CASE (CFPackage) est un objet JSON avec un CFDocument",
        ),
    ],
)
def test_bad_packages_are_refused_with_their_json_path(
    runner: Any, create_version: Any, db_session: Any, tmp_path: Path, damage: Any, message: str
) -> None:
    package = _our_package(tmp_path, runner, create_version)
    damage(package)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(package), encoding="utf-8")
    before = _versions(db_session)
    result = runner.invoke(args=["case", "import", str(bad), "--version", "v9"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert _versions(db_session) == before


def test_files_that_are_not_json_or_too_large_are_refused(
    app: Any, runner: Any, db_session: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"CFDocument": {"identifier": \n', encoding="utf-8")
    result = runner.invoke(args=["case", "import", str(broken)])
    assert result.exit_code == 1
    assert "broken.json, ligne 2 : JSON mal formé" in result.output
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100 + "]" * 100, encoding="utf-8")
    assert (
        "imbrication au-delà de la limite"
        in runner.invoke(args=["case", "import", str(deep)]).output
    )
    app.config["CASE_MAX_BYTES"] = 1000
    try:
        result = runner.invoke(args=["case", "import", str(OPENSALT)])
    finally:
        app.config["CASE_MAX_BYTES"] = 16 * 1024 * 1024
    assert result.exit_code == 1
    assert "fichier trop volumineux" in result.output


def test_all_or_nothing(runner: Any, db_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the rows were written leaves nothing behind (the command is one unit
    of work)."""
    real = services.import_document

    def fails_late(document: dict[str, Any]) -> Any:
        real(document)  # flushed: the certification, its version and its whole tree
        raise services.FrameworkError("panne simulée après l'écriture")

    monkeypatch.setattr(case_service.services, "import_document", fails_late)
    result = runner.invoke(args=["case", "import", str(OPENSALT), "--code", "TOUTOURIEN"])
    assert result.exit_code == 1
    assert "panne simulée" in result.output
    assert (
        db_session.scalar(sa.select(Certification).where(Certification.code == "TOUTOURIEN"))
        is None
    )


def test_the_case_1_0_shape_is_brought_to_1_1() -> None:
    raw = json.loads(OPENSALT.read_text(encoding="utf-8"))
    package = case_import.read(OPENSALT.read_bytes(), guard.Limits())
    assert package.shape == "CASE 1.0"
    data = package.data
    assert "CFPackageURI" not in data["CFDocument"]
    assert data["CFDocument"]["lastChangeDateTime"] == "2019-05-14T09:32:11+00:00"
    assert data["CFDocument"]["subject"] == ["Développement territorial"]
    assert "statusEndDate" not in data["CFDocument"]  # was null
    assert data["CFAssociations"][0]["sequenceNumber"] == 1
    assert data["CFItems"][0]["lastChangeDateTime"] == "2019-05-14T09:30:02+00:00"
    assert all("CFDocumentURI" not in item for item in data["CFItems"])
    assert raw["CFAssociations"][0]["sequenceNumber"] == "1"  # the file itself is untouched
    # Our own export is already of the 1.1 shape.
    ours = copy.deepcopy(data)
    ours["CFDocument"]["caseVersion"] = "1.1"
    assert case_import.normalise(ours)[1] == "CASE 1.1"


def test_unknown_properties_are_ignored_and_said(
    runner: Any, create_version: Any, db_session: Any, tmp_path: Path
) -> None:
    package = _our_package(tmp_path, runner, create_version)
    package["CFItemz"] = []
    package["CFItems"][0]["couleur"] = "bleu"
    package["CFItems"][-1]["couleur"] = "vert"
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    result = runner.invoke(args=["case", "import", str(path), "--version", "v2"])
    assert result.exit_code == 0, result.output
    assert (
        "propriétés inconnues de CASE 1.1, ignorées : $.CFItems[*].couleur, $.CFItemz"
        in result.output
    )
    assert "Tous les éléments du paquet ont trouvé leur place." in result.output


def test_problems_come_in_document_order(
    runner: Any, create_version: Any, db_session: Any, tmp_path: Path
) -> None:
    package = _our_package(tmp_path, runner, create_version)
    for i in (10, 2):
        package["CFAssociations"][i]["uri"] = i
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    output = runner.invoke(args=["case", "import", str(path)]).output
    assert output.index("$.CFAssociations[2].uri") < output.index("$.CFAssociations[10].uri")


def test_bad_values_where_the_import_reads_nothing_are_left_out(
    runner: Any, db_session: Any, tmp_path: Path
) -> None:
    """Real packages carry odd metadata (a licence link without a UUID, a rubric of another
    shape, a space in a timestamp): what the import does not read does not stop it."""
    package = json.loads(OPENSALT.read_text(encoding="utf-8"))
    package["CFDocument"]["licenseURI"]["identifier"] = "licence-ouverte"
    package["CFItems"][0]["CFItemTypeURI"] = "Domaine"
    package["CFItems"][1]["lastChangeDateTime"] = "2019-05-14 09:30:02+0200"
    package["CFRubrics"][0]["CFRubricCriteria"][0]["position"] = "premier"
    package["CFDefinitions"]["CFItemTypes"][0]["hierarchyCode"] = 1
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["case", "import", str(path)])
    assert result.exit_code == 0, result.output
    for left_out in (
        "$.CFDocument.licenseURI laissé de côté",
        "$.CFItems[0].CFItemTypeURI laissé de côté",
        "$.CFRubrics[0] laissé de côté",
        "$.CFDefinitions laissé de côté",
    ):
        assert left_out in result.output
    assert "$.CFItems[1]" not in result.output  # its timestamp was read as 07:30:02 UTC
    assert "échelle Non acquis / En cours d'acquisition / Acquis par défaut" in result.output


def test_an_imported_draft_opens_in_the_editor_and_says_what_blocks_publication(
    runner: Any, client: Any, login: Any, create_user: Any, db_session: Any
) -> None:
    from app.people.models import Organisation, OrganisationKind

    assert runner.invoke(args=["case", "import", str(OPENSALT)]).exit_code == 0
    version = services.load_version("CASE-C2F0E1A4", "2019")
    # Drafts are the certifier's (app/access.py): an unowned one is open to its coordinators.
    certifier = Organisation(name="Certificateur", kind=OrganisationKind.CERTIFIER)
    db_session.add(certifier)
    db_session.commit()
    login(create_user("coordinator", organisations=[certifier]))
    page = client.get(f"/edition/{version.id}")
    assert page.status_code == 200
    assert "RT.1.1.a" in page.get_data(as_text=True)
    # No activities, no modalities: the draft cannot be published as it is, and says so.
    refused = client.post(f"/edition/{version.id}/publier", data={"revision": version.revision})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "ne peut pas être publié" in html and "modalité" in html
    db_session.expire_all()
    assert services.load_version("CASE-C2F0E1A4", "2019").status is VersionStatus.DRAFT


def test_codes_stay_within_forty_characters(runner: Any, db_session: Any, tmp_path: Path) -> None:
    package = json.loads(OPENSALT.read_text(encoding="utf-8"))
    package["CFItems"][3]["humanCodingScheme"] = "C" * 40  # competency RT.1.1
    for i in (8, 9):  # its two criteria, without codes
        del package["CFItems"][i]["humanCodingScheme"]
    path = tmp_path / "long.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["case", "import", str(path)])
    assert result.exit_code == 0, result.output
    competency = services.load_version("CASE-C2F0E1A4", "2019").blocs[0].competencies[0]
    assert competency.code == "C" * 40
    assert [c.code for c in competency.criteria] == ["E9", "E10"]


def test_a_bad_code_option_is_refused(runner: Any, db_session: Any) -> None:
    result = runner.invoke(args=["case", "import", str(OPENSALT), "--code", "pas bon"])
    assert result.exit_code == 2
    assert "40 caractères au plus" in result.output
