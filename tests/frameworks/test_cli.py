"""`flask referentiel …` as a coordinator uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from app.frameworks.models import Certification, Criterion, FrameworkVersion
from tests.conftest import DATA, REAL_FILES


def test_validate_real_files(runner: Any) -> None:
    result = runner.invoke(args=["referentiel", "validate", *map(str, REAL_FILES)])
    assert result.exit_code == 0, result.output
    assert "4 fichiers valides" in result.output


def test_validate_reports_path_line_message_without_traceback(
    runner: Any, tmp_path: Path, mini_doc: dict[str, Any]
) -> None:
    mini_doc["blocs"][0]["competencies"][0]["activities"] = ["A7.7"]
    mini_doc["blocs"][0]["competencies"][1]["criteria"] = []
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(mini_doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\n  - : ]\n", encoding="utf-8")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01\x02")
    result = runner.invoke(
        args=[
            "referentiel",
            "validate",
            str(DATA / "mini.yaml"),
            str(bad),
            str(broken),
            str(binary),
        ]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output
    assert all(
        line.split(":")[0].endswith(".yaml") and line.split(":")[1].isdigit() for line in lines
    )
    assert any(f"{bad}:" in line and "activité inconnue « A7.7 »" in line for line in lines)
    assert any(f"{bad}:" in line and "compétence C1.2 : aucun critère" in line for line in lines)
    assert any(line.startswith(f"{broken}:2: YAML invalide") for line in lines)
    assert any(line.startswith(f"{binary}:1: fichier binaire") for line in lines)
    # A file that is missing altogether is a problem too, not a crash.
    missing = runner.invoke(args=["referentiel", "validate", str(tmp_path / "absent.yaml")])
    assert missing.exit_code == 1 and "fichier illisible" in missing.output


def test_import_list_publish_export_diff(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["referentiel", "import", str(DATA / "mini.yaml")])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["referentiel", "list"]).output == "MINI v1 draft\n"

    assert runner.invoke(args=["referentiel", "publish", "MINI", "v1"]).exit_code == 0
    assert runner.invoke(args=["referentiel", "list"]).output == "MINI v1 published\n"
    again = runner.invoke(args=["referentiel", "publish", "MINI", "v1"])
    assert again.exit_code == 1 and "n'est pas un brouillon" in again.output

    out = tmp_path / "export.yaml"
    result = runner.invoke(
        args=["referentiel", "export", "MINI", "--version", "v1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["referentiel", "validate", str(out)]).exit_code == 0

    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    doc["version"]["label"] = "v2"
    doc["blocs"][0]["competencies"][0]["criteria"][0]["statement"] = (
        "L'ordre du jour est envoyé à temps"
    )
    out.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert runner.invoke(args=["referentiel", "import", str(out)]).exit_code == 0
    diff = runner.invoke(args=["referentiel", "diff", "MINI", "v1", "v2"])
    assert diff.exit_code == 0
    assert "~ critère C1.1.a : L'ordre du jour est envoyé à temps" in diff.output
    assert "0 ajout, 0 suppression, 1 reformulation" in diff.output


def test_export_to_stdout_and_unknown_names(runner: Any) -> None:
    runner.invoke(args=["referentiel", "import", str(DATA / "mini.yaml")])
    result = runner.invoke(args=["referentiel", "export", "MINI"])
    assert result.exit_code == 0 and result.output.startswith("format: 1\n")
    for args in (["export", "NOPE"], ["publish", "MINI", "v9"], ["diff", "MINI", "v1", "v9"]):
        result = runner.invoke(args=["referentiel", *args])
        assert result.exit_code == 1 and "erreur :" in result.output


def test_failed_import_stores_nothing(runner: Any, db_session: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (DATA / "mini.yaml").read_text(encoding="utf-8").replace("[A1.2]", "[A1.9]")
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["referentiel", "import", str(bad)])
    assert result.exit_code == 1 and "A1.9" in result.output
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Certification)) == 0

    # A valid file whose label is taken is refused as a whole: no second certification row,
    # no criteria of a half-made version.
    assert runner.invoke(args=["referentiel", "import", str(DATA / "mini.yaml")]).exit_code == 0
    result = runner.invoke(args=["referentiel", "import", str(DATA / "mini.yaml")])
    assert result.exit_code == 1 and "déjà une version" in result.output
    assert db_session.scalar(sa.select(sa.func.count()).select_from(FrameworkVersion)) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Criterion)) == 4


def test_import_real_files(runner: Any) -> None:
    for path in REAL_FILES:
        result = runner.invoke(args=["referentiel", "import", str(path)])
        assert result.exit_code == 0, result.output
    assert len(runner.invoke(args=["referentiel", "list"]).output.splitlines()) == 4


def test_seed_loads_and_publishes_the_real_files_once(runner: Any) -> None:
    first = runner.invoke(args=["referentiel", "seed"])
    assert first.exit_code == 0, first.output
    # Each certification's versions published in label order, whatever the files' order.
    assert first.output == "publiées : CTA 2025-04, CTA 2026-12, CTD 2025-04, CTD 2026-12\n"
    listed = runner.invoke(args=["referentiel", "list"]).output.splitlines()
    assert len(listed) == len(REAL_FILES)
    assert all(line.endswith(" published") for line in listed)
    second = runner.invoke(args=["referentiel", "seed"])
    assert second.output == "référentiels déjà chargés\n"
