"""The web grid: changed cells only, history, all or nothing, concurrent edits, disagreements."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.assessment.models import (
    AppendOnlyError,
    CompetencyComment,
    EvaluationSession,
    Result,
    ResultHead,
)
from app.people.models import AuditEvent
from tests.assessment.conftest import World, read_form


def key(enrolment: Any, criterion: Any) -> str:
    return f"{enrolment.id}-{criterion.id}"


def results(db_session: Any) -> list[Result]:
    return list(db_session.scalars(sa.select(Result).order_by(Result.id)))


def head_level(db_session: Any, enrolment: Any, criterion: Any) -> int | None:
    head = db_session.get(ResultHead, (enrolment.id, criterion.id))
    return head.level_id if head else None


@pytest.fixture
def save_as(client: Any, login: Any, load_grid_form: Any) -> Any:
    """Someone loads a grid, sets some of its inputs (``{name: value}``) and saves it."""

    def save(person: Any, url: str, inputs: dict[str, str]) -> Any:
        login(person)
        data = load_grid_form(url)
        data.update(inputs)
        return client.post(url, data=data)

    return save


class Overtaken(NamedTuple):
    """Trainer A's grid form, loaded before trainer B saved cell `x` as acquired."""

    learner: Any
    crit: Any
    x: str
    loaded_by_a: dict[str, str]


@pytest.fixture
def overtaken(world: World, login: Any, load_grid_form: Any, save_as: Any) -> Overtaken:
    """A loads the grid, B then saves the first learner's first criterion as acquired, and A
    is logged in again with the form as loaded."""
    learner, crit = world.enrolments[0], world.criteria[0]
    x = "c-" + key(learner, crit)
    login(world.trainer_a)
    loaded_by_a = load_grid_form(world.grid_url)
    assert (
        save_as(world.trainer_b, world.grid_url, {x: str(world.levels["A"].id)}).status_code == 302
    )
    login(world.trainer_a)
    return Overtaken(learner, crit, x, loaded_by_a)


def test_save_records_only_changed_cells(
    client: Any, world: World, login: Any, load_grid_form: Any, db_session: Any
) -> None:
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    first, second = world.enrolments[:2]
    crit = world.criteria
    data["c-" + key(first, crit[0])] = str(world.levels["A"].id)
    data["c-" + key(second, crit[3])] = str(world.levels["NA"].id)
    response = client.post(world.grid_url, data=data)
    assert response.status_code == 302
    saved = results(db_session)
    assert len(saved) == 2
    assert {(r.enrolment_id, r.criterion_id, r.level_id) for r in saved} == {
        (first.id, crit[0].id, world.levels["A"].id),
        (second.id, crit[3].id, world.levels["NA"].id),
    }
    assert all(r.assessor_id == world.trainer_a.id and r.source == "web" for r in saved)
    assert all(r.session_id is None and r.recorded_at is not None for r in saved)
    assert head_level(db_session, first, crit[0]) == world.levels["A"].id
    event = db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "assessment.grid.save")
    )
    assert event is not None and event.details["results"] == 2

    # The same grid sent again as loaded: nothing new.
    again = load_grid_form(world.grid_url)
    response = client.post(world.grid_url, data=again, follow_redirects=True)
    assert "Aucune modification" in response.get_data(as_text=True)
    assert len(results(db_session)) == 2


def test_history_is_kept_and_the_latest_wins(
    client: Any, world: World, load_grid_form: Any, db_session: Any, save_as: Any
) -> None:
    learner, crit = world.enrolments[0], world.criteria[0]
    name = "c-" + key(learner, crit)
    for person, value in (
        (world.trainer_a, str(world.levels["NA"].id)),
        (world.trainer_b, str(world.levels["A"].id)),
        (world.trainer_b, ""),  # cleared: a result too
        (world.trainer_b, str(world.levels["A"].id)),
    ):
        assert save_as(person, world.grid_url, {name: value}).status_code == 302

    assert [r.level_id for r in results(db_session)] == [
        world.levels["NA"].id,
        world.levels["A"].id,
        None,
        world.levels["A"].id,
    ]
    assert load_grid_form(world.grid_url)[name] == str(world.levels["A"].id)
    html = client.get(f"{world.grid_url}/historique/{learner.id}/{crit.id}").get_data(as_text=True)
    rows = html[html.index("<tbody>") :]
    # Newest first: Acquis (B), vidée (B), Acquis (B), Non acquis (A).
    positions = [rows.index(escape(world.trainer_b.full_name)), rows.index("(vidée)")]
    assert positions == sorted(positions)
    assert rows.rindex("Non acquis") > rows.index("(vidée)")
    assert escape(world.trainer_a.full_name) in rows
    assert rows.count("grille en ligne") == 4
    assert escape(learner.learner.full_name) in html and crit.code in html


