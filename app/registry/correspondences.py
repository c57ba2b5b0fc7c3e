"""Correspondences (criterion 8°): the register's blocs closest to each of ours, and the
coordinator's verdict on them (total, partial, none).

Ranking a bloc of ours against the register:

- **Candidates**: blocs of active fiches of the same level that either hold our bloc's rarest
  words (one full-text query over their competencies and titles) or belong to a fiche sharing
  one of our ROME, NSF or Formacode codes.
- **Score** = 0.6 × text + 0.4 × codes. *Text* is the cosine of the two blocs' stems weighted
  by rarity (tf-idf over the register's statements); *codes* is the share of our codes the
  fiche also has (ROME counting three, NSF two, Formacode one).

The same ranking, summed per fiche over our blocs, gives the certifications of similar jobs
that criterion 2° compares insertion with.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.frameworks.models import Bloc, FrameworkVersion
from app.registry.matching import (
    MATCH_BUDGET,
    frequencies,
    ranked,
    rare_groups,
    safe_terms,
    statement_count,
)
from app.registry.models import (
    BlocCorrespondence,
    CodeKind,
    CorrespondenceKind,
    RegistryBloc,
    RegistryCode,
    RegistryFiche,
    RegistryStatement,
)
from app.registry.text import content_stems

TEXT_WEIGHT, CODE_WEIGHT = 0.6, 0.4
CODE_WEIGHTS = {CodeKind.ROME: 3, CodeKind.NSF: 2, CodeKind.FORMACODE: 1}
TEXT_CANDIDATES = 300  # statements read from the full-text index, best first
CODE_FICHES = 200  # fiches sharing a code read at most


@dataclass
class Candidate:
    fiche_number: str
    fiche_title: str
    bloc_code: str
    bloc_title: str
    score: float
    text: float
    codes: float
    shared_codes: list[str] = field(default_factory=list)
    shared_words: list[str] = field(default_factory=list)


def bloc_text(bloc: Bloc) -> str:
    return " ".join([bloc.title, *(c.statement for c in bloc.competencies)])


def _our_codes(version: FrameworkVersion) -> dict[CodeKind, set[str]]:
    return {
        CodeKind.ROME: {c.upper() for c in version.rome_codes},
        CodeKind.NSF: set(version.nsf_codes),
        CodeKind.FORMACODE: set(version.formacodes),
    }


def _cosine(ours: Counter[str], theirs: Counter[str], idf: dict[str, float]) -> float:
    dot = sum(ours[t] * theirs[t] * idf.get(t, 0.0) ** 2 for t in ours.keys() & theirs.keys())
    if not dot:
        return 0.0
    norm_a = math.sqrt(sum((n * idf.get(t, 0.0)) ** 2 for t, n in ours.items()))
    norm_b = math.sqrt(sum((n * idf.get(t, 0.0)) ** 2 for t, n in theirs.items()))
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0


def rank(
    session: Session, version: FrameworkVersion, bloc: Bloc, *, limit: int = 10
) -> list[Candidate]:
    """The register's blocs closest to `bloc`, best first."""
    stems = content_stems(bloc_text(bloc))
    ours = Counter(stems)
    df = frequencies(session, sorted(ours))
    total = max(statement_count(session), 1)
    dialect = session.get_bind().dialect.name
    same_level = [
        RegistryFiche.level == version.level,
        RegistryFiche.active.is_(True),
        RegistryFiche.withdrawn_at.is_(None),
    ]

    bloc_ids: set[int] = set()
    # The bloc's rarest words, alone while they are rare, else two by two (see rare_groups).
    rare = sorted(safe_terms([s for s in ours if s in df]), key=lambda s: (df[s], s))[:8]
    groups: list[tuple[str, ...]] = [(t,) for t in rare]
    if sum(df[t] for t in rare) > MATCH_BUDGET:
        groups = rare_groups(rare, df, pool=8)
    if groups:
        select = (
            sa.select(RegistryStatement.bloc_id)
            .join(RegistryFiche, RegistryFiche.id == RegistryStatement.fiche_id)
            .where(RegistryStatement.bloc_id.is_not(None), *same_level)
        )
        rows = session.execute(ranked(select, groups, dialect, TEXT_CANDIDATES))
        bloc_ids.update(row.bloc_id for row in rows)
    codes = _our_codes(version)
    sharing = sa.or_(
        *(
            sa.and_(RegistryCode.kind == kind, RegistryCode.code.in_(values))
            for kind, values in codes.items()
            if values
        )
    )
    if any(codes.values()):
        fiche_ids = (
            sa.select(RegistryCode.fiche_id)
            .join(RegistryFiche, RegistryFiche.id == RegistryCode.fiche_id)
            .where(sharing, *same_level)
            .distinct()
            .limit(CODE_FICHES)
        )
        bloc_ids.update(
            session.scalars(sa.select(RegistryBloc.id).where(RegistryBloc.fiche_id.in_(fiche_ids)))
        )
    if not bloc_ids:
        return []

    blocs = session.execute(
        sa.select(
            RegistryBloc.id,
            RegistryBloc.fiche_id,
            RegistryBloc.code,
            RegistryBloc.title,
            RegistryFiche.number,
            RegistryFiche.title.label("fiche_title"),
        )
        .join(RegistryFiche, RegistryFiche.id == RegistryBloc.fiche_id)
        .where(RegistryBloc.id.in_(bloc_ids))
    ).all()
    terms: dict[int, Counter[str]] = defaultdict(Counter)
    for statement in session.execute(
        sa.select(RegistryStatement.bloc_id, RegistryStatement.terms).where(
            RegistryStatement.bloc_id.in_(bloc_ids)
        )
    ):
        if statement.bloc_id is not None:
            terms[statement.bloc_id].update(statement.terms.split())
    fiche_codes: dict[int, set[tuple[CodeKind, str]]] = defaultdict(set)
    for code_row in session.execute(
        sa.select(RegistryCode.fiche_id, RegistryCode.kind, RegistryCode.code).where(
            RegistryCode.fiche_id.in_({b.fiche_id for b in blocs})
        )
    ):
        fiche_codes[code_row.fiche_id].add((code_row.kind, code_row.code))

    theirs_df = frequencies(session, sorted({t for c in terms.values() for t in c} - df.keys()))
    idf = {t: math.log(total / (1 + n)) for t, n in {**df, **theirs_df}.items()}
    for t in ours:
        idf.setdefault(t, math.log(total))
    possible = sum(CODE_WEIGHTS[k] * len(v) for k, v in codes.items()) or 1
    candidates = []
    for row in blocs:
        text = _cosine(ours, terms[row.id], idf)
        shared_codes = sorted(
            code for kind, code in fiche_codes[row.fiche_id] if code in codes[kind]
        )
        code_score = (
            sum(CODE_WEIGHTS[k] for k, c in fiche_codes[row.fiche_id] if c in codes[k]) / possible
        )
        candidates.append(
            Candidate(
                fiche_number=row.number,
                fiche_title=row.fiche_title,
                bloc_code=row.code,
                bloc_title=row.title,
                score=TEXT_WEIGHT * text + CODE_WEIGHT * code_score,
                text=text,
                codes=code_score,
                shared_codes=shared_codes,
                shared_words=sorted(
                    ours.keys() & terms[row.id].keys(), key=lambda t: -idf.get(t, 0)
                )[:8],
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.fiche_number, c.bloc_code))
    return candidates[:limit]


