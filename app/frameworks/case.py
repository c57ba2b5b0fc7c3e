"""Référentiels as 1EdTech CASE packages: building a version's package, finding the published
ones for the read API, and bringing a package in as a new draft.

The exporter (exports/case.py), the reader (exports/case_import.py) and the mapping onto a
référentiel (exports/case_tree.py) are pure; this module gives them plain data from the
database and stores what they make. The caller commits.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from app.db import db
from app.frameworks import services
from app.frameworks.editing_services import load_version_by_id
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from app.frameworks.page_cache import BoundedCache
from exports import case, case_import, case_tree, guard

EXTENSION = "frameworks.case_packages"


def base_url() -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def source(version: FrameworkVersion) -> case.CaseSource:
    """The plain data a loaded version's package is built from (see services.load_version)."""
    code, label = version.certification.code, version.label
    return case.CaseSource(
        document=services.export_document(version),
        status=version.status.value,
        updated_at=version.updated_at,
        published_at=version.published_at,
        retired_at=version.retired_at,
        base_url=base_url(),
        page_url=f"{base_url()}/referentiels/{quote(code, safe='')}/{quote(label, safe='')}",
    )


def package(version: FrameworkVersion) -> dict[str, Any]:
    """The CFPackage of a loaded version."""
    return case.build_package(source(version))


def filename(version: FrameworkVersion) -> str:
    return f"{version.certification.code}-{version.label}.case.json"


# --- the read API: published versions only -------------------------------------------------------


class _Key(NamedTuple):
    version_id: int
    published_at: str
    retired_at: str | None
    base_url: str


def _cache() -> BoundedCache[_Key, dict[str, Any]]:
    cache: BoundedCache[_Key, dict[str, Any]] | None = current_app.extensions.get(EXTENSION)
    if cache is None:
        cache = current_app.extensions[EXTENSION] = BoundedCache(256)
    return cache


def package_of(row: FrameworkVersion) -> dict[str, Any] | None:
    """The package of a version whose row is loaded: kept once built unless it is a draft;
    None when the version is gone."""
    if row.published_at is None:
        loaded = load_version_by_id(row.id)
        return None if loaded is None else package(loaded)
    key = _Key(
        row.id,
        row.published_at.isoformat(),
        row.retired_at.isoformat() if row.retired_at else None,
        base_url(),
    )
    built = _cache().get(key)
    if built is None:
        loaded = load_version_by_id(row.id)
        if loaded is None:
            return None
        built = package(loaded)
        _cache().put(key, built)
    return built


def published_packages() -> list[dict[str, Any]]:
    """The package of every published or retired version, by certification then version.

    A published version's content never changes (see models.py); a retirement changes its
    document's status, and so its key. Packages are kept once built, as the pages are."""
    rows = db.session.scalars(
        sa.select(FrameworkVersion)
        .join(FrameworkVersion.certification)
        .options(contains_eager(FrameworkVersion.certification))
        .where(FrameworkVersion.status != VersionStatus.DRAFT)
        .order_by(Certification.code, FrameworkVersion.id)
    ).all()
    packages = []
    for row in rows:
        built = package_of(row)
        if built is not None:
            packages.append(built)
    return packages


def find_package(identifier: str) -> dict[str, Any] | None:
    """The package of the published document `identifier`."""
    return next(
        (p for p in published_packages() if p["CFDocument"]["identifier"] == identifier.lower()),
        None,
    )


def find_item(identifier: str) -> dict[str, Any] | None:
    """A CFItem of a published document, with the link to its document."""
    wanted = identifier.lower()
    for built in published_packages():
        for item in built["CFItems"]:
            if item["identifier"] == wanted:
                return case.standalone_item(built, item)
    return None


# --- import --------------------------------------------------------------------------------------


def import_package(
    data: bytes,
    *,
    file: str,
    code: str | None = None,
    label: str | None = None,
    level: int | None = None,
) -> tuple[FrameworkVersion, case_tree.Report]:
    """Read a CFPackage within the upload limits and store it as a new draft version.

    Raises `case_import.PackageError` for a package that cannot be read, `guard.Refused` for
    a file beyond the limits or not JSON, `FrameworkError` when the version exists already."""
    config = current_app.config
    limits = guard.Limits.from_config(config, max_bytes=int(config["CASE_MAX_BYTES"]))
    report = case_tree.to_document(
        case_import.read(data, limits, file=file), code=code, label=label, level=level
    )
    version = services.import_document(report.document)
    return version, report
