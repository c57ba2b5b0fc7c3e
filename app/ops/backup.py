"""Backup and restore: one archive with a consistent snapshot of every table and of the stored
files, and a manifest of their SHA-256 checksums.

The archive is a ZIP file:

    manifest.json           format, app version, Alembic revision, source engine, date;
                            every table (columns and their kinds, rows, SHA-256);
                            every file (store, path, size, SHA-256)
    tables/<table>.jsonl    one JSON array per row, in primary-key order
    files/<store>/<path>    the files the snapshot refers to (evidence, exports)

Values are written by kind, not by engine (timestamps in ISO 8601 UTC, enums as their stored
value, JSON as JSON), so a backup of SQLite restores into PostgreSQL and the other way round.
The tables are read in one transaction: read-only and repeatable-read on PostgreSQL, one read
transaction on SQLite (WAL), so the snapshot is consistent while the app keeps running.
"""

from __future__ import annotations

import base64
import decimal
import enum
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata as package_metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

import sqlalchemy as sa

from app.db import db, utcnow

FORMAT = "cooperation-certification-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
BATCH = 1000
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused, with the reason for the operator (in French)."""


# --- what is kept ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStore:
    """A folder of stored files, and the column whose rows name them."""

    name: str
    table: str
    column: str
    folder: Callable[[], Path]
    relative: Callable[[str], str]


def file_stores() -> list[FileStore]:
    from app.assessment.evidence import storage_dir
    from app.exports_history.services import exports_dir

    return [
        FileStore(
            "evidence", "evidence_files", "stored_name", storage_dir, lambda n: f"{n[:2]}/{n}"
        ),
        FileStore("exports", "export_records", "stored_path", exports_dir, lambda p: p),
    ]


_KINDS: list[tuple[str, type[sa.types.TypeEngine[Any]]]] = [
    ("boolean", sa.Boolean),
    ("integer", sa.Integer),
    ("float", sa.Float),
    ("decimal", sa.Numeric),
    ("enum", sa.Enum),
    ("datetime", sa.DateTime),
    ("date", sa.Date),
    ("json", sa.JSON),
    ("bytes", sa.LargeBinary),
    ("text", sa.String),
]


def column_kind(column: sa.Column[Any]) -> str:
    """The engine-neutral kind a column's values are written as."""
    col_type: Any = column.type
    if isinstance(col_type, sa.TypeDecorator):
        col_type = col_type.impl_instance
    for kind, cls in _KINDS:
        if isinstance(col_type, cls):
            return kind
    raise BackupError(
        f"type de colonne non pris en charge : {column.table.name}.{column.name} ({col_type!r})"
    )


def encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "enum":
        return value.value if isinstance(value, enum.Enum) else value
    if kind == "datetime":
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    return value


def decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def tables() -> list[sa.Table]:
    """Every table of the models, parents before children."""
    return list(db.metadata.sorted_tables)


def table_columns(table: sa.Table) -> list[dict[str, str]]:
    return [{"name": c.name, "kind": column_kind(c)} for c in table.columns]


def app_version() -> str:
    try:
        return package_metadata.version("cooperation-certification")
    except package_metadata.PackageNotFoundError:
        return "inconnue"


def alembic_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    revisions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    return ",".join(sorted(revisions)) or None


# --- reading the snapshot ----------------------------------------------------------------------


def snapshot_connection(engine: sa.Engine) -> sa.Connection:
    """A connection whose next transaction is a consistent, read-only snapshot."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn


def table_rows(conn: sa.Connection, table: sa.Table) -> Iterator[list[Any]]:
    """A table's rows as lists of encoded values, in primary-key order, streamed."""
    kinds = [column_kind(c) for c in table.columns]
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*order))
    for row in result:
        yield [encode(kind, value) for kind, value in zip(kinds, row, strict=True)]


def row_line(values: list[Any]) -> bytes:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


# --- writing the archive -----------------------------------------------------------------------


@dataclass
class BackupReport:
    path: Path
    revision: str
    tables: int = 0
    rows: int = 0
    files: int = 0
    files_bytes: int = 0
    size: int = 0
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)


