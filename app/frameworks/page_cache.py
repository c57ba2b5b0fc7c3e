"""The rendered content of published référentiel pages, kept in memory.

A published or retired version never changes its content (the before_flush guard in
services.py refuses it; retiring changes only the status), so the table and the matrix of such a
version are rendered once and reused, without loading the tree again. Only that part is kept:
the header (status, tabs) and the site's frame are rendered on every request, so retiring a
version shows at once. Drafts are never kept.

Each worker process has its own cache, bounded, least recently used out first. Workers need not
tell each other anything, since what is kept never changes. The key holds the version's
`published_at` besides its id, because SQLite gives a rolled-back insert's id to the next row:
two versions never share both. It holds the locale too, as the content holds translated text.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

from flask import current_app
from flask.sansio.app import App
from flask_babel import get_locale
from markupsafe import Markup

from app.frameworks.models import FrameworkVersion

EXTENSION = "frameworks.page_cache"
MAX_ENTRIES = 64
K = TypeVar("K")
V = TypeVar("V")


class Key(NamedTuple):
    version_id: int
    published_at: str
    page: str
    locale: str


class BoundedCache(Generic[K, V]):
    """A bounded, thread-safe map, least recently used out first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


RenderCache = BoundedCache[Key, Markup]  # a page's rendered content


def init_app(app: App) -> None:
    app.extensions.setdefault(EXTENSION, RenderCache())


def cache() -> RenderCache:
    cache: RenderCache = current_app.extensions[EXTENSION]
    return cache


def key(version: FrameworkVersion, page: str) -> Key:
    if version.published_at is None:
        raise ValueError(f"la version {version.label} est un brouillon : jamais en cache")
    return Key(version.id, version.published_at.isoformat(), page, str(get_locale()))


def content(version: FrameworkVersion, page: str, render: Callable[[], str]) -> Markup:
    """Return the page's immutable content: kept once rendered, unless the version is a draft.

    `render` returns the output of a template, which Jinja has escaped.
    """
    if version.published_at is None:
        return Markup(render())  # noqa: S704  (a template's output)
    page_key = key(version, page)
    html = cache().get(page_key)
    if html is None:
        # Rendered outside the lock: two threads may both render a cold page, to the same HTML.
        html = Markup(render())  # noqa: S704  (a template's output)
        cache().put(page_key, html)
    return html
