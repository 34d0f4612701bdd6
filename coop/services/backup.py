"""Backups: the database and the uploaded media in one archive, with a manifest that proves it whole.

An archive (``greenshell-YYYYmmdd-HHMMSS-<engine>.tar.gz``) holds:

- ``manifest.json`` — format version, when, which engine, the applied migrations, the row count of
  every table *in the same snapshot as the dump*, and the size and SHA-256 of every file;
- ``database.sqlite3`` (SQLite, copied with SQLite's online backup API, so a consistent snapshot
  even while the site writes) or ``database.pgdump`` (PostgreSQL, ``pg_dump --format=custom`` run on a
  snapshot exported from the transaction that counted the rows);
- ``media/…`` — every uploaded file, byte for byte.

Restoring checks every checksum before touching anything, refuses to overwrite a database that
holds data unless forced (and then first writes a safety backup of what is there), replaces the
database in one step (SQLite backup API; PostgreSQL: drop + restore inside one transaction, so a
failed restore leaves the old data in place), moves existing media aside instead of deleting it,
and finally compares every table's row count with the manifest.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import django
import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from coop.env import child_environment
from coop.lib.errors import DomainError

FORMAT = "greenshell-backup"
VERSION = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
ARCHIVE_GLOB = "greenshell-*.tar.gz"
# Rows that `migrate` itself writes: a database holding only these counts as empty.
SCAFFOLD_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
CHUNK = 1024 * 1024


class BackupError(DomainError):
    """Anything that stops a backup or a restore; the message is for the operator (Chinese)."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict

    @property
    def total_rows(self):
        return sum(self.manifest["tables"].values())


@dataclass
class RestoreResult:
    manifest: dict
    safety_backup: Path | None
    media_moved_to: Path | None


# --- the database being backed up or restored -----------------------------------------------------

class Database:
    """One database, named by a Django alias or by a settings dict (a scratch database in tests)."""

    def __init__(self, using="default", db=None):
        self.alias = None if db is not None else using
        self.settings = db if db is not None else connections[using].settings_dict
        engine = self.settings["ENGINE"]
        if engine.endswith("sqlite3"):
            self.engine = "sqlite"
        elif engine.endswith("postgresql"):
            self.engine = "postgresql"
        else:
            raise BackupError(_("不支持这种数据库：%(engine)s（只支持 SQLite 和 PostgreSQL）") % {"engine": engine})

    # SQLite ------------------------------------------------------------------------------------
    def sqlite(self):
        """A sqlite3 connection to this database (Django's own for an alias: it may be in memory)."""
        if self.alias is not None:
            conn = connections[self.alias]
            conn.ensure_connection()
            if conn.in_atomic_block:
                raise BackupError(_("不能在事务中备份或恢复数据库。"))
            return conn.connection
        name = str(self.settings["NAME"])
        return sqlite3.connect(name, uri=name.startswith("file:"))

    def close_sqlite(self, raw):
        if self.alias is None:
            raw.close()

    # PostgreSQL --------------------------------------------------------------------------------
    def pg_params(self):
        s = self.settings
        params = {"dbname": s.get("NAME"), "user": s.get("USER"), "password": s.get("PASSWORD"),
                  "host": s.get("HOST"), "port": s.get("PORT")}
        params = {k: str(v) for k, v in params.items() if v not in (None, "")}
        if (s.get("OPTIONS") or {}).get("sslmode"):
            params["sslmode"] = s["OPTIONS"]["sslmode"]
        return params

    def pg_env(self):
        names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST",
                 "port": "PGPORT", "sslmode": "PGSSLMODE"}
        env = child_environment(drop_prefix="PG")
        env.update({names[k]: v for k, v in self.pg_params().items()})
        return env

    def pg_connect(self):

        return psycopg.connect(**self.pg_params())

    # Both --------------------------------------------------------------------------------------
    def table_counts(self):
        if self.engine == "sqlite":
            raw = self.sqlite()
            try:
                return _sqlite_counts(raw)
            finally:
                self.close_sqlite(raw)
        with self.pg_connect() as conn:
            return _pg_counts(conn)

    def holds_data(self):
        return any(n for table, n in self.table_counts().items() if table not in SCAFFOLD_TABLES)

    def close_django_connection(self):
        if self.alias is not None:
            connections[self.alias].close()


def _sqlite_tables(raw):
    rows = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                       "ORDER BY name").fetchall()
    return [r[0] for r in rows]


def _sqlite_counts(raw):
    return {t: raw.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in _sqlite_tables(raw)}


def _pg_tables(conn):
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                        "ORDER BY tablename").fetchall()
    return [r[0] for r in rows]


def _pg_counts(conn):

    return {t: conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
            for t in _pg_tables(conn)}


def _migrations(rows):
    applied = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


# --- files ---------------------------------------------------------------------------------------

def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files(media_root, exclude=()):
    """Every regular file under ``media_root`` as a sorted list of POSIX relative paths."""
    root = Path(media_root)
    if not root.is_dir():
        return []
    skip = [Path(e).resolve() for e in exclude]
    found = []
    for path in root.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        resolved = path.resolve()
        if any(resolved.is_relative_to(s) for s in skip):
            continue
        found.append(path.relative_to(root).as_posix())
    return sorted(found)


