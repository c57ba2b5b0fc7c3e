"""Start a draft référentiel from a fiche of the register (#15.5).

The fiche's activities, blocs, competency lines and modalities become the draft's, each item
marked `borrowed_from` the fiche, so the copy check says where they came from. Nothing else is
made up: the scale and the criteria are left to write, and the editor's checks say so.
"""

from __future__ import annotations

from typing import Any

from app.frameworks import services
from app.frameworks.models import FrameworkVersion
from app.people import audit
from app.registry.models import CodeKind, RegistryFiche, StatementKind


def document_from(fiche: RegistryFiche, code: str, label: str, certifier: str) -> dict[str, Any]:
    """A référentiel document (format 1) holding what the fiche says, items marked borrowed."""
    activities = [line for line in fiche.activities.splitlines() if line.strip()]
    codes = {kind: [c.code for c in fiche.codes if c.kind is kind] for kind in CodeKind}
    return {
        "format": 1,
        "certification": {
            "code": code,
            "title": fiche.title[:300],
            "level": fiche.level or 5,
            "nsf": codes[CodeKind.NSF][:3],
            "rome": codes[CodeKind.ROME][:5],
            "formacode": codes[CodeKind.FORMACODE][:5],
            "certifier": {"name": certifier},
        },
        "version": {"label": label, "notes": f"Brouillon ouvert depuis la fiche {fiche.number}."},
        "scale": {"competency_rule": "all", "levels": []},
        "activity_domains": [
            {
                "code": "D1",
                "title": "Activités visées",
                "activities": [
                    {"code": f"A1.{n}", "title": text[:300], "borrowed_from": fiche.number}
                    | ({"description": text} if len(text) > 300 else {})
                    for n, text in enumerate(activities, start=1)
                ],
            }
        ]
        if activities
        else [],
        "blocs": [
            {
                "code": f"BC{b:02d}",
                "title": bloc.title[:300],
                "optional": False,
                "borrowed_from": fiche.number,
                "modalities": [
                    {"code": f"M{b}.{m}", "title": text[:300]}
                    for m, text in enumerate(
                        [t for t in bloc.modalities.splitlines() if t.strip()], start=1
                    )
                ],
                "competencies": [
                    {
                        "code": f"C{b}.{c}",
                        "statement": statement.text[:4000],
                        "borrowed_from": fiche.number,
                        "activities": [],
                        "criteria": [],
                    }
                    for c, statement in enumerate(
                        [s for s in bloc.statements if s.kind is StatementKind.COMPETENCY],
                        start=1,
                    )
                ],
            }
            for b, bloc in enumerate(fiche.blocs, start=1)
        ],
    }


def start_draft_from(
    fiche: RegistryFiche, code: str, label: str, certifier: str
) -> FrameworkVersion:
    """Create the draft (a new certification when `code` is new); audited."""
    version = services.import_document(document_from(fiche, code, label, certifier))
    audit.record(
        "framework.create",
        version,
        f"Brouillon {code} {label} ouvert depuis la fiche {fiche.number}",
        code=code,
        label=label,
        fiche=fiche.number,
    )
    return version
