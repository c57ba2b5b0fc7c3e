"""Offline grids (XLSX out and back in, command line and page) and the results exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.assessment.models import Result
from tests.assessment.conftest import World, read_form

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Plain:
    """A world as plain values: CLI commands end the test's session when they finish."""

    cohort_id: int
    cohort_name: str
    url: str
    names: list[str]
    enrolment_ids: list[int]
    criterion_ids: list[int]
    criterion_codes: list[str]
    levels: dict[str, int]
    labels: list[str]
    trainer_a: str  # e-mail
    trainer_b: str
    login_a: Any
    login_b: Any

    def cell(self, learner: int, criterion: int) -> str:
        """The grid input of the `learner`-th enrolment's `criterion`-th criterion."""
        return f"c-{self.enrolment_ids[learner]}-{self.criterion_ids[criterion]}"


class Login:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def get_id(self) -> str:
        return self.user_id


def plain(world: World) -> Plain:
    return Plain(
        cohort_id=world.cohort.id,
        cohort_name=world.cohort.name,
        url=world.grid_url,
        names=[e.learner.full_name for e in world.enrolments],
        enrolment_ids=[e.id for e in world.enrolments],
        criterion_ids=[c.id for c in world.criteria],
        criterion_codes=[c.code for c in world.criteria],
        levels={code: lvl.id for code, lvl in world.levels.items()},
        labels=[lvl.label for lvl in world.levels.values()],
        trainer_a=world.trainer_a.email,
        trainer_b=world.trainer_b.email,
        login_a=Login(world.trainer_a.get_id()),
        login_b=Login(world.trainer_b.get_id()),
    )


@pytest.fixture
def pw(world: World) -> Plain:
    return plain(world)