def backup_dir():
    return Path(settings.BACKUP_DIR)


# --- backup --------------------------------------------------------------------------------------

def create_backup(output=None, *, using="default", db=None, media_root=None, include_media=True, prefix="greenshell"):
    """Write one archive and return a :class:`BackupResult`.

    ``output`` is a file path or a directory (default ``settings.BACKUP_DIR``).
    """
    database = Database(using, db)
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    output = Path(output) if output else backup_dir()
    if output.is_dir() or not output.suffix:
        output.mkdir(parents=True, exist_ok=True)
        output = output / f"{prefix}-{stamp}-{database.engine}.tar.gz"
    elif not output.name.endswith(".tar.gz"):
        raise BackupError(_("备份文件名必须以 .tar.gz 结尾：%(name)s") % {"name": output.name})
    output.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="gs-backup-") as work:
        work = Path(work)
        if database.engine == "sqlite":
            db_file = work / SQLITE_FILE
            counts, migrations = _dump_sqlite(database, db_file)
        else:
            db_file = work / PG_FILE
            counts, migrations = _dump_postgres(database, db_file)

        media = []
        if include_media:
            # A backup directory inside MEDIA_ROOT must not swallow its own earlier archives.
            for rel in _media_files(media_root, exclude=[output.parent]):
                path = media_root / rel
                media.append({"path": rel, "size": path.stat().st_size, "sha256": _sha256(path)})

        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "engine": database.engine,
            "django": django.get_version(),
            "database_file": db_file.name,
            "database_sha256": _sha256(db_file),
            "database_size": db_file.stat().st_size,
            "migrations": migrations,
            "tables": counts,
            "media": media,
        }
        manifest_file = work / "manifest.json"
        manifest_file.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")

        # Write beside the target and rename: a crash never leaves a half archive under the real name.
        partial = output.with_name(output.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data inside
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            tar.add(manifest_file, arcname="manifest.json")
            tar.add(db_file, arcname=db_file.name)
            for item in media:
                tar.add(media_root / item["path"], arcname=f"media/{item['path']}")
        os.replace(partial, output)
    return BackupResult(path=output, manifest=manifest)


def _dump_sqlite(database, target):
    source = database.sqlite()
    try:
        copy = sqlite3.connect(target)
        try:
            # The online backup API copies a consistent snapshot page by page, even while the site writes.
            source.backup(copy)
            counts = _sqlite_counts(copy)
            migrations = _migrations(copy.execute("SELECT app, name FROM django_migrations").fetchall()) \
                if "django_migrations" in counts else {}
            # The copy may carry WAL mode in its header; an archive member must be one self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        database.close_sqlite(source)
    return counts, migrations


def _dump_postgres(database, target):
    _require_tool("pg_dump")
    with database.pg_connect() as conn:
        # Count the rows and dump inside one exported snapshot, so the manifest describes exactly the dump.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = _pg_counts(conn)
        migrations = _migrations(conn.execute("SELECT app, name FROM django_migrations").fetchall()) \
            if "django_migrations" in counts else {}
        run = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             "--file", str(target)],
            env=database.pg_env(), capture_output=True, text=True,
        )
        conn.rollback()
    if run.returncode != 0:
        raise BackupError(_("pg_dump 失败：%(error)s") % {"error": run.stderr.strip()[-1500:]})
    return counts, migrations


def _require_tool(name):
    if shutil.which(name) is None:
        raise BackupError(_("找不到 %(tool)s：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）。")
                          % {"tool": name})


def prune_backups(directory, keep):
    """Delete all but the newest ``keep`` archives in ``directory``; returns the deleted paths."""
    archives = sorted(Path(directory).glob(ARCHIVE_GLOB), key=lambda p: p.stat().st_mtime, reverse=True)
    doomed = archives[keep:]
    for path in doomed:
        path.unlink()
    return doomed


# --- restore -------------------------------------------------------------------------------------

def read_manifest(archive):
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_("找不到备份文件：%(path)s") % {"path": archive})
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read().decode("utf-8"))
    except (tarfile.TarError, KeyError, AttributeError, ValueError, OSError):
        raise BackupError(_("这不是 Greenshell 的备份文件（没有可读的 manifest.json）：%(path)s") % {"path": archive})
    if manifest.get("format") != FORMAT:
        raise BackupError(_("这不是 Greenshell 的备份文件：%(path)s") % {"path": archive})
    if manifest.get("version") != VERSION:
        raise BackupError(_("备份格式版本 %(version)s 不受支持（本程序支持版本 %(supported)s）。")
                          % {"version": manifest.get("version"), "supported": VERSION})
    return manifest


