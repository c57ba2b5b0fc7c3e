"""The revised 2026-12 référentiels (#14.9): every criterion observed by a modality of its bloc,
competencies that bundled several split, health and safety in CTD; the 2025-04 files untouched,
and the diff between the two showing every change."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from app.frameworks import comparison, documents, services
from tests.conftest import REFERENTIEL

NAMES = {"CTA": "animateur-cooperation-territoriale", "CTD": "developpeur-cooperation-territoriale"}
# Published versions never change: the 2025-04 files are the bytes published in April 2025.
PUBLISHED_2025_04 = {
    "CTA": "64cb17dfd7f187ba28f627241bd2e391a78c6b2ef8040796f3817909b6249bb0",
    "CTD": "afbff545bc4761b057ef82545ee5630400de6ed7c6b64a1112ee5f195e9a8e35",
}
# Competency split → the competency that took part of it (with criteria of its own).
SPLITS = {
    "CTA": {"C1.1": "C1.6", "C2.5": "C2.7", "C4.4": "C4.5"},
    "CTD": {"C3.4": "C3.5", "C4.3": "C4.6", "C5.2": "C5.4"},
}
WORD = re.compile(r"\w+(?:[’'·-]\w+)*")


def path_of(code: str, label: str) -> Path:
    return REFERENTIEL / f"{NAMES[code]}-{label}.yaml"


def load(code: str, label: str) -> dict[str, Any]:
    return documents.load(path_of(code, label))


def competencies(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for b in doc["blocs"] for c in b["competencies"]}


def words(text: str) -> int:
    return len(WORD.findall(text))


def bundles(statement: str, verbs: set[str]) -> bool:
    """Whether a statement's head (before its first comma, bracket or purpose) coordinates two
    actions: « Préparer et animer … », « Monter des dossiers … et négocier … »."""
    head = re.split(r",| \(| afin ", statement, maxsplit=1)[0].lower()
    follow = re.findall(r"\bet (?:en |y |l’|le |la |les )?([\wéèêàâîôûç]+)", head)
    return any(word in verbs for word in follow)


@pytest.fixture(scope="module")
def verbs() -> set[str]:
    """The action verbs the référentiels start their statements with."""
    found = {
        c["statement"].split()[0].lower()
        for path in sorted(REFERENTIEL.glob("*.yaml"))
        for c in competencies(documents.load(path)).values()
    }
    return found | {"animer", "mettre", "capitaliser", "réguler", "piloter", "négocier"}


@pytest.mark.parametrize("code", ["CTA", "CTD"])
def test_the_2025_04_files_are_the_published_bytes(code: str) -> None:
    digest = hashlib.sha256(path_of(code, "2025-04").read_bytes()).hexdigest()
    assert digest == PUBLISHED_2025_04[code]


@pytest.mark.parametrize("code", ["CTA", "CTD"])
def test_revised_files_are_valid_and_complete(code: str) -> None:
    doc = load(code, "2026-12")
    assert doc["version"]["label"] == "2026-12"
    cert = doc["certification"]
    for name in (
        "objectives_context",
        "sectors",
        "job_types",
        "entry_prerequisites",
        "validation_prerequisites",
        "regulations",
        "partners",
        "code_labels",
    ):
        assert cert[name], name
    for bloc in doc["blocs"]:
        assert bloc["validation_rule"].strip() and bloc["validity"], bloc["code"]


@pytest.mark.parametrize("code", ["CTA", "CTD"])
def test_every_criterion_is_covered_by_a_modality_of_its_bloc(code: str) -> None:
    doc = load(code, "2026-12")
    for bloc in doc["blocs"]:
        own = {m["code"] for m in bloc["modalities"]}
        used: set[str] = set()
        for comp in bloc["competencies"]:
            for criterion in comp["criteria"]:
                assert criterion["modalities"], criterion["code"]
                assert set(criterion["modalities"]) <= own, criterion["code"]
                used.update(criterion["modalities"])
        assert used == own, f"{bloc['code']}: a modality evaluates nothing"


def test_cta_bc01_asks_nothing_only_real_life_shows() -> None:
    """BC01 is assessed by a simulated steering committee and a written case."""
    bc01 = load("CTA", "2026-12")["blocs"][0]
    statements = " ".join(
        k["statement"] for comp in bc01["competencies"] for k in comp["criteria"]
    ).lower()
    for phrase in ("est à jour", "est diffusé à tous les membres", "membres interrogés"):
        assert phrase not in statements
    c42c = next(
        k
        for comp in competencies(load("CTA", "2026-12")).values()
        for k in comp["criteria"]
        if k["code"] == "C4.2.c"
    )
    assert "retenues par la gouvernance" not in c42c["statement"]


def test_an_uncovered_criterion_is_refused_with_file_line_and_field(
    runner: Any, tmp_path: Path
) -> None:
    text = path_of("CTA", "2026-12").read_text(encoding="utf-8")

    def validate(name: str, lines: list[str]) -> tuple[Path, Any]:
        """Write `lines` to `name` and validate it: the path and the command's result."""
        path = tmp_path / name
        path.write_text("".join(lines), encoding="utf-8")
        return path, runner.invoke(args=["referentiel", "validate", str(path)])

    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "- code: C1.2.c")
    assert lines[at + 2].strip().startswith("modalities:")
    del lines[at + 2]
    broken, result = validate("sans-modalite.yaml", lines)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:{at + 1}: critère C1.2.c : aucune modalité d'évaluation ne l'évalue "
        "(blocs.0.competencies.1.criteria.2.modalities)"
    ]

    lines = text.splitlines(keepends=True)
    lines[at + 2] = lines[at + 2].replace("[M1.1]", "[M1.1, M2.1]")
    other, result = validate("autre-bloc.yaml", lines)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{other}:{at + 3}: critère C1.2.c : « M2.1 » n'est pas une modalité d'évaluation du "
        "bloc BC01 (blocs.0.competencies.1.criteria.2.modalities.1)"
    ]


