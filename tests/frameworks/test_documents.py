"""Reading and validating référentiel files: one test per class of bad input."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.frameworks import documents
from tests.conftest import DATA, REAL_FILES


def problems_of(text: str | bytes, max_bytes: int = documents.DEFAULT_MAX_BYTES) -> list[str]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        parsed = documents.parse_bytes(raw, max_bytes)
    except documents.DocumentError as exc:
        return [p.format("f.yaml") for p in exc.problems]
    return [p.format("f.yaml") for p in documents.validate_document(parsed)]


def dumped(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_real_files_are_valid() -> None:
    """One file per published version, named after its label: two versions of each."""
    assert len(REAL_FILES) == 4
    versions = []
    for path in REAL_FILES:
        doc = documents.load(path)
        assert path.stem.endswith(f"-{doc['version']['label']}")
        versions.append((doc["certification"]["code"], doc["version"]["label"]))
    assert sorted(versions) == [
        ("CTA", "2025-04"),
        ("CTA", "2026-12"),
        ("CTD", "2025-04"),
        ("CTD", "2026-12"),
    ]


def test_small_file_is_valid() -> None:
    assert problems_of((DATA / "mini.yaml").read_text(encoding="utf-8")) == []


def test_yaml_syntax_error_gives_its_line() -> None:
    text = "format: 1\ncertification:\n  code: [unclosed\n  title: x\n"
    [problem] = problems_of(text)
    assert problem.startswith("f.yaml:4: YAML invalide")


def test_missing_field_names_the_item_and_line(mini_doc: dict[str, Any]) -> None:
    del mini_doc["blocs"][0]["competencies"][1]["statement"]
    text = dumped(mini_doc)
    [problem] = problems_of(text)
    assert f"f.yaml:{line_of(text, 'code: C1.2')}:" in problem
    assert "compétence C1.2" in problem
    assert "statement" in problem


def test_wrong_type_and_pattern(mini_doc: dict[str, Any]) -> None:
    mini_doc["certification"]["level"] = "cinq"
    mini_doc["certification"]["rome"] = ["K18"]
    text = dumped(mini_doc)
    problems = problems_of(text)
    assert len(problems) == 2
    assert any(p.startswith(f"f.yaml:{line_of(text, 'level:')}:") for p in problems)
    assert any("'K18'" in p and p.startswith(f"f.yaml:{line_of(text, 'K18')}:") for p in problems)


def test_level_out_of_range(mini_doc: dict[str, Any]) -> None:
    mini_doc["certification"]["level"] = 9
    assert len(problems_of(dumped(mini_doc))) == 1


def test_unknown_field(mini_doc: dict[str, Any]) -> None:
    mini_doc["blocs"][0]["competencies"][0]["note"] = "?"
    [problem] = problems_of(dumped(mini_doc))
    assert "champ inconnu" in problem and "compétence C1.1" in problem


def test_duplicate_codes(mini_doc: dict[str, Any]) -> None:
    mini_doc["blocs"][0]["competencies"][1]["code"] = "C1.1"
    text = dumped(mini_doc)
    [problem] = problems_of(text)
    first, second = [
        n for n, line in enumerate(text.splitlines(), 1) if line.endswith("code: C1.1")
    ]
    assert problem.startswith(f"f.yaml:{second}: compétence C1.1")
    assert f"ligne {first}" in problem


def test_code_shared_between_kinds_is_refused(mini_doc: dict[str, Any]) -> None:
    mini_doc["blocs"][0]["code"] = "D1"
    [problem] = problems_of(dumped(mini_doc))
    assert "bloc D1 : code déjà utilisé" in problem


def test_unknown_activity_reference(mini_doc: dict[str, Any]) -> None:
    mini_doc["blocs"][0]["competencies"][0]["activities"] = ["A1.1", "A9.9"]
    text = dumped(mini_doc)
    [problem] = problems_of(text)
    assert (
        problem == f"f.yaml:{line_of(text, 'A9.9')}: compétence C1.1 : activité inconnue « A9.9 »"
    )


def test_bloc_without_competencies(mini_doc: dict[str, Any]) -> None:
    mini_doc["blocs"].append(
        {
            "code": "BC02",
            "title": "Vide",
            "modalities": [{"code": "M2", "title": "Oral"}],
            "competencies": [],
        }
    )
    text = dumped(mini_doc)
    [problem] = problems_of(text)
    assert problem == f"f.yaml:{line_of(text, 'code: BC02')}: bloc BC02 : aucune compétence"


def test_competency_without_criteria(mini_doc: dict[str, Any]) -> None:
    mini_doc["blocs"][0]["competencies"][1]["criteria"] = []
    [problem] = problems_of(dumped(mini_doc))
    assert "compétence C1.2 : aucun critère d'évaluation" in problem


def test_unused_activity_and_bad_scale(mini_doc: dict[str, Any]) -> None:
    mini_doc["activity_domains"][0]["activities"].append({"code": "A1.3", "title": "Rien"})
    for level in mini_doc["scale"]["levels"]:
        level["acquired"] = False
    problems = problems_of(dumped(mini_doc))
    assert any("activité A1.3 : reliée à aucune compétence" in p for p in problems)
    assert any("aucun niveau ne compte comme acquis" in p for p in problems)


def test_minimum_rule_needs_its_number(mini_doc: dict[str, Any]) -> None:
    mini_doc["scale"]["competency_rule"] = "minimum"
    assert any("minimum_criteria" in p for p in problems_of(dumped(mini_doc)))
    mini_doc["scale"]["minimum_criteria"] = 3
    problems = problems_of(dumped(mini_doc))
    assert len(problems) == 2 and all("moins que le minimum" in p for p in problems)


def test_duplicate_key(mini_doc: dict[str, Any]) -> None:
    text = dumped(mini_doc).replace("  level: 5\n", "  level: 5\n  level: 6\n")
    [problem] = problems_of(text)
    assert problem == f"f.yaml:{line_of(text, 'level: 6')}: clé « level » répétée"


def test_empty_file() -> None:
    assert problems_of("") == ["f.yaml:1: fichier vide"]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    [problem] = problems_of("\n".join(lines))
    assert time.perf_counter() - start < 1
    assert problem.startswith("f.yaml:1: YAML invalide : les ancres et alias")


def test_huge_file_is_refused_before_parsing() -> None:
    [problem] = problems_of("a: b\n" * 1000, max_bytes=1000)
    assert "fichier trop volumineux" in problem


def test_binary_and_bad_encoding() -> None:
    assert "fichier binaire" in problems_of(b"\x89PNG\r\n\x1a\n\x00\x00")[0]
    assert problems_of("format: 1\ntitle: é\n".encode("latin-1"))[0].startswith(
        "f.yaml:2: encodage invalide"
    )


def test_python_tags_and_deep_nesting_are_refused() -> None:
    assert "étiquette YAML non acceptée" in problems_of("a: !!python/object:os.system {}")[0]
    assert "structure trop profonde" in problems_of("a: " + "[" * 200 + "]" * 200)[0]


def test_utf8_bom_is_accepted() -> None:
    raw = b"\xef\xbb\xbf" + (DATA / "mini.yaml").read_bytes()
    assert problems_of(raw) == []


def test_read_file_missing(tmp_path: Path) -> None:
    with pytest.raises(documents.DocumentError, match="fichier illisible"):
        documents.read_file(tmp_path / "absent.yaml")
