"""The header of a CASE package mapped onto a référentiel document (exports/case_tree.py maps
its tree): the certification and version blocks from the CFDocument and our extension, and the
scale from our rubric or a foreign one. What had to be made up is said in `notes`.

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from exports import case_values as cv
from exports.case import EXTENSION, FICHE_KEYS


@dataclass(frozen=True)
class Header:
    document: dict[str, Any]
    document_id: str
    ext: dict[str, Any]  # our extension on the CFDocument ({} when absent)


def scale(package: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The package's scale: ours when it carries it, else a rubric's levels, else the default."""
    rubrics = [r for r in package.get("CFRubrics", []) if isinstance(r, dict)]
    ours = (rubrics[0].get("extensions") or {}).get(EXTENSION) if rubrics else None
    if isinstance(ours, dict):
        levels = cv.our_levels(ours.get("levels"))
        if levels:
            scale: dict[str, Any] = {"competency_rule": "all", "levels": levels}
            minimum = ours.get("minimumCriteria")
            if ours.get("competencyRule") == "minimum" and isinstance(minimum, int) and minimum > 0:
                scale.update(competency_rule="minimum", minimum_criteria=minimum)
            return scale
    for r, rubric in enumerate(rubrics):
        for criterion in rubric.get("CFRubricCriteria", []):
            levels = cv.rubric_levels(criterion.get("CFRubricCriterionLevels", []))
            if levels:
                notes.append(
                    f"échelle reprise des niveaux de la grille $.CFRubrics[{r}] ; seul le plus "
                    "haut compte comme acquis (à vérifier dans l'éditeur)"
                )
                return {"competency_rule": "all", "levels": levels}
    notes.append(
        "le paquet ne donne pas d'échelle utilisable : échelle Non acquis / En cours "
        "d'acquisition / Acquis par défaut"
    )
    return {"competency_rule": "all", "levels": copy.deepcopy(cv.DEFAULT_SCALE)}


def certification(
    header: Header, notes: list[str], code: str | None, level: int | None
) -> dict[str, Any]:
    """The certification block, from the CFDocument and our extension."""
    ext = header.ext
    document = header.document
    given_code = code or ext.get("certificationCode")
    if not isinstance(given_code, str) or not cv.CODE_RE.match(given_code):
        given_code = "CASE-" + header.document_id.replace("-", "")[:8].upper()
        notes.append(f"code de certification : « {given_code} »")
    if level is None:
        level = ext.get("level") if isinstance(ext.get("level"), int) else None
    if level is None or not 1 <= level <= 8:
        level = cv.DEFAULT_LEVEL
        notes.append(
            f"le paquet ne donne pas le niveau de la certification : {cv.DEFAULT_LEVEL} par "
            "défaut, à corriger dans l'éditeur"
        )
    certifier = cv.one_line(document.get("publisher") or document.get("creator"))[: cv.TITLE_MAX]
    cert: dict[str, Any] = {
        "code": given_code,
        "title": cv.one_line(document.get("title"))[: cv.TITLE_MAX] or "(sans intitulé)",
        "level": level,
    }
    for key, (pattern, most) in cv.CODE_LISTS.items():
        values = ext.get(key)
        if isinstance(values, list):
            kept = [v for v in values if isinstance(v, str) and pattern.match(v)][:most]
            if kept:
                cert[key] = list(dict.fromkeys(kept))
    cert["certifier"] = {"name": certifier or "(certificateur inconnu)"}
    siret = ext.get("certifierSiret")
    if isinstance(siret, str) and cv.SIRET_RE.match(siret):
        cert["certifier"]["siret"] = siret
    # The fiche's fields, as our export writes them (the référentiel's validation, on
    # import, holds them to the format).
    fiche = ext.get("fiche")
    if isinstance(fiche, dict):
        cert.update({key: copy.deepcopy(fiche[key]) for key in FICHE_KEYS if key in fiche})
    return cert


def version(header: Header, label: str | None) -> dict[str, Any]:
    """The version block: its label and notes."""
    document = header.document
    candidates = [label, header.ext.get("versionLabel"), cv.one_line(document.get("version"))]
    stamp = str(document.get("lastChangeDateTime", ""))[:10]
    candidates.append(stamp)
    chosen = next((c for c in candidates if isinstance(c, str) and cv.CODE_RE.match(c)), "import")
    if EXTENSION in (document.get("extensions") or {}):
        text = str(document.get("notes") or "")
    else:
        source = document.get("officialSourceURL") or document.get("uri")
        text = (
            f"Importé du paquet CASE « {cv.one_line(document.get('title'))} » "
            f"(identifiant {header.document_id}"
            + (f", version {cv.one_line(document['version'])}" if document.get("version") else "")
            + (f", source {source}" if source else "")
            + ")."
        )
        if document.get("description"):
            text += "\n\n" + str(document["description"]).strip()
    version: dict[str, Any] = {"label": chosen}
    if text.strip():
        version["notes"] = text[: cv.NOTES_MAX]
    return version
