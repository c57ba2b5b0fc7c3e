"""Read a national register export into the registry tables, streaming, fiche by fiche.

The file is France Compétences' open-data ZIP (one XML in the flux v4 shape) or the bare XML.
It is never held in memory: the XML is parsed as it is decompressed, and written in batches.
A re-import replaces each fiche whose content changed (by number), leaves the unchanged ones
untouched, and marks withdrawn the fiches the newer export no longer has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.registry.models import (
    FTS_TABLE,
    CodeKind,
    RegistryBloc,
    RegistryCode,
    RegistryFiche,
    RegistryStatement,
    RegistryTerm,
    StatementKind,
    index_built_after,
)
from app.registry.text import index_text
from exports.fiche import FicheData, FicheXMLError
from exports.fiche_reading import iter_fiches

BATCH = 500
# A national export is a few hundred MB of XML compressed about 15 times; a ZIP member that
# claims more than this, or compresses far better than text does, is refused unread.
MAX_XML_BYTES = 4 * 1024**3
MAX_RATIO = 200

Progress = Callable[[int, int], None]  # (bytes read, bytes in all)


class RegisterImportError(ValueError):
    """The file is not a register export we accept; nothing was written."""


@dataclass
class ImportReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    statements: int = 0
    source: str = ""
    numbers: set[str] = field(default_factory=set, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("numbers")
        return data


class _Counted:
    """A read-only stream that counts what has been read and stops past a limit."""

    def __init__(self, raw: IO[bytes], total: int, limit: int, progress: Progress | None):
        self.raw, self.total, self.limit, self.progress = raw, total, limit, progress
        self.read_bytes = 0
        self._reported = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.read_bytes += len(chunk)
        if self.read_bytes > self.limit:
            raise RegisterImportError(
                f"le fichier dépasse la taille admise ({self.limit // 1024**2} Mo décompressés)"
            )
        if self.progress and self.read_bytes - self._reported >= 1024**2:
            self._reported = self.read_bytes
            self.progress(self.read_bytes, self.total)
        return chunk


@contextmanager
def open_export(path: Path, *, limit: int = MAX_XML_BYTES) -> Iterator[tuple[IO[bytes], int]]:
    """The XML stream of an export (ZIP or bare XML) and its size, refusing bombs unread."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            xml = [m for m in members if m.filename.lower().endswith(".xml")]
            if len(xml) != 1:
                raise RegisterImportError(
                    f"{path.name} : l'archive doit contenir un seul fichier XML "
                    f"(elle en contient {len(xml)})"
                )
            member = xml[0]
            if member.file_size > limit:
                raise RegisterImportError(
                    f"{path.name} : {member.filename} annonce {member.file_size // 1024**2} Mo "
                    f"décompressés, au-delà de la limite de {limit // 1024**2} Mo"
                )
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                raise RegisterImportError(
                    f"{path.name} : {member.filename} se décompresse "
                    f"{member.file_size // max(member.compress_size, 1)} fois : refusé "
                    "(bombe de décompression ?)"
                )
            with archive.open(member) as stream:
                yield stream, member.file_size
        return
    size = path.stat().st_size
    if size > limit:
        raise RegisterImportError(f"{path.name} : {size // 1024**2} Mo, au-delà de la limite")
    with path.open("rb") as stream:
        yield stream, size


def _date(text: str) -> dt.date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _digest(fiche: FicheData) -> str:
    # The dataclasses' repr lists every field in a fixed order: a stable fingerprint.
    return hashlib.sha256(repr(fiche).encode()).hexdigest()


def _statements(fiche: FicheData) -> Iterator[tuple[int | None, StatementKind, str]]:
    """(bloc position, kind, text) of every line a copy could come from."""
    yield None, StatementKind.TITLE, fiche.title
    for section in fiche.activities:
        for item in section.items or ([section.title] if section.title else []):
            yield None, StatementKind.ACTIVITY, item
    if not fiche.blocs:
        for section in fiche.capacities:
            for item in section.items:
                yield None, StatementKind.COMPETENCY, item
    for position, bloc in enumerate(fiche.blocs):
        yield position, StatementKind.BLOC, bloc.title
        for item in bloc.competencies:
            yield position, StatementKind.COMPETENCY, item


FICHES = cast(sa.Table, RegistryFiche.__table__)
CODES = cast(sa.Table, RegistryCode.__table__)
BLOCS = cast(sa.Table, RegistryBloc.__table__)
STATEMENTS = cast(sa.Table, RegistryStatement.__table__)
TERMS = cast(sa.Table, RegistryTerm.__table__)


