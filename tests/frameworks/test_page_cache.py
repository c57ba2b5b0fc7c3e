"""Published référentiel pages served from the render cache (app/frameworks/page_cache.py)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from markupsafe import Markup

from app.db import db
from app.frameworks import documents, draft_items, page_cache, services
from app.frameworks import editing_services as editing
from app.frameworks.models import FrameworkVersion
from tests.conftest import REAL_FILES
from tests.editor.conftest import item, reload

PAGES = ["", "/matrice"]


@pytest.fixture
def cache(app: Flask) -> Iterator[page_cache.RenderCache]:
    """The application's render cache, empty at the start and at the end of the test."""
    cache: page_cache.RenderCache = app.extensions[page_cache.EXTENSION]
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def largest_doc() -> dict[str, Any]:
    return max((documents.load(p) for p in REAL_FILES), key=lambda d: len(str(d)))


def _without_csrf(html: bytes) -> bytes:
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", html)


@pytest.mark.parametrize("suffix", PAGES)
def test_second_request_takes_fewer_queries(
    client: Any,
    create_version: Any,
    largest_doc: dict[str, Any],
    count_queries: Any,
    cache: page_cache.RenderCache,
    suffix: str,
) -> None:
    """A miss loads the row then the tree; a hit only the row, whatever the file's size."""
    create_version(publish=True)
    create_version(largest_doc, publish=True)
    big = (largest_doc["certification"]["code"], largest_doc["version"]["label"])
    counts: dict[str, list[int]] = {"miss": [], "hit": []}
    for code, label in (("MINI", "v1"), big):
        for attempt in ("miss", "hit"):
            with count_queries() as counter:
                assert client.get(f"/referentiels/{code}/{label}{suffix}").status_code == 200
            counts[attempt].append(counter.count)
    assert counts == {"miss": [12, 12], "hit": [1, 1]}
    assert len(cache) == 2


@pytest.mark.parametrize("suffix", PAGES)
@pytest.mark.parametrize("role", [None, "coordinator"])
def test_a_hit_is_the_same_page_as_a_miss(
    client: Any,
    create_version: Any,
    largest_doc: dict[str, Any],
    create_user: Any,
    login: Any,
    cache: page_cache.RenderCache,
    suffix: str,
    role: str | None,
) -> None:
    create_version(publish=True)
    create_version(largest_doc, publish=True)
    if role:
        login(create_user(role))
    big = (largest_doc["certification"]["code"], largest_doc["version"]["label"])
    for code, label in (("MINI", "v1"), big):
        url = f"/referentiels/{code}/{label}{suffix}"
        cached = len(cache)
        miss = client.get(url).get_data()
        assert len(cache) == cached + 1
        hit = client.get(url).get_data()
        assert len(cache) == cached + 1
        assert _without_csrf(hit) == _without_csrf(miss)


def test_a_draft_is_never_cached(
    client: Any,
    create_version: Any,
    mini_doc: dict[str, Any],
    create_user: Any,
    login: Any,
    count_queries: Any,
    cache: page_cache.RenderCache,
) -> None:
    published = copy.deepcopy(mini_doc)
    published["version"]["label"] = "v0"
    create_version(published, publish=True)
    draft = create_version()
    login(create_user("coordinator"))
    for suffix in PAGES:
        assert client.get(f"/referentiels/MINI/v1{suffix}").status_code == 200
    assert len(cache) == 0
    comp = item(draft, "competence", "C1.1")
    draft_items.update_item(
        draft,
        draft.revision,
        editing.KINDS["competence"],
        comp,
        {"statement": "Tenir le cap afin de servir la coopération"},
    )
    db.session.commit()
    html = client.get("/referentiels/MINI/v1").get_data(as_text=True)
    assert "Tenir le cap afin de servir la coopération" in html
    matrix = client.get("/referentiels/MINI/v1/matrice").get_data(as_text=True)
    assert 'title="Tenir le cap afin de servir la coopération"' in matrix
    assert len(cache) == 0
    # Against a cached published version, for the same user: the draft's tree is loaded again.
    client.get("/referentiels/MINI/v0")
    with count_queries() as hit:
        client.get("/referentiels/MINI/v0")
    with count_queries() as again:
        client.get("/referentiels/MINI/v1")
    assert again.count == hit.count + 11


@pytest.mark.parametrize("suffix", PAGES)
def test_retiring_shows_at_once_on_a_cached_page(
    client: Any,
    create_version: Any,
    count_queries: Any,
    cache: page_cache.RenderCache,
    suffix: str,
) -> None:
    version = create_version(publish=True)
    url = f"/referentiels/MINI/v1{suffix}"
    client.get(url)
    published = client.get(url).get_data(as_text=True)
    assert 'class="status status-published">publiée<' in published
    services.retire(reload(version.id))
    db.session.commit()
    with count_queries() as counter:
        retired = client.get(url).get_data(as_text=True)
    assert counter.count == 1  # still served from the cache
    assert 'class="status status-retired">retirée<' in retired
    assert "status-published" not in retired
    assert retired == published.replace(
        'class="status status-published">publiée<', 'class="status status-retired">retirée<'
    )


def test_a_reused_id_with_another_published_at_does_not_collide(
    app: Flask, cache: page_cache.RenderCache
) -> None:
    def version(published_at: datetime) -> FrameworkVersion:
        return FrameworkVersion(id=7, label="v1", published_at=published_at)

    first = version(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    second = version(datetime(2025, 4, 1, 9, 0, 0, 1, tzinfo=UTC))

    def never() -> str:
        raise AssertionError("rendered again")

    with app.test_request_context():
        assert page_cache.content(first, "version", lambda: "<p>première</p>") == Markup(
            "<p>première</p>"
        )
        assert page_cache.content(second, "version", lambda: "<p>seconde</p>") == Markup(
            "<p>seconde</p>"
        )
        assert page_cache.content(first, "version", never) == Markup("<p>première</p>")
        assert page_cache.content(second, "version", never) == Markup("<p>seconde</p>")
        assert page_cache.content(first, "matrix", lambda: "<table>") == Markup("<table>")
        assert len(cache) == 3
        draft = FrameworkVersion(id=8, label="v2", published_at=None)
        assert page_cache.content(draft, "version", lambda: "<p>brouillon</p>") == Markup(
            "<p>brouillon</p>"
        )
        with pytest.raises(ValueError):
            page_cache.key(draft, "version")
        assert len(cache) == 3


def test_the_cache_is_bounded_least_recently_used_out_first() -> None:
    cache = page_cache.RenderCache(max_entries=3)
    keys = [page_cache.Key(n, "2025-04-01T09:00:00+00:00", "version", "fr") for n in range(5)]
    for key in keys[:3]:
        cache.put(key, Markup("<p>{}</p>").format(key.version_id))
    assert cache.get(keys[0]) == Markup("<p>0</p>")  # 0 is now the most recently used
    cache.put(keys[3], Markup("<p>3</p>"))
    assert len(cache) == 3
    assert cache.get(keys[1]) is None  # the least recently used went out
    cache.put(keys[4], Markup("<p>4</p>"))
    assert len(cache) == 3
    assert keys[2] not in cache and keys[0] in cache