@pytest.mark.parametrize("code", ["CTA", "CTD"])
def test_no_statement_bundles_several_competencies(code: str, verbs: set[str]) -> None:
    before, after = competencies(load(code, "2025-04")), competencies(load(code, "2026-12"))
    # The check finds the bundles of 2025-04 it is meant to find…
    assert {"CTA": {"C1.1", "C4.4"}, "CTD": {"C3.4", "C4.3"}}[code] <= {
        c for c, comp in before.items() if bundles(comp["statement"], verbs)
    }
    # …and none in 2026-12, where no statement passes 60 words.
    for comp in after.values():
        assert words(comp["statement"]) <= 60, comp["code"]
        if words(comp["statement"]) >= 40:
            assert not bundles(comp["statement"], verbs), comp["code"]
    for old, new in SPLITS[code].items():
        assert words(after[old]["statement"]) < words(before[old]["statement"])
        assert len(after[old]["criteria"]) >= 2 and len(after[new]["criteria"]) >= 2
        own = {k["code"] for k in after[new]["criteria"]}
        assert all(k.startswith(f"{new}.") for k in own)


def test_ctd_covers_health_and_safety_at_work() -> None:
    doc = load("CTD", "2026-12")
    activities = {a["code"]: a for d in doc["activity_domains"] for a in d["activities"]}
    prevention = [a for a in activities.values() if "risques professionnels" in a["title"]]
    assert len(prevention) == 1
    bloc, comp = next(
        (b, c)
        for b in doc["blocs"]
        for c in b["competencies"]
        if prevention[0]["code"] in c["activities"]
    )
    text = " ".join([comp["statement"], *(k["statement"] for k in comp["criteria"])])
    assert "santé" in text and "sécurité" in text and "document unique" in text
    modalities = {m["code"]: m for m in bloc["modalities"]}
    covering = {m for k in comp["criteria"] for m in k["modalities"]}
    assert any("risques professionnels" in modalities[m]["title"] for m in covering)
    assert not any(
        "santé et la sécurité" in c["statement"]
        for c in competencies(load("CTD", "2025-04")).values()
    )


@pytest.mark.parametrize("code", ["CTA", "CTD"])
def test_the_diff_shows_the_revision(
    code: str, create_version: Any, client: Any, create_user: Any, login: Any
) -> None:
    for label in ("2025-04", "2026-12"):
        create_version(load(code, label), publish=True)
    result = comparison.diff(
        services.load_version(code, "2025-04"), services.load_version(code, "2026-12")
    )
    changes = {(c.change, c.kind, c.code, c.aspect) for c in result.changes}
    for old, new in SPLITS[code].items():
        assert ("reworded", "compétence", old, "") in changes
        assert ("added", "compétence", new, "") in changes
    assert ("added", "bloc", "BC01", "règle de validation") in changes
    assert ("added", "bloc", "BC01", "durée de validité") in changes
    assert ("added", "critère", "C1.2.a", "modalités") in changes
    assert ("added", "fiche", code, "objectifs et contexte") in changes
    if code == "CTA":
        assert ("removed", "critère", "C1.1.c", "") in changes
        assert ("reworded", "critère", "C4.2.c", "") in changes
        assert ("reworded", "modalité", "M1.1", "description") in changes
    else:
        assert ("added", "activité", "A4.6", "") in changes
        assert ("added", "modalité", "M4.3", "") in changes
        assert ("reworded", "critère", "C3.4.b", "") in changes
        assert ("reworded", "bloc", "BC04", "description") in changes

    login(create_user("coordinator"))
    html = client.get(f"/referentiels/{code}/comparer?a=2025-04&b=2026-12").get_data(as_text=True)
    for new in SPLITS[code].values():
        assert f'<span class="code">{new}</span>' in html
    assert "— règle de validation" in html and "— modalités" in html


def test_shipped_versions_load_in_label_order_whatever_their_names(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_bytes(path_of("CTA", "2025-04").read_bytes())
    (tmp_path / "a.yaml").write_bytes(path_of("CTA", "2026-12").read_bytes())
    (tmp_path / "0.yaml").write_bytes(path_of("CTD", "2025-04").read_bytes())
    loaded = documents.load_shipped(tmp_path)
    assert [(d["certification"]["code"], d["version"]["label"]) for d in loaded] == [
        ("CTA", "2025-04"),
        ("CTA", "2026-12"),
        ("CTD", "2025-04"),
    ]
    (tmp_path / "c.yaml").write_text("format: 2\n", encoding="utf-8")
    with pytest.raises(documents.DocumentError) as refused:
        documents.load_shipped(tmp_path)
    assert str(refused.value).startswith(f"{tmp_path / 'c.yaml'}:1: ")


@pytest.mark.parametrize("code", ["CTA", "CTD"])
def test_the_readiness_check_finds_nothing_to_fix_in_the_revised_content(
    code: str, app: Any, create_version: Any
) -> None:
    """Criteria 3° and 7°: what comes from the référentiel itself is ready (the dossier's texts
    and the national register are another matter)."""
    from app.dossier.readiness import Level, check

    create_version(load(code, "2026-12"), publish=True)
    with app.test_request_context():
        report = {c.key: c for c in check(services.load_version(code, "2026-12")).criteria}
    assert report["7"].level is Level.READY, report["7"].gaps
    assert [g.message for g in report["3"].gaps if "Texte à écrire" not in g.message] == [
        "Le répertoire national n'est pas chargé : rien ne montre que les référentiels ne "
        "reproduisent pas ceux d'une autre certification."
    ]
