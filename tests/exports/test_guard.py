"""The upload guard: every untrusted file read within bounds, refusals that say what and where."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from exports import guard, guard_tables
from exports.guard import Limits, Refused
from tests.bombs import MiB, lying_zip, small_workbook, xlsx_bomb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issue's zip bomb: under 1 MB, its sharedStrings.xml unpacks to 850 MB."""
    return xlsx_bomb(tmp_path_factory.mktemp("bomb") / "apprenants.xlsx")


def test_the_bomb_is_small_and_declares_850_mb(bomb: Path) -> None:
    assert bomb.stat().st_size < Limits().max_bytes
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == 850 * MiB


def test_the_bomb_is_refused_by_name_without_inflating(bomb: Path) -> None:
    data = bomb.read_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(Refused) as refused:
        guard.open_xlsx(data, Limits(), file="apprenants.xlsx")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert refused.value.member == "xl/sharedStrings.xml"
    assert str(refused.value) == (
        "apprenants.xlsx › xl/sharedStrings.xml : 850 Mo une fois décompressé, "
        "au-delà de la limite de 32 Mo"
    )
    assert elapsed < 1.0
    assert peak < 4 * MiB  # the 0.9 MB file itself and the central directory, nothing inflated


MEASURE = """
import json, resource, sys, time
from pathlib import Path
from app import create_app
from app.cohorts import importer
from tests.bombs import small_workbook

app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
with app.app_context():
    # Warm up every import and code path on a small, valid workbook first.
    importer.parse(small_workbook([["email", "prénom", "nom"], ["a@b.fr", "A", "B"]]), "a.xlsx")
    data = Path(sys.argv[1]).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = importer.parse(data, "apprenants.xlsx")
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": elapsed,
    "maxrss_growth_kib": after - before,
    "problems": [p.message for p in result.problems],
    "rows": len(result.rows),
}))
"""


