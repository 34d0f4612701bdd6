"""``python manage.py backup``: the database and uploaded media in one archive (see coop/services/backup.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coop.services.backup import BackupError, backup_dir, create_backup, prune_backups


class Command(BaseCommand):
    # A backup or restore must work even when some part of the site fails its system checks.
    requires_system_checks = []
    help = "备份数据库和上传的文件到一个 .tar.gz 归档（含校验清单）。Back up the database and media to one archive."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="归档文件或目录（默认 BACKUP_DIR）。Archive file or directory.")
        parser.add_argument("--no-media", action="store_true", help="只备份数据库。Database only.")
        parser.add_argument("--keep", type=int, default=None,
                            help="只保留目录中最新的 N 份备份。Keep only the newest N archives in the directory.")
        parser.add_argument("--database", default="default", help="Django 数据库别名。Database alias.")

    def handle(self, *args, output=None, no_media=False, keep=None, database="default", **options):
        if keep is not None and keep < 1:
            raise CommandError(_("--keep 必须至少为 1。"))
        try:
            result = create_backup(output, using=database, include_media=not no_media)
        except BackupError as exc:
            raise CommandError(str(exc))
        m = result.manifest
        size_mb = result.path.stat().st_size / 1024 / 1024
        self.stdout.write(self.style.SUCCESS(
            _("备份完成：%(path)s（%(size).1f MB）") % {"path": result.path, "size": size_mb}))
        self.stdout.write(_("  数据库：%(engine)s，%(tables)d 张表，共 %(rows)d 行")
                          % {"engine": m["engine"], "tables": len(m["tables"]), "rows": result.total_rows})
        self.stdout.write(_("  媒体文件：%(count)d 个，共 %(bytes)d 字节")
                          % {"count": len(m["media"]), "bytes": sum(i["size"] for i in m["media"])})
        if keep is not None:
            for path in prune_backups(result.path.parent if output else backup_dir(), keep):
                self.stdout.write(_("  已删除旧备份：%(name)s") % {"name": path.name})