def test_history_of_a_cell_outside_the_grid_is_404(
    client: Any, world: World, make_world: Any, login: Any
) -> None:
    other = make_world()
    login(world.trainer_a)
    learner, crit = world.enrolments[0], world.criteria[0]
    base = f"{world.grid_url}/historique"
    assert client.get(f"{base}/{other.enrolments[0].id}/{crit.id}").status_code == 404
    assert client.get(f"{base}/{learner.id}/{other.criteria[0].id}").status_code == 404
    assert client.get(f"{base}/{world.withdrawn.id}/{crit.id}").status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "level_of_another_version",
        "not_a_number",
        "criterion_of_another_bloc",
        "enrolment_of_another_cohort",
        "withdrawn_enrolment",
        "head_of_another_cell",
        "missing_head",
        "comment_too_long",
    ],
)
def test_bad_input_saves_nothing(
    case: str,
    client: Any,
    make_world: Any,
    two_blocs_doc: dict[str, Any],
    login: Any,
    load_grid_form: Any,
    db_session: Any,
) -> None:
    world = make_world(two_blocs_doc)
    other = make_world()  # another version (MINI v1) and cohort
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    learner, crit = world.enrolments[0], world.criteria[0]
    # A first, valid change that must not be saved either.
    data["c-" + key(learner, crit)] = str(world.levels["A"].id)
    if case == "head_of_another_cell":
        data["c-" + key(learner, world.criteria[1])] = str(world.levels["EC"].id)
        assert client.post(world.grid_url, data=data).status_code == 302
        data = load_grid_form(world.grid_url)
        stolen = data["h-" + key(learner, world.criteria[1])]
        data["h-" + key(learner, crit)] = stolen
        data["c-" + key(learner, crit)] = str(world.levels["NA"].id)
    before = len(results(db_session))
    target = "c-" + key(world.enrolments[1], crit)
    bloc2 = next(b for b in world.version.blocs if b.code == "BC02")
    if case == "level_of_another_version":
        data[target] = str(other.levels["A"].id)
    elif case == "not_a_number":
        data[target] = "Acquis"
    elif case == "criterion_of_another_bloc":
        other_crit = bloc2.competencies[0].criteria[0]
        data[f"c-{learner.id}-{other_crit.id}"] = str(world.levels["A"].id)
        data[f"h-{learner.id}-{other_crit.id}"] = "0"
    elif case == "enrolment_of_another_cohort":
        data[f"c-{other.enrolments[0].id}-{crit.id}"] = str(world.levels["A"].id)
        data[f"h-{other.enrolments[0].id}-{crit.id}"] = "0"
    elif case == "withdrawn_enrolment":
        data[f"c-{world.withdrawn.id}-{crit.id}"] = str(world.levels["A"].id)
        data[f"h-{world.withdrawn.id}-{crit.id}"] = "0"
    elif case == "missing_head":
        del data["h-" + key(world.enrolments[1], crit)]
        data[target] = str(world.levels["A"].id)
    elif case == "comment_too_long":
        comp = world.bloc.competencies[0]
        data[f"m-{learner.id}-{comp.id}"] = "x" * 5001
    response = client.post(world.grid_url, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Rien n&#39;a été enregistré" in html or "Rien n'a été enregistré" in html
    assert len(results(db_session)) == before
    assert db_session.scalar(sa.select(sa.func.count(CompetencyComment.id))) == 0


def test_concurrent_edit_shows_both_values_and_applies_nothing(
    client: Any, world: World, db_session: Any, overtaken: Overtaken
) -> None:
    learner, crit, x, loaded_by_a = overtaken
    other_crit = world.criteria[1]
    y = "c-" + key(learner, other_crit)
    loaded_by_a[x] = str(world.levels["NA"].id)
    loaded_by_a[y] = str(world.levels["A"].id)
    response = client.post(world.grid_url, data=loaded_by_a)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    conflicts = html[html.index('class="conflicts"') : html.index('id="grid"')]
    assert escape(world.trainer_b.full_name) in conflicts
    assert "Acquis" in conflicts and "Non acquis" in conflicts
    assert escape(learner.learner.full_name) in conflicts and crit.code in conflicts
    # Nothing applied: only B's result exists, and Y is still empty.
    assert [(r.assessor_id, r.criterion_id) for r in results(db_session)] == [
        (world.trainer_b.id, crit.id)
    ]
    assert head_level(db_session, learner, other_crit) is None

    # Resolve: keep theirs (the default choice) for X; Y is applied.
    resolution = read_form(html)
    assert resolution[f"r-{learner.id}-{crit.id}"] == "theirs"
    assert resolution[x] == str(world.levels["NA"].id)  # what A typed is shown again
    assert client.post(world.grid_url, data=resolution).status_code == 302
    assert head_level(db_session, learner, crit) == world.levels["A"].id
    assert head_level(db_session, learner, other_crit) == world.levels["A"].id
    assert len(results(db_session)) == 2


def test_conflict_resolved_by_applying_mine(
    client: Any, world: World, db_session: Any, overtaken: Overtaken
) -> None:
    learner, crit, x, loaded_by_a = overtaken
    loaded_by_a[x] = str(world.levels["NA"].id)
    html = client.post(world.grid_url, data=loaded_by_a).get_data(as_text=True)
    resolution = read_form(html)
    resolution[f"r-{learner.id}-{crit.id}"] = "mine"
    assert client.post(world.grid_url, data=resolution).status_code == 302
    assert head_level(db_session, learner, crit) == world.levels["NA"].id
    assert [r.assessor_id for r in results(db_session)] == [world.trainer_b.id, world.trainer_a.id]


def test_a_stale_confirmation_conflicts_again(
    client: Any, world: World, login: Any, db_session: Any, save_as: Any, overtaken: Overtaken
) -> None:
    """The conflict page carries the ids it showed: a third change meanwhile is caught."""
    learner, crit, x, loaded_by_a = overtaken
    loaded_by_a[x] = str(world.levels["NA"].id)
    resolution = read_form(client.post(world.grid_url, data=loaded_by_a).get_data(as_text=True))
    resolution[f"r-{learner.id}-{crit.id}"] = "mine"
    save_as(world.trainer_b, world.grid_url, {x: ""})
    login(world.trainer_a)
    assert client.post(world.grid_url, data=resolution).status_code == 409
    assert head_level(db_session, learner, crit) is None


def test_same_value_meanwhile_is_not_a_conflict_and_records_nothing(
    client: Any, world: World, db_session: Any, overtaken: Overtaken
) -> None:
    """#13.6: a cell sent with its current value is unchanged, whoever set it."""
    loaded_by_a = overtaken.loaded_by_a
    loaded_by_a[overtaken.x] = str(world.levels["A"].id)
    assert client.post(world.grid_url, data=loaded_by_a).status_code == 302
    assert [r.assessor_id for r in results(db_session)] == [world.trainer_b.id]


def test_comments_are_appended_and_checked_for_conflicts(
    client: Any,
    world: World,
    login: Any,
    load_grid_form: Any,
    db_session: Any,
    save_as: Any,
) -> None:
    learner, comp = world.enrolments[0], world.bloc.competencies[0]
    name = f"m-{learner.id}-{comp.id}"
    first = "Prépare bien l'ordre du jour ; <b>à suivre</b>"
    assert save_as(world.trainer_a, world.grid_url, {name: first}).status_code == 302
    html = client.get(world.grid_url).get_data(as_text=True)
    assert escape("Prépare bien l'ordre du jour ; <b>à suivre</b>") in html
    loaded_by_a = load_grid_form(world.grid_url)

    later = "Ordre du jour envoyé trop tard."
    assert save_as(world.trainer_b, world.grid_url, {name: later}).status_code == 302

    login(world.trainer_a)
    loaded_by_a[name] = "Très bien."
    response = client.post(world.grid_url, data=loaded_by_a)
    assert response.status_code == 409
    assert "Ordre du jour envoyé trop tard." in response.get_data(as_text=True)
    texts = list(
        db_session.scalars(sa.select(CompetencyComment.text).order_by(CompetencyComment.id))
    )
    assert texts == [
        "Prépare bien l'ordre du jour ; <b>à suivre</b>",
        "Ordre du jour envoyé trop tard.",
    ]


def test_disagreement_is_flagged_and_can_be_settled(
    client: Any, world: World, login: Any, db_session: Any, save_as: Any
) -> None:
    learner, crit = world.enrolments[0], world.criteria[0]
    x = "c-" + key(learner, crit)
    save_as(world.trainer_a, world.grid_url, {x: str(world.levels["A"].id)})
    html = client.get(world.grid_url).get_data(as_text=True)
    assert "disagreement" not in html.split("<tbody>")[-1]

    save_as(world.trainer_b, world.grid_url, {x: str(world.levels["NA"].id)})
    html = client.get(world.grid_url).get_data(as_text=True)
    assert html.count('class="cell disagreement ') == 1
    flagged = html[html.index('class="cell disagreement ') :].split("</td>")[0]
    assert f'name="c-{learner.id}-{crit.id}"' in flagged
    assert 'aria-describedby="disagreement-note"' in flagged and "≠" in flagged
    note = '<span id="disagreement-note" class="visually-hidden">Désaccord entre évaluateur·rices'
    assert note in html

    # A agrees with B's value from the cell's history: the flag goes.
    login(world.trainer_a)
    history_url = f"{world.grid_url}/historique/{learner.id}/{crit.id}"
    history = client.get(history_url).get_data(as_text=True)
    assert "Désaccord entre évaluateur·rices." in history
    confirm = read_form(
        history.replace('<form method="post"', '<form id="confirm" method="post"'), "confirm"
    )
    response = client.post(history_url + "/confirmer", data=confirm)
    assert response.status_code == 302
    assert (
        "disagreement" not in client.get(world.grid_url).get_data(as_text=True).split("<tbody>")[1]
    )
    assert len(results(db_session)) == 3
    # A confirmation against a value that changed meanwhile records nothing.
    response = client.post(history_url + "/confirmer", data=confirm, follow_redirects=True)
    assert "La cellule a changé entre-temps" in response.get_data(as_text=True)
    assert len(results(db_session)) == 3


def test_results_are_never_updated_nor_deleted(
    client: Any, world: World, login: Any, load_grid_form: Any, db_session: Any
) -> None:
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    learner, crit, comp = world.enrolments[0], world.criteria[0], world.bloc.competencies[0]
    data["c-" + key(learner, crit)] = str(world.levels["A"].id)
    data[f"m-{learner.id}-{comp.id}"] = "Bien."
    client.post(world.grid_url, data=data)
    result = results(db_session)[0]
    result.level_id = world.levels["NA"].id
    with pytest.raises(AppendOnlyError):
        db_session.flush()
    db_session.rollback()
    db_session.delete(results(db_session)[0])
    with pytest.raises(AppendOnlyError):
        db_session.flush()
    db_session.rollback()
    comment = db_session.scalars(sa.select(CompetencyComment)).one()
    comment.text = "Autre chose"
    with pytest.raises(AppendOnlyError):
        db_session.flush()
    db_session.rollback()
    with pytest.raises(AppendOnlyError):
        db_session.execute(sa.update(Result).values(level_id=None))
    with pytest.raises(AppendOnlyError):
        db_session.execute(sa.delete(CompetencyComment))
    db_session.rollback()
    assert results(db_session)[0].level_id == world.levels["A"].id


def test_statuses_are_shown(client: Any, world: World, login: Any, load_grid_form: Any) -> None:
    learner = world.enrolments[0]
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    for crit in world.criteria:
        data["c-" + key(learner, crit)] = str(world.levels["A"].id)
    data["c-" + key(world.enrolments[1], world.criteria[0])] = str(world.levels["A"].id)
    client.post(world.grid_url, data=data)
    html = client.get(world.grid_url).get_data(as_text=True)
    body = html.split("<tbody>")[1]
    rows = body.split("<tr>")[1:]
    assert escape(learner.learner.full_name) in rows[0]
    assert rows[0].count('<span class="comp-status">acquise</span>') == 2
    assert "proposé à la validation" in rows[0]
    assert '<span class="comp-status">1/2</span>' in rows[1]
    assert '<span class="comp-status">0/2</span>' in rows[1]
    assert "en cours" in rows[1]


def test_withdrawn_learners_are_left_out(client: Any, world: World, login: Any) -> None:
    login(world.trainer_a)
    html = client.get(world.grid_url).get_data(as_text=True)
    assert "Albert Parti" not in html
    assert "Apprenant·es ayant abandonné, non affiché·es dans la grille : 1." in html
    for enrolment in world.enrolments:
        assert escape(enrolment.learner.full_name) in html


def test_results_carry_the_evaluation_session(
    client: Any,
    make_world: Any,
    two_blocs_doc: dict[str, Any],
    login: Any,
    load_grid_form: Any,
    db_session: Any,
) -> None:
    world = make_world(two_blocs_doc)
    bloc2 = next(b for b in world.version.blocs if b.code == "BC02")
    session = EvaluationSession(
        cohort_id=world.cohort.id,
        bloc_id=world.bloc.id,
        modality_id=world.bloc.modalities[0].id,
        session_date=dt.date(2025, 6, 2),
        title="Mise en situation de juin",
    )
    elsewhere = EvaluationSession(
        cohort_id=world.cohort.id, bloc_id=bloc2.id, session_date=dt.date(2025, 6, 3), title="BC02"
    )
    db_session.add_all([session, elsewhere])
    db_session.commit()
    login(world.trainer_a)
    url = f"{world.grid_url}?session={session.id}"
    data = load_grid_form(url)
    data["c-" + key(world.enrolments[0], world.criteria[0])] = str(world.levels["A"].id)
    assert client.post(url, data=data).headers["Location"].endswith(url)
    assert results(db_session)[0].session_id == session.id
    assert client.get(f"{world.grid_url}?session={elsewhere.id}").status_code == 404
    assert client.get(f"{world.grid_url}?session=99999").status_code == 404
    assert client.get(f"{world.grid_url}?session=abc").status_code == 404


def test_csrf_is_required(
    client: Any,
    app: Any,
    world: World,
    login: Any,
    load_grid_form: Any,
    db_session: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    assert data["csrf_token"]
    data["c-" + key(world.enrolments[0], world.criteria[0])] = str(world.levels["A"].id)
    forged = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post(world.grid_url, data=forged).status_code == 400
    assert results(db_session) == []
    assert client.post(world.grid_url, data=data).status_code == 302
    assert len(results(db_session)) == 1


def test_unknown_bloc_is_404(client: Any, world: World, login: Any) -> None:
    login(world.trainer_a)
    assert client.get(f"/promotions/{world.cohort.id}/grille/BC99").status_code == 404


def test_every_head_is_the_latest_result_of_its_cell(
    client: Any, world: World, login: Any, load_grid_form: Any, db_session: Any
) -> None:
    """Saves that move many heads at once, to different levels, and fill new cells."""
    login(world.trainer_a)
    codes = ["NA", "A"]
    for round_ in range(3):
        data = load_grid_form(world.grid_url)
        for i, learner in enumerate(world.enrolments):
            for k, crit in enumerate(world.criteria):
                if round_ == 0 and (i + k) % 2:
                    continue  # left empty: filled (new heads) in the next round
                data["c-" + key(learner, crit)] = str(world.levels[codes[(i + k + round_) % 2]].id)
        assert client.post(world.grid_url, data=data).status_code == 302
    latest = {
        (e, c): rid
        for e, c, rid in db_session.execute(
            sa.select(Result.enrolment_id, Result.criterion_id, sa.func.max(Result.id)).group_by(
                Result.enrolment_id, Result.criterion_id
            )
        )
    }
    heads = list(db_session.scalars(sa.select(ResultHead)))
    assert len(heads) == len(world.enrolments) * len(world.criteria) == len(latest)
    for head in heads:
        assert head.result_id == latest[(head.enrolment_id, head.criterion_id)]
        assert head.level_id == db_session.get(Result, head.result_id).level_id


def test_a_busy_database_keeps_what_was_typed(
    client: Any,
    world: World,
    login: Any,
    load_grid_form: Any,
    db_session: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.assessment import saving

    def busy(*args: Any, **kwargs: Any) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(saving, "save_grid", busy)
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    name = "c-" + key(world.enrolments[0], world.criteria[0])
    data[name] = str(world.levels["A"].id)
    response = client.post(world.grid_url, data=data)
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "rien n&#39;a été enregistré" in html
    assert read_form(html)[name] == str(world.levels["A"].id)
    assert results(db_session) == []


def test_summary_legend_and_level_colours(
    client: Any, world: World, login: Any, load_grid_form: Any
) -> None:
    first, second, third = world.enrolments
    crit = world.criteria
    levels = world.levels
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    data["c-" + key(first, crit[0])] = str(levels["A"].id)
    data["c-" + key(first, crit[1])] = str(levels["NA"].id)
    data["c-" + key(second, crit[3])] = str(levels["NA"].id)
    assert client.post(world.grid_url, data=data).status_code == 302
    login(world.trainer_b)
    data = load_grid_form(world.grid_url)
    data["c-" + key(first, crit[0])] = str(levels["NA"].id)
    assert client.post(world.grid_url, data=data).status_code == 302

    html = client.get(world.grid_url).get_data(as_text=True)
    summary = html[html.index('class="grid-summary"') : html.index('id="grid-legend"')]
    cells = len(world.enrolments) * len(crit)
    assert f"<strong>3 / {cells}</strong> cellules renseignées ({3 * 100 // cells} %)" in summary
    assert "<strong>1</strong> désaccord entre évaluateur·rices" in summary
    # The disagreement links to its cell, named by learner and criterion.
    name = escape(first.learner.full_name)
    target = f"c-{key(first, crit[0])}"
    assert f'<a href="#{target}" class="cell-link">{name} — <span class="code">' in summary
    assert f'<select name="{target}" id="{target}"' in html
    # The learner with nothing recorded is named.
    assert "<strong>1</strong> apprenant·e sans aucun résultat sur ce bloc" in summary
    empty_line = summary[summary.index("Sans aucun résultat :") :]
    assert escape(third.learner.full_name) in empty_line
    assert escape(second.learner.full_name) not in empty_line

    # Every level shows as its code in the cells, explained by a visible legend with its colour.
    legend = html[html.index('id="grid-legend"') : html.index('class="grid-help"')]
    ordered = list(world.version.scale_levels)
    for position, lvl in enumerate(ordered, start=1):
        assert f'<span class="level-swatch lv-{position}">{lvl.code}</span> {lvl.label}' in legend
        assert f'<option value="{lvl.id}">{lvl.code}</option>' in html
    assert "–" not in html.split("<tbody>")[1].split("</tbody>")[0]
    na = next(p for p, lvl in enumerate(ordered, start=1) if lvl.code == "NA")
    cell = html[: html.index(f'name="c-{key(second, crit[3])}"')].rsplit("<td", 1)[1]
    assert f'class="cell lv-{na}"' in cell
    # The Bloc column comes right after the learner's name.
    header = html[html.index('<th scope="col" rowspan="2" class="corner">') :]
    assert header.split("</th>", 1)[1].lstrip().startswith('<th scope="col" rowspan="2" id="bloc')
