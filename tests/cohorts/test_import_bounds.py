"""The learner import through the upload guard: bombs and oversized sheets refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.cohorts.models import Enrolment
from tests.bombs import xlsx_bomb
from tests.cohorts.test_import_pages import upload
from tests.cohorts.test_importer import HEADER, csv_bytes
from tests.factories import count_rows, page_text


def test_the_zip_bomb_is_refused_on_the_page(
    client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any, tmp_path: Path
) -> None:
    login(coordinator)
    # The 850 MB bomb is measured in tests/exports/test_guard.py; 100 MB is built faster.
    bomb = xlsx_bomb(tmp_path / "apprenants.xlsx", unpacked_mib=100)
    response = upload(client, cohort, bomb.read_bytes(), "apprenants.xlsx")
    assert response.status_code == 200
    page = page_text(response)
    assert (
        "Fichier refusé : apprenants.xlsx › xl/sharedStrings.xml : 100 Mo une fois décompressé, "
        "au-delà de la limite de 32 Mo"
    ) in page
    assert 'name="upload"' not in page  # nothing to confirm
    assert count_rows(db_session, Enrolment) == 0


def test_the_limits_are_read_from_the_configuration(
    app: Flask,
    client: Any,
    login: Any,
    coordinator: Any,
    cohort: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login(coordinator)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_ROWS", 3)
    rows = [[f"p{i}@exemple.fr", "Anne", "Durand"] for i in range(5)]
    response = upload(client, cohort, csv_bytes(rows, header=HEADER[:3]), "promo.csv")
    assert "Fichier refusé : promo.csv, ligne 4 : plus de 3 lignes" in page_text(response)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_CELL_CHARS", 20)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_ROWS", 100)
    rows = [["p@exemple.fr", "Anne", "D" * 21]]
    response = upload(client, cohort, csv_bytes(rows, header=HEADER[:3]), "promo.csv")
    assert (
        "Fichier refusé : promo.csv, ligne 2, colonne C : cellule de 21 caractères, au-delà de "
        "la limite de 20"
    ) in page_text(response)


def test_the_offline_grid_import_uses_the_same_guard(app: Flask, tmp_path: Path) -> None:
    from app.assessment.services import GridError
    from app.assessment.xlsx import read_workbook

    bomb = xlsx_bomb(tmp_path / "grille.xlsx", unpacked_mib=100).read_bytes()
    with app.test_request_context(), pytest.raises(GridError) as refused:
        read_workbook(bomb, filename="grille.xlsx")
    assert refused.value.problems == [
        "Fichier refusé : grille.xlsx › xl/sharedStrings.xml : 100 Mo une fois décompressé, "
        "au-delà de la limite de 32 Mo"
    ]