class _HashingWriter:
    """Write to an archive member while counting and hashing what goes in."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.size += len(data)


def _member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=utcnow().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def write_backup(output: Path) -> BackupReport:
    """Write the archive to `output` (atomically, owner-only) and say what it holds."""
    stores = {store.table: store for store in file_stores()}
    temporary = output.with_name(output.name + ".part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with (
            os.fdopen(descriptor, "wb") as handle,
            zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            report = _write_members(archive, stores, output)
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    report.size = output.stat().st_size
    report.sha256 = _sha256_of(output)
    return report


def _write_members(
    archive: zipfile.ZipFile, stores: dict[str, FileStore], output: Path
) -> BackupReport:
    engine = db.engine
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": app_version(),
        "created_at": utcnow().isoformat(),
        "source_engine": engine.dialect.name,
        "tables": [],
        "files": [],
    }
    # Files named by the snapshot's rows: (store, stored value, recorded SHA-256).
    referenced: list[tuple[FileStore, str, str | None]] = []
    with snapshot_connection(engine) as conn, conn.begin():
        revision = alembic_revision(conn)
        if revision is None:
            raise BackupError("la base n'est pas migrée (pas de table alembic_version)")
        manifest["alembic_revision"] = revision
        report = BackupReport(path=output, revision=revision)
        for table in tables():
            store = stores.get(table.name)
            names = [c.name for c in table.columns]
            member = f"tables/{table.name}.jsonl"
            count = 0
            with archive.open(_member(archive, member), "w", force_zip64=True) as raw:
                out = _HashingWriter(raw)
                for values in table_rows(conn, table):
                    out.write(row_line(values))
                    count += 1
                    if store is not None:
                        row = dict(zip(names, values, strict=True))
                        if row[store.column]:
                            referenced.append((store, row[store.column], row.get("sha256")))
            manifest["tables"].append(
                {
                    "name": table.name,
                    "member": member,
                    "columns": table_columns(table),
                    "rows": count,
                    "size": out.size,
                    "sha256": out.digest.hexdigest(),
                }
            )
            report.tables += 1
            report.rows += count
    for store, value, recorded in referenced:
        entry = _archive_file(archive, store, value, recorded, report)
        if entry is not None:
            manifest["files"].append(entry)
    manifest["warnings"] = report.warnings
    archive.writestr(
        _member(archive, MANIFEST),
        json.dumps(manifest, ensure_ascii=False, indent=1).encode(),
    )
    return report


def _archive_file(
    archive: zipfile.ZipFile,
    store: FileStore,
    value: str,
    recorded: str | None,
    report: BackupReport,
) -> dict[str, Any] | None:
    relative = store.relative(value)
    try:
        path = safe_path(store.folder(), relative)
    except BackupError as exc:
        report.warnings.append(f"{store.name} : {exc}")
        return None
    if not path.is_file():
        report.warnings.append(f"{store.name} : fichier absent : {relative}")
        return None
    member = f"files/{store.name}/{relative}"
    with path.open("rb") as source, archive.open(_member(archive, member), "w") as raw:
        out = _HashingWriter(raw)
        for chunk in iter(lambda: source.read(CHUNK), b""):
            out.write(chunk)
    digest = out.digest.hexdigest()
    if recorded and digest != recorded:
        report.warnings.append(
            f"{store.name} : fichier altéré (empreinte différente de celle enregistrée) : "
            f"{relative} ; copié tel quel"
        )
    report.files += 1
    report.files_bytes += out.size
    return {
        "store": store.name,
        "path": relative,
        "member": member,
        "size": out.size,
        "sha256": digest,
    }


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


_PART = re.compile(r"[^/\\\x00]+")


def safe_path(folder: Path, relative: str) -> Path:
    """`folder / relative`, refused if `relative` could leave the folder."""
    parts = PurePosixPath(relative).parts
    if (
        not parts
        or relative.startswith("/")
        or any(p in (".", "..") or not _PART.fullmatch(p) for p in parts)
    ):
        raise BackupError(f"chemin de fichier refusé : {relative!r}")
    root = folder.resolve()
    path = (root / Path(*parts)).resolve()
    if not path.is_relative_to(root) or path == root:
        raise BackupError(f"chemin de fichier refusé : {relative!r}")
    return path
