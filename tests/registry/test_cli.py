"""`flask rncp import` and `flask rncp check` as a certifier runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_import_reports_what_it_did_and_a_bad_file_exits_non_zero(
    runner: Any, register_a: Path, register_b: Path, tmp_path: Path
) -> None:
    result = runner.invoke(args=["rncp", "import", str(register_a)])
    assert result.exit_code == 0, result.output
    assert "3 ajoutées, 0 modifiée, 0 inchangée, 0 retirée" in result.output
    result = runner.invoke(args=["rncp", "import", str(register_b)])
    assert "1 ajoutée, 1 modifiée, 1 inchangée, 1 retirée" in result.output

    bad = tmp_path / "bad.xml"
    bad.write_text("<FICHES><FICHE>", encoding="utf-8")
    result = runner.invoke(args=["rncp", "import", str(bad)])
    assert result.exit_code == 1
    assert "bad.xml : XML mal formé" in result.output


def test_check_exits_non_zero_when_a_statement_is_copied(
    runner: Any, create_version: Any, mini_doc: dict[str, Any], register_a: Path
) -> None:
    assert runner.invoke(args=["rncp", "import", str(register_a)]).exit_code == 0
    create_version(publish=True)
    clean = runner.invoke(args=["rncp", "check", mini_doc["certification"]["code"]])
    assert clean.exit_code == 0, clean.output
    assert "0 trop proche" in clean.output

    mini_doc["version"]["label"] = "copie"
    competency = mini_doc["blocs"][0]["competencies"][0]
    competency["statement"] = (
        "Organiser et animer des réunions de concertation entre acteurs en utilisant des "
        "méthodes participatives adaptées aux habitants"
    )
    create_version(mini_doc)
    flagged = runner.invoke(
        args=["rncp", "check", mini_doc["certification"]["code"], "--version", "copie"]
    )
    assert flagged.exit_code == 1
    assert competency["code"] in flagged.output and "RNCP34001" in flagged.output
    assert "1 trop proche" in flagged.output
