"""A draft's items added, changed, deleted and moved; a version published or retired."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.db import db
from app.frameworks import services
from app.frameworks.editing_services import (
    InvalidDraftError,
    Kind,
    _check_code,
    _claim,
    _claim_item,
    _done,
    _logged_name,
    _renumber,
    _set_fields,
    _set_links,
    parent_of,
    publication_problems,
)
from app.frameworks.models import (
    Activity,
    ActivityDomain,
    FrameworkError,
    FrameworkVersion,
)
from app.people import audit


def add_item(
    version: FrameworkVersion, revision: int, kind: Kind, parent: Any, values: dict[str, Any]
) -> Any:
    """Add an item at the end of its parent's list (`parent` is the version for top items)."""
    _claim(version, revision)
    _check_code(version, kind, values["code"])
    siblings = getattr(parent, kind.collection)
    item = kind.model(position=max((s.position for s in siblings), default=-1) + 1)
    if kind.parent is not None:
        item.version = version
    _set_fields(kind, item, values)
    siblings.append(item)
    _set_links(version, item, values)
    db.session.flush()
    _done(
        version,
        "add",
        f"{_logged_name(item)} : ajout",
        kind=kind.slug,
        item_id=item.id,
        code=item.code,
    )
    return item


def update_item(
    version: FrameworkVersion, revision: int, kind: Kind, item: Any, values: dict[str, Any]
) -> None:
    """Change an item's code and text (and an activity's domain, a competency's activities),
    if the item is still at `revision` (its own: other items' saves do not block this one)."""
    _claim_item(version, item, revision)
    _check_code(version, kind, values.get("code", item.code), item)
    before = item.code
    _set_fields(kind, item, values)
    _set_links(version, item, values)
    item.revision += 1
    audit.record(
        "framework.update",
        version,
        f"{_logged_name(item)} : modification",
        kind=kind.slug,
        item_id=item.id,
        code=item.code,
        previous_code=before,
    )


def delete_item(version: FrameworkVersion, revision: int, kind: Kind, item: Any) -> None:
    """Delete an item with everything under it; competencies lose their links to it."""
    _claim(version, revision)
    name, item_id, code = _logged_name(item), item.id, item.code
    if isinstance(item, ActivityDomain | Activity):
        gone = set(item.activities if isinstance(item, ActivityDomain) else [item])
        for bloc in version.blocs:
            for competency in bloc.competencies:
                if gone.intersection(competency.activities):
                    competency.activities = [a for a in competency.activities if a not in gone]
    siblings = getattr(parent_of(kind, item), kind.collection)
    siblings.remove(item)  # delete-orphan: the row and its content go at the next flush
    db.session.flush()
    _renumber(list(siblings))
    _done(
        version,
        "delete",
        f"{name} : suppression",
        kind=kind.slug,
        item_id=item_id,
        code=code,
    )


def move_item(version: FrameworkVersion, revision: int, kind: Kind, item: Any, step: int) -> None:
    """Move an item one place up (`step` -1) or down (+1) in its list; no-op at either end."""
    _claim(version, revision)
    order = list(getattr(parent_of(kind, item), kind.collection))
    i = order.index(item)
    j = i + step
    if step not in (-1, 1) or not 0 <= j < len(order):
        raise FrameworkError(_("Cet élément ne peut pas aller plus loin."))
    order[i], order[j] = order[j], order[i]
    _renumber(order)
    _done(
        version,
        "move",
        f"{_logged_name(item)} : déplacement",
        kind=kind.slug,
        item_id=item.id,
        code=item.code,
        position=j,
    )


# --- lifecycle -----------------------------------------------------------------------------------


def publish_draft(version: FrameworkVersion, revision: int) -> None:
    """Publish the loaded draft if `referentiel validate` finds nothing wrong with it."""
    _claim(version, revision)
    problems = publication_problems(version)
    if problems:
        raise InvalidDraftError(problems)
    services.publish(version)
    audit.record(
        "framework.publish",
        version,
        f"{version.certification.code} {version.label} publiée",
    )


def retire_version(version: FrameworkVersion) -> None:
    """Retire a published version: no new cohort may start on it."""
    db.session.refresh(version, ["status", "revision"], with_for_update=True)
    services.retire(version)
    audit.record(
        "framework.retire",
        version,
        f"{version.certification.code} {version.label} retirée",
    )
