"""`flask fiche export` and `flask accrochage export`: files, exit codes, history, SHA-256."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from lxml import etree

from app.db import db
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from exports.accrochage import NAMESPACE, passage_id, validation_errors
from exports.fiche_reading import parse_fiches
from tests.exports.conftest import Pilot


def printed_sha(output: str) -> str:
    match = re.search(r"SHA-256 : ([0-9a-f]{64})", output)
    assert match, output
    return match.group(1)


def records() -> list[ExportRecord]:
    return list(db.session.scalars(sa.select(ExportRecord).order_by(ExportRecord.id)))


def test_fiche_export(runner: Any, export_settings: Path, version: Any, tmp_path: Path) -> None:
    out = tmp_path / "fiche.xml"
    result = runner.invoke(args=["fiche", "export", "MINI", "--version", "v1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    content = out.read_bytes()
    assert printed_sha(result.stdout) == hashlib.sha256(content).hexdigest()
    (fiche,) = parse_fiches(content)
    assert fiche.number == "MINI" and fiche.blocs
    (record,) = records()
    assert record.kind is ExportKind.FICHE and record.status is ExportStatus.DONE
    assert record.created_by_id is None
    assert record.sha256 == hashlib.sha256(content).hexdigest()


def test_accrochage_export_reports_who_is_left_out(
    runner: Any, export_settings: Path, version: Any, pilot: Pilot, tmp_path: Path
) -> None:
    out = tmp_path / "flux.xml"
    result = runner.invoke(args=["accrochage", "export", "MINI", "--version", "v1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    content = out.read_bytes()
    assert validation_errors(content) == []
    assert printed_sha(result.stdout) == hashlib.sha256(content).hexdigest()
    assert "3 personnes déclarées" in result.stdout
    assert result.stderr.strip() == (
        "laissé·e de côté : Sans Naissance (Promotion pilote 2 — VAE) : date de naissance manquante"
    )
    (record,) = records()
    assert record.parameters["cohorts"] == [c.name for c in pilot.cohorts]
    assert record.created_by_id is None
    assert [o.name for o in record.organisations] == ["Savoir Devenir"]


def passage_ids(content: bytes) -> list[str | None]:
    root = etree.fromstring(content)
    return [e.text for e in root.iterfind(f".//{{{NAMESPACE}}}idTechnique")]


def test_passage_ids_are_the_same_in_two_exports(
    runner: Any, export_settings: Path, version: Any, pilot: Pilot, tmp_path: Path
) -> None:
    one, two = tmp_path / "1.xml", tmp_path / "2.xml"
    for out in (one, two):
        args = ["accrochage", "export", "MINI", "--version", "v1", "-o", str(out)]
        assert runner.invoke(args=args).exit_code == 0
    assert one.read_bytes() != two.read_bytes()  # another idFlux, another time stamp
    ids = passage_ids(one.read_bytes())
    assert ids == passage_ids(two.read_bytes())
    assert sorted(ids) == sorted(passage_id("MINI", e.id) for e in pilot.certified)
    assert len(records()) == 2


def test_accrochage_of_chosen_cohorts(
    runner: Any, export_settings: Path, version: Any, pilot: Pilot, tmp_path: Path
) -> None:
    out = tmp_path / "flux.xml"
    first = pilot.cohorts[0]
    result = runner.invoke(
        args=[
            "accrochage",
            "export",
            "MINI",
            "--version",
            "v1",
            "--cohort",
            first.name,
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "2 personnes déclarées" in result.stdout
    assert result.stderr == ""
    assert sorted(passage_ids(out.read_bytes())) == sorted(
        passage_id("MINI", e.id) for e in pilot.certified if e.cohort_id == first.id
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fiche", "export", "NOPE", "--version", "v1"], "certification inconnue"),
        (["fiche", "export", "MINI", "--version", "v9"], "n'a pas de version"),
        (
            ["accrochage", "export", "MINI", "--version", "v1", "--cohort", "Inconnue"],
            "promotion inconnue pour MINI v1 : Inconnue",
        ),
    ],
)
def test_bad_arguments_exit_1_and_record_nothing(
    runner: Any,
    export_settings: Path,
    version: Any,
    pilot: Pilot,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "x.xml"
    result = runner.invoke(args=[*args, "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert not out.exists()
    assert records() == []


def test_missing_settings_exit_1(
    app: Flask,
    runner: Any,
    export_settings: Path,
    version: Any,
    pilot: Pilot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CONTRAT", "")
    out = tmp_path / "x.xml"
    result = runner.invoke(args=["accrochage", "export", "MINI", "--version", "v1", "-o", str(out)])
    assert result.exit_code == 1
    assert "idContrat" in result.stderr
    assert not out.exists() and records() == []


def test_nobody_certified_exits_1(
    runner: Any, export_settings: Path, version: Any, make_cohort: Any, enrol: Any, tmp_path: Path
) -> None:
    cohort = make_cohort("Sans certifiés")
    enrol(cohort, identity={"sex": None}, name="Sans Sexe")
    out = tmp_path / "x.xml"
    result = runner.invoke(
        args=["accrochage", "export", "MINI", "--version", "v1", "--test-file", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "laissé·e de côté : Sans Sexe (Sans certifiés) : sexe manquant" in result.stderr
    assert "aucune personne certifiée à déclarer" in result.stderr
    assert not out.exists() and records() == []


def test_output_folder_must_exist(
    runner: Any, export_settings: Path, version: Any, tmp_path: Path
) -> None:
    out = tmp_path / "absent" / "fiche.xml"
    result = runner.invoke(args=["fiche", "export", "MINI", "--version", "v1", "-o", str(out)])
    assert result.exit_code == 1
    assert "dossier inexistant" in result.stderr
    assert records() == []