class _Writer:
    """Bulk writes with ids chosen here, so children need no round trip for their parent's id."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.next_id = {
            table: (session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
            for table in (FICHES, CODES, BLOCS, STATEMENTS)
        }
        self.rows: dict[sa.Table, list[dict[str, Any]]] = {table: [] for table in self.next_id}
        self.fiche_updates: list[dict[str, Any]] = []
        self.terms: Counter[str] = Counter()

    def _id(self, table: sa.Table) -> int:
        value: int = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def fiche_values(self, fiche: FicheData, digest: str, now: dt.datetime) -> dict[str, Any]:
        return {
            "number": fiche.number,
            "title": fiche.title,
            "level": fiche.level if fiche.level and 1 <= fiche.level <= 8 else None,
            "active": fiche.active if fiche.active is not None else True,
            "state": fiche.state[:40],
            "end_date": _date(fiche.end_date),
            "certifiers": "; ".join(c.name for c in fiche.certifiers),
            "activities": "\n".join(i for s in fiche.activities for i in s.items),
            "sectors": fiche.sectors,
            "job_types": fiche.job_types,
            "digest": digest,
            "imported_at": now,
            "withdrawn_at": None,
        }

    def add(self, fiche: FicheData, fiche_id: int | None, digest: str, now: dt.datetime) -> int:
        """Queue the fiche's rows (a new id unless `fiche_id` replaces an existing one)."""
        values = self.fiche_values(fiche, digest, now)
        if fiche_id is None:
            fiche_id = self._id(FICHES)
            self.rows[FICHES].append({"id": fiche_id, **values})
        else:
            self.fiche_updates.append({"b_id": fiche_id, **values})
        for code_kind, codes in (
            (CodeKind.NSF, fiche.nsf),
            (CodeKind.ROME, fiche.rome),
            (CodeKind.FORMACODE, fiche.formacodes),
        ):
            for code in codes:
                self.rows[CODES].append(
                    {
                        "id": self._id(CODES),
                        "fiche_id": fiche_id,
                        "kind": code_kind,
                        "code": code.code[:20],
                        "label": code.label,
                    }
                )
        bloc_ids = []
        for index, bloc in enumerate(fiche.blocs):
            bloc_id = self._id(BLOCS)
            bloc_ids.append(bloc_id)
            self.rows[BLOCS].append(
                {
                    "id": bloc_id,
                    "fiche_id": fiche_id,
                    "position": index,
                    "code": bloc.code[:40],
                    "title": bloc.title,
                    "modalities": "\n".join(bloc.modalities),
                }
            )
        count = 0
        for position, (bloc_position, kind, text) in enumerate(_statements(fiche)):
            terms = index_text(text)
            if not terms:
                continue
            self.terms.update(set(terms.split()))
            self.rows[STATEMENTS].append(
                {
                    "id": self._id(STATEMENTS),
                    "fiche_id": fiche_id,
                    "bloc_id": None if bloc_position is None else bloc_ids[bloc_position],
                    "kind": kind,
                    "position": position,
                    "text": text,
                    "terms": terms,
                }
            )
            count += 1
        return count

    def remove_children(self, fiche_ids: list[int]) -> None:
        """Delete the codes, blocs and statements of fiches about to be replaced."""
        if not fiche_ids:
            return
        old = self.session.execute(
            sa.select(RegistryStatement.id, RegistryStatement.terms).where(
                RegistryStatement.fiche_id.in_(fiche_ids)
            )
        ).all()
        for row in old:
            self.terms.subtract(set(row.terms.split()))
        if self.sqlite and old:
            self.session.connection().exec_driver_sql(
                # A constant table name: nothing from the file goes into the statement.
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, terms) VALUES ('delete', ?, ?)",  # noqa: S608
                [(row.id, row.terms) for row in old],
            )
        for table in (STATEMENTS, BLOCS, CODES):
            self.session.execute(sa.delete(table).where(table.c.fiche_id.in_(fiche_ids)))

    def flush(self) -> None:
        connection = self.session.connection()
        if self.fiche_updates:
            values: dict[str, Any] = {
                key: sa.bindparam(key) for key in self.fiche_updates[0] if key != "b_id"
            }
            connection.execute(
                FICHES.update().where(FICHES.c.id == sa.bindparam("b_id")).values(values),
                self.fiche_updates,
            )
            self.fiche_updates = []
        for table, rows in self.rows.items():
            if rows and self.sqlite:
                connection.execute(sa.insert(table), rows)
            elif rows:
                self._copy(connection, table, rows)
        statements = self.rows[STATEMENTS]
        if self.sqlite and statements:
            connection.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE}(rowid, terms) VALUES (?, ?)",  # noqa: S608
                [(row["id"], row["terms"]) for row in statements],
            )
        for rows in self.rows.values():
            rows.clear()

    @staticmethod
    def _copy(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL: the rows through COPY, in the same transaction. An executemany sends
        one INSERT per row (some two million for the whole register): COPY takes a fifth of
        the time. Values are converted by the columns' own types, as an INSERT would."""
        columns = list(rows[0])
        dialect = connection.dialect
        processors = [table.c[name].type.bind_processor(dialect) for name in columns]
        raw: Any = connection.connection.driver_connection
        names = ", ".join(f'"{name}"' for name in columns)
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(
                    [
                        value if process is None or value is None else process(value)
                        for value, process in zip(row.values(), processors, strict=True)
                    ]
                )

    def save_terms(self) -> None:
        """Apply the counted changes to the table of statements per stem."""
        changes = {term: delta for term, delta in self.terms.items() if delta}
        if not changes:
            return
        table = TERMS
        current: dict[str, int] = (
            dict(
                self.session.execute(
                    sa.select(table.c.term, table.c.statements).where(
                        table.c.term.in_(list(changes))
                    )
                ).all()
            )
            if len(changes) < 20_000
            else dict(self.session.execute(sa.select(table.c.term, table.c.statements)).all())
        )
        inserts, updates, deletes = [], [], []
        for term, delta in changes.items():
            before = current.get(term)
            after = (before or 0) + delta
            if before is None:
                if after > 0:
                    inserts.append({"term": term[:80], "statements": after})
            elif after <= 0:
                deletes.append(term)
            else:
                updates.append({"b_term": term, "statements": after})
        connection = self.session.connection()
        if inserts:
            connection.execute(sa.insert(table), inserts)
        if updates:
            connection.execute(
                table.update()
                .where(table.c.term == sa.bindparam("b_term"))
                .values(statements=sa.bindparam("statements")),
                updates,
            )
        for start in range(0, len(deletes), 1000):
            connection.execute(
                sa.delete(table).where(table.c.term.in_(deletes[start : start + 1000]))
            )
        self.terms.clear()

    def fix_sequences(self) -> None:
        """Explicit ids leave PostgreSQL's sequences behind: move them past the last id."""
        if self.sqlite:
            return
        connection = self.session.connection()
        for table in self.next_id:
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 1))"
            )


