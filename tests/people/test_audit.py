"""The audit log page: newest first, 50 per page, filtered by object type, fixed queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.people.models import AuditEvent, User


@pytest.fixture
def coordinator(create_user: Any, login: Any, organisation: Any) -> User:
    user = create_user("coordinator", name="Claire Coord", organisations=[organisation])
    login(user)
    return user


def add_events(db_session: Any, actor: User | None, count: int, object_type: str = "users") -> None:
    """Events of the logged-in coordinator's organisation (the journal shows only those)."""
    from app.people.models import Organisation

    organisation_id = db_session.scalars(sa.select(Organisation.id)).first()
    start = utcnow() - timedelta(days=1)
    for n in range(count):
        db_session.add(
            AuditEvent(
                actor=actor,
                action=f"test.action{n}",
                object_type=object_type,
                object_id=n,
                summary=f"Événement n°{n}",
                organisation_id=organisation_id,
                at=start + timedelta(minutes=n),
            )
        )
    db_session.commit()


def test_newest_first_with_who_and_what(client: Any, coordinator: User, db_session: Any) -> None:
    add_events(db_session, coordinator, 3)
    add_events(db_session, None, 1, object_type="cohorts")
    html = client.get("/journal").get_data(as_text=True)
    assert html.index("Événement n°2") < html.index("Événement n°1") < html.index("Événement n°0")
    assert "Claire Coord" in html and "test.action2" in html
    assert "ligne de commande" in html
    assert "4 événements" in html


def test_filter_by_object_type(client: Any, coordinator: User, db_session: Any) -> None:
    add_events(db_session, coordinator, 2, object_type="users")
    add_events(db_session, coordinator, 1, object_type="cohorts")
    html = client.get("/journal?type=cohorts").get_data(as_text=True)
    assert "1 événement," in html and "test.action0" in html and "test.action1" not in html
    assert '<option value="cohorts" selected>Promotions</option>' in html
    assert '<option value="users">Comptes</option>' in html


def test_pages_of_fifty(client: Any, coordinator: User, db_session: Any) -> None:
    add_events(db_session, coordinator, 60)
    first = client.get("/journal").get_data(as_text=True)
    assert first.count("<time ") == 50
    assert "Événement n°59" in first and "Événement n°10<" in first
    assert "Événement n°9<" not in first
    assert "Page 1 sur 2" in first and 'href="/journal?page=2"' in first
    second = client.get("/journal?page=2").get_data(as_text=True)
    assert second.count("<time ") == 10 and "Événement n°0<" in second
    assert client.get("/journal?page=3").status_code == 404
    assert client.get("/journal?page=abc").status_code == 200
    assert client.get("/journal?page=-4").status_code == 200


def test_html_in_summaries_is_escaped(client: Any, coordinator: User, db_session: Any) -> None:
    db_session.add(
        AuditEvent(
            actor=coordinator,
            action="x",
            object_type="users",
            summary="<b>gras</b>",
            organisation_id=coordinator.organisations[0].id,
        )
    )
    db_session.commit()
    html = client.get("/journal").get_data(as_text=True)
    assert "&lt;b&gt;gras&lt;/b&gt;" in html and "<b>gras</b>" not in html


def test_query_count_does_not_grow_with_events(
    client: Any, coordinator: User, create_user: Any, db_session: Any, count_queries: Any
) -> None:
    actors = [create_user("trainer") for _ in range(5)]
    for actor in actors[:2]:
        add_events(db_session, actor, 5)
    with count_queries() as few:
        assert client.get("/journal").status_code == 200
    for actor in actors:
        add_events(db_session, actor, 12)
    with count_queries() as many:
        assert client.get("/journal").status_code == 200
    assert many.count == few.count
    assert few.count <= 7