def export(client: Any, login: Any, pw: Plain) -> bytes:
    login(pw.login_a)
    response = client.get(pw.url + "/export?format=xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIME
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def edit(data: bytes, **cells: str | None) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Grille"]
    for ref, value in cells.items():
        sheet[ref] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_results(db_session: Any) -> list[Result]:
    return list(db_session.scalars(sa.select(Result).where(Result.source == "xlsx")))


def all_results(db_session: Any) -> int:
    return db_session.scalar(sa.select(sa.func.count(Result.id))) or 0


def cli_import(runner: Any, path: Path, data: bytes, assessor: str) -> Any:
    """Write `data` to `path` and import it with `flask grid import` as `assessor`."""
    path.write_bytes(data)
    return runner.invoke(args=["grid", "import", str(path), "--assessor", assessor])


def upload(client: Any, pw: Plain, data: bytes, filename: str, **kwargs: Any) -> Any:
    """Send `data` to the grid's import page."""
    return client.post(
        pw.url + "/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        **kwargs,
    )


def web_set(client: Any, login: Any, who: Any, url: str, values: dict[str, int | None]) -> None:
    login(who)
    page = client.get(url)
    data = read_form(page.get_data(as_text=True))
    for name, level in values.items():
        data[name] = "" if level is None else str(level)
    assert client.post(url, data=data).status_code == 302


def test_export_has_the_scale_drop_down_and_the_learners(
    client: Any, login: Any, pw: Plain
) -> None:
    web_set(client, login, pw.login_a, pw.url, {pw.cell(1, 2): pw.levels["A"]})
    workbook = load_workbook(io.BytesIO(export(client, login, pw)))
    sheet = workbook["Grille"]
    assert [sheet.cell(row=3 + i, column=1).value for i in range(3)] == pw.names
    assert sheet["A6"].value is None
    assert sheet["C1"].value == "C1.1" and sheet["E1"].value == "C1.2"
    assert [sheet.cell(row=2, column=3 + i).value.split(" — ")[0] for i in range(4)] == (
        pw.criterion_codes
    )
    assert sheet["E4"].value == "Acquis"  # current values are filled in
    assert sheet.column_dimensions["B"].hidden
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    validation = validations[0]
    assert validation.type == "list" and validation.showErrorMessage
    assert str(validation.sqref) == "C3:F5"
    sheet_name, cells = validation.formula1.split("!")
    lists = workbook[sheet_name.strip("'")]
    first, last = (c.replace("$", "") for c in cells.split(":"))
    assert [c.value for row in lists[first:last] for c in row] == pw.labels
    assert lists.sheet_state == "hidden"
    assert workbook["meta"].sheet_state == "hidden"
    assert all(
        cell.data_type != "f"
        for ws in workbook.worksheets
        for row in ws.iter_rows()
        for cell in row
    )


def test_cli_export(runner: Any, pw: Plain, tmp_path: Path) -> None:
    target = tmp_path / "grille.xlsx"
    result = runner.invoke(
        args=["grid", "export", "--cohort", pw.cohort_name, "--bloc", "BC01", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "3 apprenant·es × 4 critères" in result.output
    sheet = load_workbook(target)["Grille"]
    assert sheet["A3"].value == pw.names[0]
    bad = runner.invoke(
        args=["grid", "export", "--cohort", pw.cohort_name, "--bloc", "BC9", "-o", str(target)]
    )
    assert bad.exit_code == 1 and "BC9" in bad.output
    unknown = runner.invoke(
        args=["grid", "export", "--cohort", "Inconnue", "--bloc", "BC01", "-o", str(target)]
    )
    assert unknown.exit_code == 1 and "promotion inconnue" in unknown.output


def test_import_records_changed_cells_only(
    client: Any, login: Any, runner: Any, pw: Plain, tmp_path: Path, db_session: Any
) -> None:
    web_set(client, login, pw.login_a, pw.url, {pw.cell(0, 0): pw.levels["NA"]})
    filled = edit(
        export(client, login, pw),
        D3=" acquis ",  # a label, case and spaces aside
        E4="na",  # a code
        F5="Acquis",
    )
    result = cli_import(runner, tmp_path / "remplie.xlsx", filled, pw.trainer_b.upper())
    assert result.exit_code == 0, result.output
    cells = len(pw.enrolment_ids) * len(pw.criterion_ids)
    assert (
        f"remplie.xlsx importé : 3 cellules appliquées, {cells - 3} inchangées, "
        "0 refusée" in result.output
    )
    saved = xlsx_results(db_session)
    assert {(r.enrolment_id, r.criterion_id, r.level_id) for r in saved} == {
        (pw.enrolment_ids[0], pw.criterion_ids[1], pw.levels["A"]),
        (pw.enrolment_ids[1], pw.criterion_ids[2], pw.levels["NA"]),
        (pw.enrolment_ids[2], pw.criterion_ids[3], pw.levels["A"]),
    }
    assert all(r.assessor.email == pw.trainer_b for r in saved)
    assert all_results(db_session) == 4  # C3 was exported as is: not recorded again


def test_importing_the_same_file_again_records_nothing(
    client: Any, login: Any, runner: Any, pw: Plain, tmp_path: Path, db_session: Any
) -> None:
    """#13.6: a cell equal to its current value records nothing, so a second import of the
    same file (its loaded ids now stale) adds no "Acquis → Acquis" to anyone's history."""
    path = tmp_path / "deux-fois.xlsx"
    filled = edit(export(client, login, pw), C3="Acquis", D4="Non acquis", E5=None)
    cells = len(pw.enrolment_ids) * len(pw.criterion_ids)
    first = cli_import(runner, path, filled, pw.trainer_a)
    assert first.exit_code == 0, first.output
    assert f"2 cellules appliquées, {cells - 2} inchangées, 0 refusée" in first.output
    again = cli_import(runner, path, filled, pw.trainer_b)
    assert again.exit_code == 0, again.output
    assert f"0 cellule appliquée, {cells} inchangées, 0 refusée" in again.output
    assert all_results(db_session) == 2


def test_uploading_the_same_file_again_reports_it_unchanged(
    client: Any, login: Any, pw: Plain, db_session: Any
) -> None:
    filled = edit(export(client, login, pw), C3="Acquis", D4="Non acquis")
    cells = len(pw.enrolment_ids) * len(pw.criterion_ids)
    for applied in (2, 0):
        response = upload(client, pw, filled, "grille.xlsx", follow_redirects=True)
        assert response.status_code == 200
        applied_text = "2 cellules appliquées" if applied else "0 cellule appliquée"
        report = f"Import : {applied_text}, {cells - applied} inchangées, 0 refusée."
        assert report in response.get_data(as_text=True)
    assert len(xlsx_results(db_session)) == 2


def test_clearing_a_cell_offline_is_a_change(
    client: Any, login: Any, runner: Any, pw: Plain, tmp_path: Path, db_session: Any
) -> None:
    web_set(client, login, pw.login_a, pw.url, {pw.cell(0, 0): pw.levels["A"]})
    filled = edit(export(client, login, pw), C3=None)
    result = cli_import(runner, tmp_path / "videe.xlsx", filled, pw.trainer_a)
    assert result.exit_code == 0, result.output
    assert [r.level_id for r in xlsx_results(db_session)] == [None]


def test_import_conflicts_apply_nothing(
    client: Any, login: Any, runner: Any, pw: Plain, tmp_path: Path, db_session: Any
) -> None:
    exported = export(client, login, pw)
    # Someone changes C3 in the browser after the export.
    web_set(client, login, pw.login_b, pw.url, {pw.cell(0, 0): pw.levels["A"]})
    filled = edit(exported, C3="Non acquis", D3="Acquis")
    result = cli_import(runner, tmp_path / "conflit.xlsx", filled, pw.trainer_a)
    assert result.exit_code == 1
    assert "1 conflit : rien n'a été importé (0 cellule appliquée" in result.output
    assert ", 1 refusée)" in result.output
    assert f"C3 {pw.names[0]}, {pw.criterion_codes[0]}" in result.output
    assert "fichier « Non acquis »" in result.output and "« Acquis »" in result.output
    assert xlsx_results(db_session) == []
    assert all_results(db_session) == 1


def test_import_errors_name_the_cell_and_apply_nothing(
    client: Any, login: Any, runner: Any, pw: Plain, tmp_path: Path, db_session: Any
) -> None:
    filled = edit(export(client, login, pw), C3="Acquis", D4="Super", F5="Très bien")
    result = cli_import(runner, tmp_path / "erreurs.xlsx", filled, pw.trainer_a)
    assert result.exit_code == 1
    assert "D4 : « Super » n'est pas un niveau de l'échelle (Non acquis, Acquis)" in result.output
    assert "F5 : « Très bien »" in result.output
    assert "rien n'a été importé" in result.output
    assert all_results(db_session) == 0


@pytest.mark.parametrize("tamper", ["cohort", "head", "enrolment", "criterion", "not_a_grid"])
def test_tampered_files_are_refused(
    tamper: str,
    client: Any,
    login: Any,
    runner: Any,
    make_world: Any,
    pw: Plain,
    tmp_path: Path,
    db_session: Any,
) -> None:
    other = plain(make_world())
    # A result elsewhere whose id the tampered file points at.
    web_set(client, login, other.login_a, other.url, {other.cell(0, 0): other.levels["A"]})
    foreign_head = db_session.scalar(sa.select(sa.func.max(Result.id)))
    workbook = load_workbook(io.BytesIO(edit(export(client, login, pw), C3="Acquis")))
    meta = workbook["meta"]
    rows = {row[0].value: row for row in meta.iter_rows() if row[0].value != "enrolment"}
    first_learner = next(row for row in meta.iter_rows() if row[0].value == "enrolment")
    if tamper == "cohort":
        rows["cohort_id"][1].value = other.cohort_id
    elif tamper == "head":
        first_learner[2].value = foreign_head
    elif tamper == "enrolment":
        first_learner[1].value = other.enrolment_ids[0]
        workbook["Grille"]["B3"] = other.enrolment_ids[0]
    elif tamper == "criterion":
        rows["criteria"][2].value = other.criterion_ids[0]
    else:
        del workbook["meta"]
    out = io.BytesIO()
    workbook.save(out)
    result = cli_import(runner, tmp_path / "modifiee.xlsx", out.getvalue(), pw.trainer_a)
    assert result.exit_code == 1
    assert "erreur" in result.output
    assert all_results(db_session) == 1  # only the other cohort's result


def test_import_by_someone_outside_the_cohort_is_refused(
    client: Any,
    login: Any,
    runner: Any,
    make_world: Any,
    pw: Plain,
    tmp_path: Path,
    db_session: Any,
) -> None:
    outsider = plain(make_world())
    filled = edit(export(client, login, pw), C3="Acquis")
    result = cli_import(runner, tmp_path / "remplie.xlsx", filled, outsider.trainer_a)
    assert result.exit_code == 1 and "n'évalue pas" in result.output
    result = cli_import(runner, tmp_path / "remplie.xlsx", filled, "personne@nulle.part")
    assert result.exit_code == 1 and "aucun compte" in result.output
    assert all_results(db_session) == 0


def test_upload_in_the_page(client: Any, login: Any, pw: Plain, db_session: Any) -> None:
    filled = edit(export(client, login, pw), C3="Acquis", D4="Non acquis")
    response = upload(client, pw, filled, "grille.xlsx")
    assert response.status_code == 302
    assert len(xlsx_results(db_session)) == 2


def test_upload_conflicts_are_shown_to_decide(
    client: Any, login: Any, pw: Plain, db_session: Any
) -> None:
    exported = export(client, login, pw)
    d4 = pw.cell(1, 1)  # left as exported in the file
    web_set(client, login, pw.login_b, pw.url, {pw.cell(0, 0): pw.levels["A"], d4: pw.levels["NA"]})
    login(pw.login_a)
    response = upload(client, pw, edit(exported, C3="Non acquis", D3="Acquis"), "g.xlsx")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "cellule C3" in html
    assert "Import : 0 cellule appliquée" in html and ", 1 refusée." in html
    assert xlsx_results(db_session) == []
    resolution = read_form(html)
    assert resolution["origin"] == "xlsx"
    assert resolution[d4] == str(pw.levels["NA"])  # the current value, not the file's
    resolution[f"r-{pw.enrolment_ids[0]}-{pw.criterion_ids[0]}"] = "mine"
    assert client.post(pw.url, data=resolution).status_code == 302
    saved = xlsx_results(db_session)
    assert {(r.criterion_id, r.level_id) for r in saved} == {
        (pw.criterion_ids[0], pw.levels["NA"]),
        (pw.criterion_ids[1], pw.levels["A"]),
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"nom;valeur\n", "pas un classeur XLSX"),
        (b"PK\x03\x04 not really a zip", "illisible"),
        (None, "pas une grille exportée"),
    ],
)
def test_upload_of_a_wrong_file(
    content: bytes | None, message: str, client: Any, login: Any, pw: Plain
) -> None:
    if content is None:
        out = io.BytesIO()
        Workbook().save(out)
        content = out.getvalue()
    login(pw.login_a)
    response = upload(client, pw, content, "x.xlsx")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_results_exports(
    client: Any, login: Any, make_world: Any, db_session: Any, create_user: Any
) -> None:
    world = make_world()
    evil = create_user("learner", name='=HYPERLINK("http://exemple.test","clic")')
    from app.cohorts.models import Enrolment

    db_session.add(Enrolment(cohort_id=world.cohort.id, learner_id=evil.id))
    db_session.commit()
    pw = plain(world)
    web_set(
        client,
        login,
        pw.login_a,
        pw.url,
        {f"c-{pw.enrolment_ids[0]}-{c}": pw.levels["A"] for c in pw.criterion_ids},
    )
    base = f"/promotions/{pw.cohort_id}/resultats"
    response = client.get(base + "?format=xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX_MIME
    workbook = load_workbook(io.BytesIO(response.data))
    statuses = workbook.worksheets[0]
    names = [statuses.cell(row=r, column=1).value for r in range(3, statuses.max_row + 1)]
    assert names[0] == '=HYPERLINK("http://exemple.test","clic")'  # "=" sorts first
    assert statuses["A3"].data_type == "s"
    assert "Albert Parti" in names  # withdrawn learners stay in the results
    row = names.index(pw.names[0]) + 3
    values = [c.value for c in statuses[row]]
    assert "proposé à la validation" in values and values.count("acquise") == 2
    assert "abandon" in [
        statuses.cell(row=r, column=2).value for r in range(3, statuses.max_row + 1)
    ]
    assert all(
        cell.data_type != "f" for ws in workbook.worksheets for r in ws.iter_rows() for cell in r
    )
    criteria = workbook.worksheets[1]
    assert [c.value for c in criteria[row]][2:] == ["Acquis"] * 4

    text = client.get(base + "?format=csv&table=statuts").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["Apprenant·e", "Inscription", "BC01", "C1.1"]
    assert '\'=HYPERLINK("http://exemple.test","clic")' in [r[0] for r in rows]
    text = client.get(base + "?format=csv&table=criteres").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][2:] == pw.criterion_codes
    assert client.get(base + "?format=pdf").status_code == 404
    assert client.get(base + "?format=csv&table=autre").status_code == 404


def test_grid_csv(client: Any, login: Any, pw: Plain) -> None:
    login(pw.login_a)
    response = client.get(pw.url + "/export?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[2:]] == pw.names
    assert client.get(pw.url + "/export?format=ods").status_code == 404
