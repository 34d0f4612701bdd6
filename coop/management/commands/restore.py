"""``python manage.py restore <archive>``: put a backup back (see coop/services/backup.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coop.services.backup import BackupError, restore_backup


class Command(BaseCommand):
    # A backup or restore must work even when some part of the site fails its system checks.
    requires_system_checks = []
    help = ("从备份归档恢复数据库和上传的文件。已有数据时需加 --force。"
            "Restore the database and media from an archive; --force to overwrite existing data.")

    def add_arguments(self, parser):
        parser.add_argument("archive", help="manage.py backup 生成的 .tar.gz 文件。")
        parser.add_argument("--force", action="store_true",
                            help="覆盖已有数据（先自动另存一份当前数据）。Overwrite existing data.")
        parser.add_argument("--no-safety-backup", action="store_true",
                            help="用 --force 时不先备份当前数据。Skip the safety backup before overwriting.")
        parser.add_argument("--database", default="default", help="Django 数据库别名。Database alias.")

    def handle(self, *args, archive, force=False, no_safety_backup=False, database="default", **options):
        try:
            result = restore_backup(archive, using=database, force=force, safety_backup=not no_safety_backup)
        except BackupError as exc:
            raise CommandError(str(exc))
        m = result.manifest
        if result.safety_backup:
            self.stdout.write(_("覆盖前的数据已另存为：%(path)s") % {"path": result.safety_backup})
        if result.media_moved_to:
            self.stdout.write(_("原有的媒体文件已移到：%(path)s") % {"path": result.media_moved_to})
        rows = sum(m["tables"].values())
        self.stdout.write(self.style.SUCCESS(
            _("恢复完成：%(tables)d 张表、%(rows)d 行（与备份清单逐表核对一致），%(media)d 个媒体文件。")
            % {"tables": len(m["tables"]), "rows": rows, "media": len(m["media"])}))
        self.stdout.write(_("备份时间：%(when)s。如果程序比备份新，请接着运行：python manage.py migrate")
                          % {"when": m["created_at"]})
