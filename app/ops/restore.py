"""Restore an archive written by `app.ops.backup` into an empty, migrated database.

Everything is checked before anything is written: the archive's format and members, every
SHA-256 of the manifest, the database's Alembic revision (the archive's one), that every table
is empty, and that no stored file would be overwritten. Then the rows are inserted and the files
written in one transaction: if anything fails, the transaction is rolled back and the files
written so far are removed, leaving the database and the folders as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.ops.backup import (
    BATCH,
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_MAX_BYTES,
    BackupError,
    alembic_revision,
    decode,
    file_stores,
    safe_path,
    table_columns,
    tables,
)
from app.registry.models import rebuild_search_index
from exports import plurals as french

_PROBLEMS_SHOWN = 20


@dataclass
class RestoreReport:
    revision: str
    source_engine: str
    created_at: str
    app_version: str
    tables: int = 0
    rows: int = 0
    files: int = 0
    files_bytes: int = 0
    skipped_files: int = 0
    warnings: list[str] = field(default_factory=list)


# --- reading and checking the archive ----------------------------------------------------------


def open_archive(path: Path) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    """The archive and its manifest, refused unless it is one of ours and complete."""
    if not path.is_file():
        raise BackupError(f"fichier introuvable : {path}")
    if not zipfile.is_zipfile(path):
        raise BackupError(f"{path} n'est pas une archive de sauvegarde (ZIP attendu)")
    archive = zipfile.ZipFile(path)
    try:
        manifest = _read_manifest(archive)
        _check_members(archive, manifest)
    except BaseException:
        archive.close()
        raise
    return archive, manifest


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise BackupError("archive sans manifeste (manifest.json)") from None
    if info.file_size > MANIFEST_MAX_BYTES:
        raise BackupError("manifeste trop volumineux")
    try:
        manifest = json.loads(archive.read(info))
    except (ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"manifeste illisible : {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("ce fichier n'est pas une sauvegarde de cette application")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"version de format {manifest.get('format_version')!r} non prise en charge "
            f"(attendue : {FORMAT_VERSION})"
        )
    try:
        for entry in manifest["tables"]:
            assert isinstance(entry["name"], str) and isinstance(entry["member"], str)
            assert isinstance(entry["rows"], int) and isinstance(entry["sha256"], str)
            assert all(isinstance(c["name"], str) for c in entry["columns"])
        for entry in manifest["files"]:
            assert isinstance(entry["store"], str) and isinstance(entry["path"], str)
            assert isinstance(entry["member"], str) and isinstance(entry["sha256"], str)
            assert isinstance(entry["size"], int)
        assert isinstance(manifest["alembic_revision"], str)
    except (KeyError, TypeError, AssertionError):
        raise BackupError("manifeste incomplet ou mal formé") from None
    return manifest


def _check_members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    listed = [e["member"] for e in manifest["tables"]] + [e["member"] for e in manifest["files"]]
    present = set(archive.namelist()) - {MANIFEST}
    missing = sorted(set(listed) - present)
    extra = sorted(present - set(listed))
    if len(set(listed)) != len(listed):
        raise BackupError("le manifeste cite deux fois le même élément")
    if missing:
        raise BackupError(
            french.ngettext(
                "élément absent de l'archive : %(names)s",
                "éléments absents de l'archive : %(names)s",
                len(missing),
                names=", ".join(missing[:5]),
            )
        )
    if extra:
        raise BackupError(
            french.ngettext(
                "élément inconnu du manifeste : %(names)s",
                "éléments inconnus du manifeste : %(names)s",
                len(extra),
                names=", ".join(extra[:5]),
            )
        )


def _refuse(problems: list[str], title: str) -> None:
    if problems:
        shown = "\n  ".join(problems[:_PROBLEMS_SHOWN])
        more = len(problems) - _PROBLEMS_SHOWN
        tail = "\n  " + french.ngettext("… et %(num)d autre", "… et %(num)d autres", more)
        tail = tail if more > 0 else ""
        raise BackupError(f"{title} :\n  {shown}{tail}")


def verify_archive(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Check every member against the manifest's SHA-256 and size (and tables' row counts)."""
    problems: list[str] = []
    for entry in manifest["tables"]:
        digest, size, lines = _digest_member(archive, entry["member"])
        if digest != entry["sha256"] or size != entry.get("size", size):
            problems.append(f"table {entry['name']} : empreinte SHA-256 différente")
        elif lines != entry["rows"]:
            problems.append(f"table {entry['name']} : {lines} lignes au lieu de {entry['rows']}")
    for entry in manifest["files"]:
        digest, size, _ = _digest_member(archive, entry["member"])
        if digest != entry["sha256"] or size != entry["size"]:
            problems.append(f"fichier {entry['store']}/{entry['path']} : empreinte différente")
    _refuse(problems, "archive altérée, rien n'a été restauré")


def _digest_member(archive: zipfile.ZipFile, member: str) -> tuple[str, int, int]:
    digest = hashlib.sha256()
    size = lines = 0
    try:
        with archive.open(member) as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BackupError(f"archive endommagée ({member}) : {exc}") from None
    return digest.hexdigest(), size, lines


# --- checking the target -----------------------------------------------------------------------