def similar_fiches(
    session: Session, version: FrameworkVersion, *, limit: int = 5
) -> list[tuple[str, str, float]]:
    """Fiches of similar jobs (criterion 2°): (number, title, score) by their blocs' scores."""
    scores: dict[tuple[str, str], float] = defaultdict(float)
    for bloc in version.blocs:
        best: dict[tuple[str, str], float] = {}
        for candidate in rank(session, version, bloc, limit=20):
            key = (candidate.fiche_number, candidate.fiche_title)
            best[key] = max(best.get(key, 0.0), candidate.score)
        for key, score in best.items():
            scores[key] += score / max(len(version.blocs), 1)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0][0]))
    return [(number, title, score) for (number, title), score in ordered[:limit]]


def marks(session: Session, version: FrameworkVersion) -> list[BlocCorrespondence]:
    """The coordinator's verdicts on this version's blocs, bloc by bloc."""
    return list(
        session.scalars(
            sa.select(BlocCorrespondence)
            .where(BlocCorrespondence.version_id == version.id)
            .order_by(BlocCorrespondence.bloc_code, BlocCorrespondence.fiche_number)
        )
    )


def mark(
    session: Session,
    version: FrameworkVersion,
    bloc_code: str,
    fiche_number: str,
    registry_bloc_code: str,
    kind: CorrespondenceKind,
    note: str,
    user_id: int | None,
) -> BlocCorrespondence:
    """Record (or change) the verdict on one pair of blocs."""
    if bloc_code not in {b.code for b in version.blocs}:
        raise ValueError(f"bloc inconnu dans {version.label} : {bloc_code}")
    found = session.execute(
        sa.select(RegistryBloc.title, RegistryFiche.title.label("fiche_title"))
        .join(RegistryFiche, RegistryFiche.id == RegistryBloc.fiche_id)
        .where(RegistryFiche.number == fiche_number, RegistryBloc.code == registry_bloc_code)
    ).first()
    if found is None:
        raise ValueError(f"bloc {registry_bloc_code} absent de la fiche {fiche_number}")
    row = session.scalar(
        sa.select(BlocCorrespondence).where(
            BlocCorrespondence.version_id == version.id,
            BlocCorrespondence.bloc_code == bloc_code,
            BlocCorrespondence.registry_bloc_code == registry_bloc_code,
        )
    )
    if row is None:
        row = BlocCorrespondence(
            version_id=version.id,
            bloc_code=bloc_code,
            registry_bloc_code=registry_bloc_code,
        )
        session.add(row)
    row.fiche_number = fiche_number
    row.fiche_title = found.fiche_title
    row.registry_bloc_title = found.title
    row.kind = kind
    row.note = note.strip()
    row.decided_by_id = user_id
    session.flush()
    return row