def test_the_learner_import_refuses_the_bomb_in_a_worker_that_does_not_grow(bomb: Path) -> None:
    """In a fresh process, as a worker would: time and peak memory of the whole import."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(bomb)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"bomb refused in {measured['seconds'] * 1000:.1f} ms, "
        f"maxrss +{measured['maxrss_growth_kib']} KiB"
    )
    assert measured["rows"] == 0
    [problem] = measured["problems"]
    assert "apprenants.xlsx › xl/sharedStrings.xml" in problem and "32 Mo" in problem
    assert measured["seconds"] < 1.0
    assert measured["maxrss_growth_kib"] < 10 * 1024


def test_a_member_that_inflates_beyond_what_it_declares_is_cut_and_refused() -> None:
    """zipfile stops at the declared size and fails the CRC: a lie gains nothing."""
    data = lying_zip(real_size=20 * MiB, declared_size=1000)
    with (
        guard.open_zip(data, Limits(), file="menteur.zip") as archive,
        pytest.raises(Refused, match=r"menteur\.zip › data\.xml : archive ZIP endommagée"),
    ):
        guard.check_zip_xml(archive, file="menteur.zip")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_archive_limits() -> None:
    many = _zip({f"f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(Refused, match="11 fichiers dans l'archive, au-delà de la limite de 10"):
        guard.open_zip(many, Limits(max_members=10), file="a.zip")
    together = _zip({"a.xml": bytes(600 * 1024), "b.xml": bytes(600 * 1024)})
    with pytest.raises(
        Refused, match=r"archive trop volumineuse .*\(le plus gros fichier : a.xml\)$"
    ):
        guard.open_zip(together, Limits(max_unzipped_bytes=MiB), file="a.zip")
    with pytest.raises(Refused, match="chemin hors de l'archive"):
        guard.open_zip(_zip({"../evil.txt": b"x"}), Limits(), file="a.zip")
    with pytest.raises(Refused, match=r"a.zip : archive ZIP illisible"):
        guard.open_zip(b"PK\x03\x04 not a zip", Limits(), file="a.zip")
    with pytest.raises(
        Refused, match=r"^a.zip : fichier trop volumineux : 2 Mo, au-delà de la limite de 2 Mo$"
    ):
        guard.open_zip(bytes(2 * MiB + 1), Limits(), file="a.zip")


def test_xml_inside_a_workbook_may_not_declare_entities() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><sst>&lol2;</sst>'
    )
    source = small_workbook([["email"]])
    with zipfile.ZipFile(io.BytesIO(source)) as original:
        members = {i.filename: original.read(i) for i in original.infolist()}
    members["xl/sharedStrings.xml"] = laughs
    with pytest.raises(Refused, match=r"x.xlsx › xl/sharedStrings.xml : déclaration DOCTYPE"):
        guard.open_xlsx(_zip(members), Limits(), file="x.xlsx")


def test_rows_columns_and_cells_are_bounded_with_their_place() -> None:
    limits = Limits(max_rows=3, max_columns=4, max_cell_chars=10)
    rows = [["a"], ["b", None, None, None, None, ""], ["c", "d"]]
    assert list(guard_tables.bounded_rows(rows, limits, file="f.xlsx")) == [
        (1, ["a"]),
        (2, ["b"]),  # blank trailing cells are not columns
        (3, ["c", "d"]),
    ]
    with pytest.raises(Refused, match=r"^f.xlsx, ligne 4 : plus de 3 lignes$"):
        list(guard_tables.bounded_rows([*rows, ["e"]], limits, file="f.xlsx"))
    with pytest.raises(Refused, match=r"^f.xlsx, ligne 1 : 5 colonnes, au-delà de la limite de 4"):
        list(guard_tables.bounded_rows([list("abcde")], limits, file="f.xlsx"))
    with pytest.raises(Refused, match=r"^f.xlsx › feuille 1, ligne 2, colonne AB : cellule de 11"):
        list(
            guard_tables.bounded_rows(
                [["ok"], [None] * 27 + ["x" * 11]],
                Limits(max_cell_chars=10),
                file="f.xlsx",
                member="feuille 1",
            )
        )


def test_csv_rows_are_numbered_by_the_line_they_start_on() -> None:
    text = 'a;b\n"deux\nlignes";c\nd;e\n'
    rows = list(guard_tables.csv_rows(text, Limits(), delimiter=";", file="f.csv"))
    assert [line for line, _ in rows] == [1, 2, 4]
    with pytest.raises(Refused, match=r"^f.csv, ligne 5, colonne B : cellule de 13 caractères"):
        list(
            guard_tables.csv_rows(
                text + "x;" + "y" * 13, Limits(max_cell_chars=12), delimiter=";", file="f.csv"
            )
        )
    huge = "a;" + "b" * 200_000
    with pytest.raises(Refused, match=r"^f.csv, ligne 1 : cellule de plus de"):
        list(guard_tables.csv_rows(huge, Limits(), delimiter=";", file="f.csv"))


def test_xml_is_parsed_without_dtd_entities_or_network() -> None:
    with pytest.raises(Refused, match=r"^f.xml, ligne 2 : déclaration DOCTYPE refusée$"):
        guard.parse_xml(
            b'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://x/"><r/>', Limits(), file="f.xml"
        )
    with pytest.raises(Refused, match=r"^f.xml, ligne 3 : XML mal formé"):
        guard.parse_xml(b"<r>\n<a>\n</b></r>", Limits(), file="f.xml")
    with pytest.raises(Refused, match="imbrication de 6 niveaux"):
        guard.parse_xml(b"<a><a><a><a><a><a/></a></a></a></a></a>", Limits(max_depth=5))
    assert guard.parse_xml(b"<r><a>1</a></r>", Limits()).findtext("a") == "1"
    with pytest.raises(ValueError, match="unsafe"):
        guard.xml_parser(resolve_entities=True)


def test_a_stream_is_refused_as_soon_as_it_passes_the_limit() -> None:
    stream = guard.BoundedStream(io.BytesIO(bytes(10_000)), 4096, file="flux.xml")
    assert len(stream.read(4096)) == 4096
    with pytest.raises(Refused, match=r"flux.xml : fichier trop volumineux"):
        stream.read(4096)
    declared = guard.BoundedStream(io.BytesIO(b"<r>" + b" " * 100 + b"<!ENTITY x>"), MiB, xml=True)
    with pytest.raises(Refused, match="déclaration d'entité refusée"):
        while declared.read(7):
            pass


def test_yaml_aliases_tags_and_depth() -> None:
    with pytest.raises(Refused, match=r"^r.yaml, ligne 2 : les ancres et alias"):
        guard.check_yaml_safe("a: 1\nb: &x [1]\n", Limits(), file="r.yaml")
    with pytest.raises(Refused, match="étiquette YAML non acceptée"):
        guard.check_yaml_safe("a: !!python/object:os.system x", Limits())
    with pytest.raises(Refused, match="structure trop profonde"):
        guard.check_yaml_safe("a: " + "[" * 50 + "]" * 50, Limits())


def test_limits_come_from_the_configuration() -> None:
    limits = Limits.from_config({"UPLOAD_MAX_ROWS": "12", "UPLOAD_MAX_BYTES": 1000, "OTHER": 1})
    assert (limits.max_rows, limits.max_bytes, limits.max_columns) == (12, 1000, 200)
    assert limits.narrowed(max_rows=50, max_columns=3) == Limits(
        max_rows=12, max_bytes=1000, max_columns=3
    )


def test_parse_json_within_limits() -> None:
    from exports.guard import parse_json

    limits = Limits(max_bytes=1000, max_depth=5, max_nodes=20)
    assert parse_json(b'\xef\xbb\xbf{"a": [1, 2]}', limits) == {"a": [1, 2]}
    for data, reason in (
        (b"[" * 6 + b"]" * 6, "imbrication au-delà de la limite de 5 niveaux"),
        (b"[" + b"1," * 30 + b"1]", "trop d'éléments"),
        (b'{"a": NaN}', "NaN n'est pas une valeur JSON"),
        (b'{"a": 1,\n "b"}', "x.json, ligne 2 : JSON mal formé"),
        (b"\xff\xfe", "texte non UTF-8"),
        (b" " * 1001, "fichier trop volumineux"),
    ):
        with pytest.raises(Refused, match=reason):
            parse_json(data, limits, file="x.json")
    with pytest.raises(Refused, match="structure trop profonde"):
        parse_json(b"[" * 100_000 + b"]" * 100_000, Limits(max_bytes=10**6), file="x.json")