def _check_database(conn: sa.Connection, manifest: dict[str, Any]) -> None:
    revision = alembic_revision(conn)
    if revision is None:
        raise BackupError(
            "la base cible n'est pas migrée : lancez d'abord `flask --app app db upgrade "
            f"{manifest['alembic_revision']}`"
        )
    if revision != manifest["alembic_revision"]:
        raise BackupError(
            f"révision Alembic différente : la base est en {revision}, l'archive en "
            f"{manifest['alembic_revision']} ; migrez une base vide à la révision de l'archive "
            "avec une version de l'application qui la connaît"
        )
    problems: list[str] = []
    by_name = {entry["name"]: entry for entry in manifest["tables"]}
    ours = {table.name: table for table in tables()}
    for name in sorted(set(by_name) - set(ours)):
        problems.append(f"table {name} : inconnue de cette version de l'application")
    for name in sorted(set(ours) - set(by_name)):
        problems.append(f"table {name} : absente de l'archive")
    for name in sorted(set(ours) & set(by_name)):
        if by_name[name]["columns"] != table_columns(ours[name]):
            problems.append(f"table {name} : colonnes différentes de celles de l'archive")
    _refuse(problems, "l'archive ne correspond pas au schéma de cette application")
    filled = [
        table.name
        for table in tables()
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
    ]
    if filled:
        raise BackupError(
            "la base cible n'est pas vide (tables "
            + ", ".join(filled[:8])
            + (" …" if len(filled) > 8 else "")
            + ") : la restauration se fait dans une base vide, migrée"
        )


def _file_targets(manifest: dict[str, Any], report: RestoreReport) -> list[tuple[dict, Path]]:
    """Where each file goes; refused if a different file is already there."""
    stores = {store.name: store for store in file_stores()}
    targets: list[tuple[dict[str, Any], Path]] = []
    problems: list[str] = []
    for entry in manifest["files"]:
        store = stores.get(entry["store"])
        if store is None:
            problems.append(f"dossier de fichiers inconnu : {entry['store']}")
            continue
        try:
            path = safe_path(store.folder(), entry["path"])
        except BackupError as exc:
            problems.append(str(exc))
            continue
        if path.exists():
            if path.is_file() and _file_digest(path) == entry["sha256"]:
                report.skipped_files += 1
                continue
            problems.append(f"un autre fichier existe déjà : {path}")
            continue
        targets.append((entry, path))
    _refuse(problems, "fichiers en conflit, rien n'a été restauré")
    return targets


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- writing -----------------------------------------------------------------------------------


def restore_archive(path: Path) -> RestoreReport:
    """Restore the archive at `path` into the app's (empty, migrated) database and folders."""
    archive, manifest = open_archive(path)
    with archive:
        report = RestoreReport(
            revision=manifest["alembic_revision"],
            source_engine=str(manifest.get("source_engine", "?")),
            created_at=str(manifest.get("created_at", "?")),
            app_version=str(manifest.get("app_version", "?")),
        )
        verify_archive(archive, manifest)
        engine = db.engine
        with engine.connect() as conn:
            _check_database(conn, manifest)
            conn.rollback()  # the check only read: end its transaction
        targets = _file_targets(manifest, report)
        written: list[Path] = []
        try:
            with engine.begin() as conn:
                by_name = {entry["name"]: entry for entry in manifest["tables"]}
                for table in tables():
                    report.rows += _insert_table(conn, archive, table, by_name[table.name])
                    report.tables += 1
                if conn.dialect.name == "postgresql":
                    _reset_sequences(conn)
                rebuild_search_index(conn)
                for entry, target in targets:
                    _write_file(archive, entry, target, written)
                    report.files += 1
                    report.files_bytes += entry["size"]
        except BaseException:
            for target in written:
                target.unlink(missing_ok=True)
            raise
    with engine.begin() as conn:
        # Fresh planner statistics: the tables were empty a moment ago.
        conn.exec_driver_sql("ANALYZE")
    return report


def _rows(archive: zipfile.ZipFile, entry: dict[str, Any]) -> Iterator[list[Any]]:
    """The member's rows, decoded from JSON; its SHA-256 checked again once read."""
    digest = hashlib.sha256()
    with archive.open(entry["member"]) as source:
        for line in source:
            digest.update(line)
            yield json.loads(line)
    if digest.hexdigest() != entry["sha256"]:
        raise BackupError(f"table {entry['name']} : l'archive a changé pendant la restauration")


def _insert_table(
    conn: sa.Connection, archive: zipfile.ZipFile, table: sa.Table, entry: dict[str, Any]
) -> int:
    columns = [(c["name"], c["kind"]) for c in entry["columns"]]
    batch: list[dict[str, Any]] = []
    count = 0
    for values in _rows(archive, entry):
        if not isinstance(values, list) or len(values) != len(columns):
            raise BackupError(f"table {table.name} : ligne {count + 1} mal formée")
        batch.append(
            {name: decode(kind, v) for (name, kind), v in zip(columns, values, strict=True)}
        )
        count += 1
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    if count != entry["rows"]:
        raise BackupError(f"table {table.name} : {count} lignes au lieu de {entry['rows']}")
    return count


def _reset_sequences(conn: sa.Connection) -> None:
    """Move each serial column's sequence past the ids just inserted."""
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        column = keys[0]
        sequence = conn.execute(
            sa.select(sa.func.pg_get_serial_sequence(table.name, column.name))
        ).scalar()
        if sequence is None:
            continue
        highest = conn.execute(sa.select(sa.func.max(column))).scalar()
        conn.execute(
            sa.select(sa.func.setval(sequence, highest or 1, highest is not None))
        ).scalar()


def _write_file(
    archive: zipfile.ZipFile, entry: dict[str, Any], target: Path, written: list[Path]
) -> None:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out, archive.open(entry["member"]) as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != entry["sha256"]:
            raise BackupError(
                f"fichier {entry['path']} : l'archive a changé pendant la restauration"
            )
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    written.append(target)