def restore_backup(archive, *, using="default", db=None, media_root=None, force=False, safety_backup=True):
    """Replace the database and media with the archive's. Returns a :class:`RestoreResult`."""
    manifest = read_manifest(archive)
    database = Database(using, db)
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    if manifest["engine"] != database.engine:
        raise BackupError(_("这个备份来自 %(source)s 数据库，不能恢复到 %(target)s 数据库。")
                          % {"source": manifest["engine"], "target": database.engine})

    with tempfile.TemporaryDirectory(prefix="gs-restore-") as work:
        work = Path(work)
        with tarfile.open(archive, "r:*") as tar:
            # The "data" filter refuses absolute paths, "..", links out of the tree and device files.
            tar.extractall(work, filter="data")
        _verify_files(manifest, work)

        db_has_data = database.holds_data()
        media_present = bool(_media_files(media_root))
        if (db_has_data or media_present) and not force:
            raise BackupError(_("目标数据库或媒体目录里已经有数据，恢复会覆盖它们。确认要覆盖请加上 --force"
                                "（覆盖前会自动另存一份当前数据的备份）。"))
        safety = None
        if (db_has_data or media_present) and safety_backup:
            safety = create_backup(using=using, db=db, media_root=media_root, prefix="before-restore").path

        if database.engine == "sqlite":
            _restore_sqlite(database, work / SQLITE_FILE)
        else:
            _restore_postgres(database, work / PG_FILE)

        counts = database.table_counts()
        if counts != manifest["tables"]:
            different = sorted(t for t in set(counts) | set(manifest["tables"])
                               if counts.get(t) != manifest["tables"].get(t))
            raise BackupError(_("恢复后的数据与备份清单不一致（表：%(tables)s）。") % {"tables": ", ".join(different)})

        moved = _restore_media(manifest, work / "media", media_root)
    return RestoreResult(manifest=manifest, safety_backup=safety, media_moved_to=moved)


def _verify_files(manifest, work):
    db_file = work / manifest["database_file"]
    if not db_file.is_file() or _sha256(db_file) != manifest["database_sha256"]:
        raise BackupError(_("备份文件已损坏：数据库文件的校验和不符。"))
    for item in manifest["media"]:
        path = work / "media" / item["path"]
        if not path.is_file() or path.stat().st_size != item["size"] or _sha256(path) != item["sha256"]:
            raise BackupError(_("备份文件已损坏：媒体文件 %(path)s 缺失或校验和不符。") % {"path": item["path"]})


def _restore_sqlite(database, source_file):
    source = sqlite3.connect(source_file)
    target = database.sqlite()
    try:
        # Page-by-page copy into the live database file: tables the backup does not have disappear too.
        source.backup(target)
    finally:
        source.close()
        database.close_sqlite(target)


def _restore_postgres(database, dump_file):
    _require_tool("pg_restore")
    _require_tool("psql")
    database.close_django_connection()
    with database.pg_connect() as conn:
        rows = conn.execute(
            "SELECT 'DROP TABLE IF EXISTS ' || string_agg(format('%I', tablename), ', ') || ' CASCADE;' "
            "FROM pg_tables WHERE schemaname = current_schema()").fetchone()
        drop_tables = rows[0] or ""
        rows = conn.execute(
            "SELECT 'DROP SEQUENCE IF EXISTS ' || string_agg(format('%I', sequence_name), ', ') || ' CASCADE;' "
            "FROM information_schema.sequences WHERE sequence_schema = current_schema()").fetchone()
        drop_sequences = rows[0] or ""
    env = database.pg_env()
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        # Drop and re-create inside ONE transaction (psql --single-transaction): if any statement fails,
        # PostgreSQL rolls everything back and the database is exactly as it was before.
        psql = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err, env=env)
        restore = subprocess.Popen(["pg_restore", "--no-owner", "--no-privileges", "--file", "-", str(dump_file)],
                                   stdout=subprocess.PIPE, stderr=restore_err, env=env)
        try:
            psql.stdin.write(f"{drop_tables}\n{drop_sequences}\n".encode())
            shutil.copyfileobj(restore.stdout, psql.stdin, CHUNK)
        except BrokenPipeError:
            pass  # psql stopped on an error; its message is read below
        finally:
            try:
                psql.stdin.close()
            except BrokenPipeError:
                pass
        restore.wait()
        psql.wait()
        if restore.returncode != 0 or psql.returncode != 0:
            restore_err.seek(0)
            psql_err.seek(0)
            detail = (restore_err.read() + psql_err.read()).decode(errors="replace").strip()[-1500:]
            raise BackupError(_("恢复 PostgreSQL 数据库失败，数据库未被改动：%(error)s") % {"error": detail})


def _restore_media(manifest, extracted, media_root):
    """Put the archive's media in place; existing files are moved aside, never deleted.

    The directory itself stays (it is often a mount point or a Docker volume); its entries move.
    """
    moved = None
    media_root.mkdir(parents=True, exist_ok=True)
    existing = list(media_root.iterdir())
    if existing:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        moved = media_root.with_name(f"{media_root.name}.before-restore-{stamp}")
        moved.mkdir()
        for entry in existing:
            shutil.move(str(entry), str(moved / entry.name))
    if extracted.is_dir():
        for entry in extracted.iterdir():
            shutil.move(str(entry), str(media_root / entry.name))
    return moved
