"""Backups lose nothing: every row of every table and every uploaded file comes back as it was.

SQLite cases run in the SQLite suite (`make test`); PostgreSQL cases restore into a scratch
database created and dropped by the test (`@requires_postgres`, run by CI against the real server).
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from coop.models import AuditEvent, Farmer, LedgerEntry
from coop.services.audit import log_action
from coop.services.backup import BackupError, Database, create_backup, read_manifest, restore_backup
from coop.services.ledger import post_entry
from tests.conftest import requires_postgres
from tests.factories import make_farmer

ROOT = Path(__file__).resolve().parents[2]
sqlite_only = pytest.mark.skipif(settings.IS_POSTGRES, reason="SQLite case: runs in the SQLite suite (make test)")
JPEG_BYTES = bytes(range(256)) * 40  # any bytes: media must come back bit for bit, whatever they hold


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    files = {
        "reports/2026/11/坏蛋照片.jpg": JPEG_BYTES,
        "labels/batch-HBL-0001.pdf": b"%PDF-1.4\n" + os.urandom(3000),
        "notes.txt": "合作社\n".encode(),
    }
    for rel, data in files.items():
        path = settings.MEDIA_ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return settings.MEDIA_ROOT


@pytest.fixture
def collective(transactional_db, media):
    """The whole demo (every app's seeder) plus rows with the awkward values: Chinese, JSON, NULL, money."""
    call_command("seed_demo", stdout=io.StringIO())
    farmer = Farmer.objects.order_by("pk").first()
    post_entry(farmer=farmer, kind=LedgerEntry.REWARD, amount=Decimal("12.35"), reason="卫生评比先进户",
               dedupe_key="test:reward:1")
    log_action(farmer, "farmer.checked", data={"说明": "绿壳蛋", "amount": "12.35", "list": [1, None]},
               reason="备份测试")
    AuditEvent.objects.create(action="system.note", object_type="x", object_id="1", actor_label="")
    return farmer


def snapshot(database):
    """{table: sorted rows} read through a plain driver connection (the same for both sides)."""
    if database.engine == "sqlite":
        import sqlite3

        name = str(database.settings["NAME"])
        conn = sqlite3.connect(name, uri=name.startswith("file:"))
        try:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
            return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
        finally:
            conn.close()
    with database.pg_connect() as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def media_digest(root):
    root = Path(root)
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def assert_same(before, after):
    assert set(after) == set(before), "tables differ"
    assert sum(len(rows) for rows in before.values()) > 200, "the fixture should hold a real amount of data"
    for table, rows in before.items():
        assert after[table] == rows, f"table {table} differs after restore"


# --- SQLite --------------------------------------------------------------------------------------

@sqlite_only
def test_it_round_trips_every_table_and_media_file_on_sqlite(collective, media, tmp_path):
    source = Database()
    before, files_before = snapshot(source), media_digest(media)

    result = create_backup()
    assert result.path.parent == settings.BACKUP_DIR and result.path.name.endswith("-sqlite.tar.gz")
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"  # it holds phone numbers
    assert result.manifest["tables"]["coop_farmer"] == Farmer.objects.count()
    assert len(result.manifest["media"]) == len(files_before)  # ours plus what the demo wrote (labels, photos)

    scratch = {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "restored.sqlite3"}
    restore_backup(result.path, db=scratch, media_root=tmp_path / "restored-media")

    assert_same(before, snapshot(Database(db=scratch)))
    assert media_digest(tmp_path / "restored-media") == files_before
    assert (tmp_path / "restored-media" / "reports/2026/11/坏蛋照片.jpg").read_bytes() == JPEG_BYTES


@sqlite_only
def test_restore_refuses_to_overwrite_then_puts_back_exactly_the_backup_with_force(collective, media):
    out = io.StringIO()
    call_command("backup", stdout=out)
    assert "备份完成" in out.getvalue()
    archive = next(settings.BACKUP_DIR.glob("greenshell-*.tar.gz"))
    before, files_before = snapshot(Database()), media_digest(media)

    # Life goes on after the backup: a rename, a new household, a new upload, a lost file.
    Farmer.objects.filter(pk=collective.pk).update(head_name="改过的名字")
    make_farmer(collective.cooperative, head_name="备份之后的新户")
    (media / "new-after-backup.jpg").write_bytes(b"new")
    (media / "notes.txt").unlink()
    changed = snapshot(Database())

    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert snapshot(Database()) == changed, "a refused restore must change nothing"

    out = io.StringIO()
    call_command("restore", str(archive), "--force", stdout=out)
    assert "恢复完成" in out.getvalue() and "逐表核对一致" in out.getvalue()
    assert_same(before, snapshot(Database()))
    assert media_digest(media) == files_before

    # Nothing of the overwritten state is lost either: a safety backup and the moved-aside media.
    safety = next(settings.BACKUP_DIR.glob("before-restore-*.tar.gz"))
    assert read_manifest(safety)["tables"]["coop_farmer"] == before["coop_farmer"].__len__() + 1
    moved = next(media.parent.glob("media.before-restore-*"))
    assert (moved / "new-after-backup.jpg").read_bytes() == b"new"

    # The site keeps working on the restored database: new rows get fresh ids.
    fresh = make_farmer(collective.cooperative, head_name="恢复之后的新户")
    assert fresh.pk > max(r[0] for r in before["coop_farmer"])


@sqlite_only
def test_a_damaged_archive_is_refused_before_anything_is_touched(collective, media, tmp_path):
    archive = create_backup().path
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "media/notes.txt":
                data = data.replace("社".encode(), "舍".encode())
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    scratch = {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "x.sqlite3"}
    with pytest.raises(BackupError, match="已损坏.*notes.txt"):
        restore_backup(damaged, db=scratch, media_root=tmp_path / "m")
    assert not (tmp_path / "m").exists()
    assert Database(db=scratch).table_counts() == {}


def test_something_that_is_not_a_backup_gets_a_clear_message(tmp_path):
    bogus = tmp_path / "photo.tar.gz"
    bogus.write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="不是 Greenshell 的备份文件"):
        call_command("restore", str(bogus))
    with pytest.raises(CommandError, match="找不到备份文件"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))


