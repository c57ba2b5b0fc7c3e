"""The learner's page: statuses, counts, feedback, sessions, decisions, history, picture."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest

from app.assessment.models import EvaluationSession
from app.db import utcnow
from app.jury.models import Decision
from app.people.models import Role
from tests.jury.factories import Pilot
from tests.progress.conftest import criterion, level


def page(client: Any, url: str = "/me") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def bloc_section(html: str, code: str) -> str:
    """The <section> of one bloc on the page."""
    start = html.index(f'<span class="code">{code}</span>', html.index('class="learner-bloc '))
    start = html.rindex("<section", 0, start)
    return html[start : html.index("</section>", start)]


@pytest.fixture
def learner_world(
    pilot: Pilot, grade: Any, comment: Any, closed_jury: Any, db_session: Any
) -> Pilot:
    """Élodie: BC01 validated by a closed jury, BC02 proposed (all acquired), BC03 in progress
    (not assessed); a deferred decision on BC02 at an earlier jury; feedback on C1.1."""
    me = pilot.enrolments[0]
    a, na = level(pilot, "A"), level(pilot, "NA")
    earlier = utcnow() - dt.timedelta(days=30)
    grade(me, [(criterion(pilot, "C1.1.a"), na)], pilot.trainer, at=earlier)
    grade(
        me,
        [(criterion(pilot, code), a) for code in ("C1.1.a", "C1.1.b", "C1.2.a", "C1.2.b")],
        pilot.trainer,
        at=earlier + dt.timedelta(days=1),
    )
    closed_jury(
        pilot,
        me,
        on=dt.date(2026, 1, 15),
        BC02=(Decision.DEFERRED, "Dossier de financement à compléter"),
    )
    grade(me, [(criterion(pilot, "C2.1.a"), a), (criterion(pilot, "C2.1.b"), a)], pilot.trainer)
    closed_jury(pilot, me, on=dt.date(2026, 3, 12), BC01=Decision.VALIDATED)
    comment(me, pilot, "C1.1", "Ordre du jour trop tardif.", pilot.trainer, at=earlier)
    comment(me, pilot, "C1.1", "Très bonne préparation,\nobjectifs clairs.", pilot.trainer)
    return pilot


def test_each_bloc_shows_its_status_and_counts(
    client: Any, login: Any, learner_world: Pilot
) -> None:
    login(learner_world.learners[0])
    html = page(client)
    bc01, bc02, bc03 = (bloc_section(html, code) for code in ("BC01", "BC02", "BC03"))
    assert "<h3" in bc01 and "Animer une coopération" in bc01
    assert ">validé<" in bc01 and "jury du 12/03/2026" in bc01
    assert "4 / 4 critères acquis" in bc01
    assert ">proposé à la validation<" in bc02 and "2 / 2 critères acquis" in bc02
    assert ">en cours<" in bc03 and "0 / 1 critères acquis" in bc03
    assert "facultatif" in bc03
    # A validated bloc: the attestation can be downloaded, and its check is signposted.
    me = learner_world.enrolments[0].id
    assert f'href="/me/attestation.pdf?inscription={me}"' in html and 'href="/verifier"' in html
    # Per competency: x / y.
    assert re.search(r"C1\.1</span>.*?<strong>2 / 2</strong>", bc01, re.S)
    assert re.search(r"C3\.1</span>.*?<strong>0 / 1</strong>", bc03, re.S)


def test_partly_acquired_competency(client: Any, login: Any, pilot: Pilot, grade: Any) -> None:
    me = pilot.enrolments[1]
    grade(me, [(criterion(pilot, "C2.1.a"), level(pilot, "A"))], pilot.trainer)
    grade(me, [(criterion(pilot, "C2.1.b"), level(pilot, "NA"))], pilot.trainer)
    login(pilot.learners[1])
    bc02 = bloc_section(page(client), "BC02")
    assert ">en cours<" in bc02 and "<strong>1 / 2</strong>" in bc02
    assert "compétence acquise" not in bc02


def test_latest_feedback_with_author_and_date(
    client: Any, login: Any, learner_world: Pilot
) -> None:
    login(learner_world.learners[0])
    bc01 = bloc_section(page(client), "BC01")
    assert "Très bonne préparation,\nobjectifs clairs." in bc01
    assert "Théo Formateur, le " + utcnow().astimezone().strftime("%d/%m/") in bc01
    assert "Ordre du jour trop tardif." not in bc01  # replaced by the latest one


def test_jury_decisions_of_closed_sessions_with_reason(
    client: Any, login: Any, learner_world: Pilot, db_session: Any
) -> None:
    from tests.jury.factories import decide, open_session

    me = learner_world.enrolments[0]
    still_open = open_session(db_session, learner_world, on=dt.date(2026, 6, 1), enrolments=[me])
    decide(learner_world, still_open, me, BC02=(Decision.NOT_VALIDATED, "Délibération secrète"))
    db_session.commit()
    login(learner_world.learners[0])
    html = page(client)
    decisions = html[html.index("Décisions du jury</h3>") :]
    decisions = decisions[: decisions.index("</ul>")]
    items = re.findall(r'<li class="jury-decision jury-decision-(\w+)">(.*?)</li>', decisions, re.S)
    # The blocs each session left undecided were closed as « non présenté ».
    assert {kind for kind, _ in items} == {"validated", "deferred", "not_presented"}
    items = [(kind, body) for kind, body in items if kind != "not_presented"]
    assert [kind for kind, _ in items] == ["validated", "deferred"]  # newest first
    assert "jury du 12/03/2026" in items[0][1] and "BC01" in items[0][1]
    assert "<strong>validé</strong>" in items[0][1]
    assert "jury du 15/01/2026" in items[1][1] and "<strong>ajourné</strong>" in items[1][1]
    assert "Motif : Dossier de financement à compléter" in items[1][1]
    assert "Délibération secrète" not in html and "01/06/2026" not in html


def test_upcoming_sessions_only(client: Any, login: Any, pilot: Pilot, db_session: Any) -> None:
    today = dt.date.today()
    bloc = pilot.bloc("BC02")
    db_session.add_all(
        [
            EvaluationSession(
                cohort=pilot.cohort,
                bloc=bloc,
                modality=bloc.modalities[0],
                session_date=today + dt.timedelta(days=10),
                title="Oral devant le comité",
            ),
            EvaluationSession(
                cohort=pilot.cohort,
                bloc=bloc,
                session_date=today - dt.timedelta(days=2),
                title="Session passée",
            ),
            EvaluationSession(
                cohort=pilot.other_cohort,
                bloc=bloc,
                session_date=today + dt.timedelta(days=3),
                title="Session de Lille",
            ),
        ]
    )
    db_session.commit()
    login(pilot.learners[0])
    html = page(client)
    sessions = html[
        html.index("Prochaines évaluations</h3>") : html.index("Décisions du jury</h3>")
    ]
    assert "Oral devant le comité" in sessions and "Étude de cas" in sessions
    assert (today + dt.timedelta(days=10)).isoformat() in sessions
    assert "Session passée" not in html and "Session de Lille" not in html


def test_no_sessions_no_decisions_no_history(client: Any, login: Any, pilot: Pilot) -> None:
    login(pilot.learners[2])
    html = page(client)
    assert "Aucune évaluation n'est prévue pour l'instant." in html
    assert "Aucune décision de jury pour l'instant." in html
    assert "Rien n'a encore été enregistré sur votre parcours." in html
    assert "attestation.pdf" not in html  # no validated bloc, no attestation


def test_only_own_data(
    client: Any, login: Any, learner_world: Pilot, grade: Any, comment: Any
) -> None:
    classmate = learner_world.enrolments[1]
    outsider = learner_world.outsider_enrolment
    comment(
        classmate, learner_world, "C1.1", "Commentaire pour Zoé seulement", learner_world.trainer
    )
    comment(outsider, learner_world, "C1.2", "Commentaire pour Octave", learner_world.other_trainer)
    grade(
        classmate,
        [(criterion(learner_world, "C3.1.a"), level(learner_world, "A"))],
        learner_world.trainer,
    )
    login(learner_world.learners[0])
    html = page(client)
    for other in (
        "Commentaire pour Zoé seulement",
        "Commentaire pour Octave",
        "Zoé N'Diaye",
        "Jean-Marc Œuvray",
        "Octave Dehors",
        "Tina Autre",
        "Promotion 2025 – Lille",
    ):
        assert other not in html, other
    assert ">en cours<" in bloc_section(html, "BC03")  # Zoé's C3.1.a result is not mine
    # And the classmate does not see Élodie's record.
    login(learner_world.learners[1])
    html = page(client)
    assert "Très bonne préparation" not in html and "Élodie" not in html
    assert "Commentaire pour Zoé seulement" in html


def test_history_newest_first_with_previous_value(
    client: Any, login: Any, learner_world: Pilot
) -> None:
    login(learner_world.learners[0])
    html = page(client)
    history = html[html.index('id="history-title"') :]
    entries = re.findall(r'<li class="history-entry history-(\w+)">(.*?)</li>', history, re.S)
    # Leave out the blocs closed as « non présenté » (closing refuses a bloc left undecided).
    entries = [(kind, body) for kind, body in entries if "non présenté" not in body]
    kinds = [kind for kind, _ in entries]
    assert kinds[0] == "decision"  # the March jury, closed last
    assert "BC01" in entries[0][1] and "validé" in entries[0][1]
    assert kinds.count("decision") == 2 and kinds.count("result") == 7
    changed = next(body for kind, body in entries if kind == "result" and "C1.1.a" in body)
    assert "Non acquis → <strong>Acquis</strong>" in changed and "par Théo Formateur" in changed
    first = [body for kind, body in entries if kind == "result" and "C1.1.a" in body][-1]
    assert "→" not in first and "<strong>Non acquis</strong>" in first
    assert "Voir tout l'historique" not in html


def test_history_is_limited_and_paginated(
    client: Any, login: Any, pilot: Pilot, grade: Any
) -> None:
    me = pilot.enrolments[0]
    crit = criterion(pilot, "C1.1.a")
    levels = [level(pilot, "A"), level(pilot, "NA")]
    start = utcnow() - dt.timedelta(days=200)
    for i in range(75):
        grade(me, [(crit, levels[i % 2])], pilot.trainer, at=start + dt.timedelta(hours=i))
    login(pilot.learners[0])
    html = page(client)
    assert html.count('class="history-entry') == 20
    assert 'href="/me/historique"' in html and "Voir tout l'historique" in html
    first = page(client, "/me/historique")
    assert first.count('class="history-entry') == 50
    assert 'href="/me/historique?page=2"' in first
    second = page(client, "/me/historique?page=2")
    assert second.count('class="history-entry') == 25
    assert "?page=3" not in second and 'href="/me/historique?page=1"' in second
    assert client.get("/me/historique?page=3").status_code == 404
    assert client.get("/me/historique?page=0").status_code == 404


def test_progress_picture_with_text_equivalent(
    client: Any, login: Any, learner_world: Pilot
) -> None:
    login(learner_world.learners[0])
    html = page(client)
    svg = re.search(r"<svg [^>]*>.*?</svg>", html, re.S)
    assert svg is not None
    tag = svg.group(0)
    assert 'role="img"' in tag
    caption_id = re.search(r'aria-labelledby="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
    assert re.search(rf'<figcaption id="{caption_id}">[^<]+</figcaption>', html)
    assert "<script" not in html and "style=" not in html
    # One bar per bloc, its width proportional to acquired / total criteria.
    bars = re.findall(r'<rect [^>]*class="chart-bar chart-bar-(\w+)"', tag)
    assert bars == ["validated", "proposed"]  # BC03 has nothing acquired: no filled bar
    assert 'width="320.0"' in tag
    assert "4 / 4 (100 %)" in tag and "2 / 2 (100 %)" in tag and "0 / 1 (0 %)" in tag
    # The same numbers as a table for screen readers.
    table = html[html.index('<div class="visually-hidden">\n  <table>') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    assert cells == [
        ["BC01 Animer une coopération", "4", "4", "100 %", "validé"],
        ["BC02 Développer une coopération", "2", "2", "100 %", "proposé à la validation"],
        ["BC03 Évaluer une coopération", "0", "1", "0 %", "en cours"],
    ]


def test_phone_friendly_markup(client: Any, login: Any, learner_world: Pilot) -> None:
    login(learner_world.learners[0])
    html = page(client)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    svg = re.search(r"<svg [^>]*>", html).group(0)  # type: ignore[union-attr]
    assert 'viewBox="0 0 320 ' in svg  # narrower than a 375 px screen, scales down with CSS
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "app/static/style.css").read_text()
    assert ".progress-chart svg { display: block; width: 100%;" in css


def test_two_enrolments_two_sections(
    client: Any, login: Any, pilot: Pilot, db_session: Any, grade: Any
) -> None:
    from app.cohorts.models import Enrolment

    me = pilot.learners[0]
    second = Enrolment(cohort=pilot.other_cohort, learner=me)
    db_session.add(second)
    db_session.commit()
    grade(second, [(criterion(pilot, "C3.1.a"), level(pilot, "A"))], pilot.other_trainer)
    login(me)
    html = page(client)
    assert html.count('<section class="enrolment"') == 2
    assert "Promotion 2025 – Lyon" in html and "Promotion 2025 – Lille" in html
    sections = html.split('<section class="enrolment"')[1:]
    lille = next(s for s in sections if "Promotion 2025 – Lille" in s.split("</h2>")[0])
    lyon = next(s for s in sections if "Promotion 2025 – Lyon" in s.split("</h2>")[0])
    assert "1 / 1 critères acquis" in lille and "1 / 1 critères acquis" not in lyon
    # The history says which cohort each entry belongs to.
    history = html[html.index('id="history-title"') :]
    assert "Promotion 2025 – Lille" in history


# The learner's own pages.
LEARNER_URLS = (
    "/me",
    "/me/historique",
    "/me/attestation.pdf",
    "/me/donnees",
    "/me/donnees.json",
    "/me/donnees.html",
)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.JURY])
def test_other_roles_are_refused(client: Any, login: Any, create_user: Any, role: Role) -> None:
    login(create_user(role))
    for url in LEARNER_URLS:
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(client: Any) -> None:
    for url in LEARNER_URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/connexion" in response.location, url


def test_learner_without_enrolment(client: Any, login: Any, create_user: Any) -> None:
    login(create_user(Role.LEARNER))
    html = page(client)
    assert "Vous n'êtes inscrit·e dans aucune promotion." in html
    assert "<svg" not in html


def test_each_criterion_shows_where_the_learner_stands(
    client: Any, login: Any, pilot: Pilot, grade: Any, comment: Any
) -> None:
    me = pilot.enrolments[1]
    grade(
        me,
        [
            (criterion(pilot, "C1.1.a"), level(pilot, "NA")),
            (criterion(pilot, "C2.1.a"), level(pilot, "A")),
        ],
        pilot.trainer,
    )
    comment(me, pilot, "C1.1", "Reprendre la préparation des réunions.", pilot.trainer)
    login(pilot.learners[1])
    html = page(client)
    found = re.findall(
        r'<li class="criterion-state criterion-(\w+)"><span class="state-badge state-\1">'
        r'[^<]+</span> <span class="code">([^<]+)</span>',
        html,
    )
    states = {code: state for state, code in found}
    assert states["C1.1.a"] == "not_acquired"
    assert states["C2.1.a"] == "acquired"
    assert states["C3.1.a"] == "not_assessed"
    assert set(states.values()) <= {"acquired", "not_acquired", "not_assessed"}
    bc01 = bloc_section(html, "BC01")
    assert 'non acquis</span> <span class="code">C1.1.a</span>' in bc01
    assert "Dernier retour : Théo Formateur" in bc01
    assert "Reprendre la préparation des réunions." in bc01


def test_criterion_states_on_a_three_level_scale() -> None:
    from types import SimpleNamespace

    from app.progress.page import _criterion_state

    na, ec, a = (SimpleNamespace(id=i) for i in (1, 2, 3))
    tree: Any = SimpleNamespace(scale_levels=(na, ec, a), acquired_levels=frozenset({3}))
    assert [_criterion_state(tree, x) for x in (None, 1, 2, 3)] == [
        "not_assessed",
        "not_acquired",
        "in_progress",
        "acquired",
    ]
