"""Importing learners from a file: preview first, then all or nothing on confirmation."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.cohorts import enrolling, importing, services
from app.cohorts.models import Enrolment, LearnerIdentity
from app.people.models import AuditEvent, Role, User
from exports.guard import Limits
from tests.cohorts.test_importer import HEADER, ROWS, csv_bytes, xlsx_bytes
from tests.factories import count_rows, page_text, read_mails


def upload(client: Any, cohort: Any, data: bytes, filename: str = "promo.csv") -> Any:
    if len(data) < 100_000:
        return client.post(
            f"/promotions/{cohort.id}/import",
            data={"spreadsheet": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )
    # Encoded here: the test client would spool a large body to a file it never closes.
    boundary = "----limite"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="spreadsheet"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"/promotions/{cohort.id}/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def key_in(response: Any) -> str:
    match = re.search(
        r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, "no confirm form"
    return match.group(1)


def confirm(client: Any, cohort: Any, key: str) -> Any:
    return client.post(
        f"/promotions/{cohort.id}/import/confirmer", data={"upload": key, "filename": "promo.csv"}
    )


def uploads(app: Flask) -> list[Path]:
    folder = Path(app.config["INSTANCE_DIR"]) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_preview_then_confirm(
    app: Flask,
    client: Any,
    login: Any,
    coordinator: Any,
    cohort: Any,
    db_session: Any,
    outbox: Path,
) -> None:
    login(coordinator)
    assert client.get(f"/promotions/{cohort.id}/import").status_code == 200
    preview = upload(client, cohort, csv_bytes(ROWS, encoding="cp1252"))
    page = page_text(preview)
    assert preview.status_code == 200
    for name in ("Hélène", "N'Diaye", "Jean-Éric, Marie", "Ørsted-Müller", "14/07/1990", "99350"):
        assert name in page
    assert "3 apprenant·es à inscrire, dont 3 nouveaux comptes" in page
    # Nothing is saved by the preview.
    assert count_rows(db_session, Enrolment) == 0 and count_rows(db_session, User) == 1
    key = key_in(preview)
    assert [p.name for p in uploads(app)] == [key]

    response = confirm(client, cohort, key)
    assert response.status_code == 302 and response.location == f"/promotions/{cohort.id}"
    assert count_rows(db_session, Enrolment) == 3 and count_rows(db_session, LearnerIdentity) == 3
    helene = db_session.scalar(sa.select(User).where(User.email == "helene.ndiaye@exemple.fr"))
    assert helene.full_name == "Hélène N'Diaye" and helene.roles == {Role.LEARNER}
    identity = db_session.get(LearnerIdentity, helene.id)
    assert identity.birth_commune_code == "69123"
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "learner.import"))
    assert event.object_id == cohort.id and event.details["enrolled"] == 3
    assert len(read_mails(outbox)) == 3
    assert uploads(app) == []
    assert "3 apprenant·es inscrit·es" in page_text(client.get(f"/promotions/{cohort.id}"))
    # The same key cannot be used twice.
    assert confirm(client, cohort, key).status_code == 302
    assert count_rows(db_session, Enrolment) == 3


def test_xlsx_import(
    client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any
) -> None:
    login(coordinator)
    data = xlsx_bytes([["a@exemple.fr", "Anne", "Durand", None, None, "F", 1053, None]])
    preview = upload(client, cohort, data, "promo.xlsx")
    assert "01053" in page_text(preview)
    assert confirm(client, cohort, key_in(preview)).status_code == 302
    assert count_rows(db_session, Enrolment) == 1


def test_already_enrolled_and_existing_accounts(
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    create_cohort: Any,
    create_learner: Any,
    db_session: Any,
    outbox: Path,
) -> None:
    enrolled = create_learner(email="helene.ndiaye@exemple.fr")
    elsewhere = create_learner("Zoë", "Ørsted", email="zoe@exemple.fr")
    cohort = create_cohort(org, learners=[enrolled])
    create_cohort(org, learners=[elsewhere])
    login(coordinator)
    preview = upload(client, cohort, csv_bytes(ROWS))
    page = page_text(preview)
    assert (
        "Déjà inscrit·es dans la promotion, ignoré·es : helene.ndiaye@exemple.fr (ligne 2)" in page
    )
    assert "2 apprenant·es à inscrire, dont 1 nouveau compte" in page
    assert confirm(client, cohort, key_in(preview)).status_code == 302
    assert count_rows(db_session, Enrolment) == 4  # 1 + 1 before, 2 imported
    # The known identity of an existing account is kept.
    assert db_session.get(LearnerIdentity, elsewhere.id).birth_name == "Ørsted"
    assert len(read_mails(outbox)) == 1


def test_bad_rows_reported_with_line_and_column_and_no_confirm(
    app: Flask, client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any
) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][4] = "31/02/1985"
    rows.append(["HELENE.NDIAYE@exemple.fr", "Hélène", "N'Diaye", "", "", "", "", ""])
    login(coordinator)
    preview = upload(client, cohort, csv_bytes(rows, sep=",", bom=True))
    page = page_text(preview)
    assert "Le fichier contient 2 erreurs" in page
    assert re.search(
        r"<td>3</td><td>Date de naissance</td><td>Date invalide : « 31/02/1985 »", page
    )
    assert re.search(
        r"<td>5</td><td>Email</td><td>L'adresse helene.ndiaye@exemple.fr figure déjà ligne 2", page
    )
    assert "2 lignes valides : rien ne sera importé" in page
    assert 'name="upload"' not in page and uploads(app) == []
    assert count_rows(db_session, Enrolment) == 0


def test_bad_file_imports_nothing_even_if_confirm_is_forced(
    app: Flask, client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any
) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][5] = "X"  # one bad row among good ones
    with app.test_request_context():
        key = importing.store_upload(
            Path(app.config["INSTANCE_DIR"]) / "imports",
            cohort,
            coordinator,
            csv_bytes(rows),
            "promo.csv",
        )
    login(coordinator)
    response = confirm(client, cohort, key)
    page = page_text(response)
    assert "Le fichier contient des erreurs : aucun apprenant n'a été importé." in page
    assert "Sexe : F ou M attendu" in page
    assert count_rows(db_session, Enrolment) == 0 and count_rows(db_session, User) == 1


def test_stored_file_is_checked_again_on_confirmation(
    app: Flask, client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any
) -> None:
    login(coordinator)
    key = key_in(upload(client, cohort, csv_bytes(ROWS)))
    (Path(app.config["INSTANCE_DIR"]) / "imports" / key).write_bytes(
        csv_bytes([["pas-une-adresse", "Anne", "Durand", "", "", "", "", ""]])
    )
    assert "Adresse e-mail invalide" in page_text(confirm(client, cohort, key))
    assert count_rows(db_session, Enrolment) == 0


@pytest.mark.parametrize(
    "error", [services.CohortError("refus"), sa.exc.IntegrityError("x", {}, Exception("doublon"))]
)
def test_a_failure_midway_saves_nothing(
    client: Any,
    login: Any,
    coordinator: Any,
    cohort: Any,
    db_session: Any,
    monkeypatch: pytest.MonkeyPatch,
    outbox: Path,
    error: Exception,
) -> None:
    login(coordinator)
    key = key_in(upload(client, cohort, csv_bytes(ROWS)))
    real = enrolling.new_learner
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "new_learner", failing)
    response = confirm(client, cohort, key)
    assert response.status_code in (200, 302)
    assert calls["n"] == 3
    assert count_rows(db_session, Enrolment) == 0 and count_rows(db_session, User) == 1
    assert count_rows(db_session, LearnerIdentity) == 0
    assert not db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "learner.import"))
    assert read_mails(outbox) == []


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "",
        "{other_cohort}-{user}-" + "0" * 32 + ".csv",
        "{cohort}-{other_user}-KEY",
    ],
)
def test_confirm_refuses_unknown_or_foreign_keys(
    app: Flask,
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    cohort: Any,
    create_cohort: Any,
    create_user: Any,
    db_session: Any,
    key: str,
) -> None:
    other_user = create_user(Role.COORDINATOR, organisations=[org])
    other_cohort = create_cohort(org)
    login(other_user)
    real_key = key_in(upload(client, cohort, csv_bytes(ROWS)))
    login(coordinator)
    forged = key.format(
        other_cohort=other_cohort.id,
        cohort=cohort.id,
        user=coordinator.id,
        other_user=other_user.id,
    ).replace(f"{cohort.id}-{other_user.id}-KEY", real_key)
    response = confirm(client, cohort, forged)
    assert response.status_code == 302
    assert "plus disponible" in page_text(client.get(response.location))
    assert count_rows(db_session, Enrolment) == 0


def test_file_too_large_or_not_a_spreadsheet(
    client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any
) -> None:
    login(coordinator)
    huge = upload(client, cohort, b"x" * (Limits().max_bytes + 100 * 1024))
    assert huge.status_code == 413
    assert "Le fichier dépasse 2 Mo" in page_text(huge)
    just_over = upload(client, cohort, csv_bytes([]) + b"x" * Limits().max_bytes)
    assert "Le fichier dépasse 2 Mo" in page_text(just_over)
    png = upload(client, cohort, b"\x89PNG\r\n\x1a\n" + bytes(100), "photo.csv")
    assert "Ce fichier n'est pas un fichier CSV." in page_text(png)
    assert "Seuls les fichiers CSV et XLSX" in page_text(
        upload(client, cohort, b"a;b", "notes.txt")
    )
    assert "Choisissez un fichier." in page_text(
        client.post(f"/promotions/{cohort.id}/import", data={})
    )
    assert count_rows(db_session, Enrolment) == 0


def test_import_is_for_the_cohort_coordinators(
    client: Any,
    login: Any,
    org: Any,
    cohort: Any,
    create_user: Any,
    create_organisation: Any,
) -> None:
    trainer = create_user(Role.TRAINER, organisations=[org])
    cohort.trainers.append(trainer)
    login(trainer)
    assert client.get(f"/promotions/{cohort.id}/import").status_code == 403
    assert upload(client, cohort, csv_bytes(ROWS)).status_code == 403
    login(create_user(Role.COORDINATOR, organisations=[create_organisation()]))
    assert client.get(f"/promotions/{cohort.id}/import").status_code == 404
    assert upload(client, cohort, csv_bytes(ROWS)).status_code == 404
    assert confirm(client, cohort, "x").status_code == 404


def test_header_only_sample_is_documented(
    client: Any, login: Any, coordinator: Any, cohort: Any
) -> None:
    login(coordinator)
    page = page_text(client.get(f"/promotions/{cohort.id}/import"))
    for header in ("email", "prénoms", "nom de naissance", "code commune de naissance"):
        assert header in page
    assert HEADER