def import_register(
    session: Session, path: Path, *, progress: Progress | None = None
) -> ImportReport:
    """Import the export at `path` into the registry tables, in the caller's transaction.

    Raises RegisterImportError (with what and where) and writes nothing the caller keeps, if
    the caller rolls back, when the file is refused or unreadable.
    """
    report = ImportReport(source=path.name)
    known = {
        row.number: (row.id, row.digest, row.withdrawn_at)
        for row in session.execute(
            sa.select(
                RegistryFiche.number,
                RegistryFiche.id,
                RegistryFiche.digest,
                RegistryFiche.withdrawn_at,
            )
        )
    }
    writer = _Writer(session)
    now = utcnow()
    batch: list[tuple[FicheData, str]] = []

    def write(batch: list[tuple[FicheData, str]]) -> None:
        replaced = []
        queued: list[tuple[FicheData, int | None, str]] = []
        for fiche, digest in batch:
            existing = known.get(fiche.number)
            if existing is None:
                report.added += 1
                queued.append((fiche, None, digest))
            elif existing[1] == digest and existing[2] is None:
                report.unchanged += 1
            else:
                report.changed += 1
                replaced.append(existing[0])
                queued.append((fiche, existing[0], digest))
        writer.remove_children(replaced)
        for fiche, fiche_id, digest in queued:
            report.statements += writer.add(fiche, fiche_id, digest, now)
        writer.flush()

    first_load = not known
    try:
        with (
            index_built_after(session.connection()) if first_load else nullcontext(),
            open_export(path) as (raw, size),
        ):
            stream = cast(IO[bytes], _Counted(raw, size, MAX_XML_BYTES, progress))
            for fiche in iter_fiches(stream):
                if not fiche.number:
                    raise RegisterImportError(
                        f"{path.name} : une fiche sans NUMERO_FICHE "
                        f"(après {len(report.numbers)} fiches lues)"
                    )
                if fiche.number in report.numbers:
                    raise RegisterImportError(
                        f"{path.name} : la fiche {fiche.number} figure deux fois"
                    )
                report.numbers.add(fiche.number)
                batch.append((fiche, _digest(fiche)))
                if len(batch) >= BATCH:
                    write(batch)
                    batch = []
            write(batch)
            if progress:
                progress(size, size)
    except FicheXMLError as exc:
        raise RegisterImportError(f"{path.name} : {exc}") from exc
    except zipfile.BadZipFile as exc:
        raise RegisterImportError(f"{path.name} : archive ZIP illisible ({exc})") from exc
    if not report.numbers:
        raise RegisterImportError(f"{path.name} : aucune fiche dans ce fichier")

    gone = [
        fiche_id
        for number, (fiche_id, _, withdrawn_at) in known.items()
        if number not in report.numbers and withdrawn_at is None
    ]
    for start in range(0, len(gone), 1000):
        session.execute(
            sa.update(RegistryFiche)
            .where(RegistryFiche.id.in_(gone[start : start + 1000]))
            .values(withdrawn_at=now)
        )
    report.withdrawn = len(gone)
    writer.save_terms()
    writer.fix_sequences()
    return report