@sqlite_only
def test_a_backup_from_another_engine_is_refused(collective, tmp_path):
    archive = create_backup().path
    other = tmp_path / "pg.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(other, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), "engine": "postgresql"}).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="来自 postgresql 数据库，不能恢复到 sqlite"):
        restore_backup(other, db={"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "y.sqlite3"})


@sqlite_only
def test_backup_keep_prunes_old_archives(transactional_db, media, tmp_path):
    target = tmp_path / "rotating"
    target.mkdir()
    for i in range(4):
        old = target / f"greenshell-2026010{i}-000000-sqlite.tar.gz"
        old.write_bytes(b"old")
        os.utime(old, (1_700_000_000 + i, 1_700_000_000 + i))
    out = io.StringIO()
    call_command("backup", "--output", str(target), "--keep", "2", stdout=out)
    left = sorted(p.name for p in target.glob("*.tar.gz"))
    assert len(left) == 2 and "greenshell-20260103-000000-sqlite.tar.gz" in left
    assert out.getvalue().count("已删除旧备份") == 3


# --- PostgreSQL ----------------------------------------------------------------------------------

@pytest.fixture
def scratch_postgres():
    """A separate, empty PostgreSQL database for the restore; dropped afterwards."""
    import psycopg

    source = Database()
    name = f"{source.settings['NAME']}_restore"[:63]
    admin = {**source.pg_params(), "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    db = {**source.settings, "NAME": name}
    yield db
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@requires_postgres
def test_it_round_trips_every_table_and_media_file_on_postgres(collective, media, tmp_path, scratch_postgres):
    source = Database()
    before, files_before = snapshot(source), media_digest(media)

    result = create_backup()
    assert result.manifest["engine"] == "postgresql" and result.manifest["database_file"] == "database.pgdump"
    assert result.manifest["tables"]["coop_farmer"] == Farmer.objects.count()

    restored_media = tmp_path / "restored-media"
    restore_backup(result.path, db=scratch_postgres, media_root=restored_media)
    assert_same(before, snapshot(Database(db=scratch_postgres)))
    assert media_digest(restored_media) == files_before

    # A second restore onto the now-full database is refused without force...
    with pytest.raises(BackupError, match="--force"):
        restore_backup(result.path, db=scratch_postgres, media_root=restored_media)
    # ...and with force it first saves what is there, then replaces it, again without loss.
    done = restore_backup(result.path, db=scratch_postgres, media_root=restored_media, force=True)
    assert done.safety_backup.name.startswith("before-restore-")
    assert_same(before, snapshot(Database(db=scratch_postgres)))


@requires_postgres
def test_the_restore_command_works_against_a_real_postgres_database(collective, media, tmp_path, scratch_postgres):
    archive = create_backup().path
    before = snapshot(Database())
    db = Database(db=scratch_postgres)
    p = db.pg_params()
    url = f"postgres://{p.get('user', 'postgres')}{':' + p['password'] if p.get('password') else ''}" \
          f"@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/{p['dbname']}"
    env = {**{k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)},
           "DEBUG": "true", "DATABASE_URL": url, "MEDIA_ROOT": str(tmp_path / "cmd-media"),
           "BACKUP_DIR": str(tmp_path / "cmd-backups")}
    run = subprocess.run([sys.executable, "manage.py", "restore", str(archive)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "恢复完成" in run.stdout
    assert_same(before, snapshot(db))
    # The application itself reads the restored database.
    check = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                            "from coop.models import Farmer; print(Farmer.objects.count())"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.stdout.strip().splitlines()[-1] == str(len(before["coop_farmer"])), check.stderr
    with db.pg_connect() as conn:  # identity sequences came back too: new rows get fresh ids
        new_id = conn.execute("INSERT INTO django_content_type (app_label, model) VALUES ('ops', 'probe') "
                              "RETURNING id").fetchone()[0]
    assert new_id > max(r[0] for r in before["django_content_type"])
    again = subprocess.run([sys.executable, "manage.py", "restore", str(archive)], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert again.returncode != 0 and "--force" in again.stderr
