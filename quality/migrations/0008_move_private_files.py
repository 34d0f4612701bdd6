"""Move the files that became private from MEDIA_ROOT/<name> to MEDIA_ROOT/private/<name>.

Until now nginx (and DEBUG's /media/) served every upload: report and after-sale photos, label sheets and
agreements were readable by anyone holding the path. The names stored in the rows do not change (the
private storage's root is MEDIA_ROOT/private/), so each file is renamed on the same disk: nothing is
copied or lost, and the old public path answers 404 from then on. Safe to run again: a file already in
place is left alone, a missing one (lost before this migration) is skipped and counted. Reversible.

The code is written out here, not imported, so that this migration does the same thing forever.
"""

import os
from pathlib import Path

from django.conf import settings
from django.db import migrations

PRIVATE_FIELDS = [("quality", "ReportPhoto", "image"), ("quality", "LabelSheet", "file"),
                  ("orders", "AfterSalePhoto", "image"), ("orders", "Programme", "agreement")]


def _names(apps, db):
    for app, model, field in PRIVATE_FIELDS:
        rows = apps.get_model(app, model).objects.using(db).exclude(**{field: ""}).values_list(field, flat=True)
        yield from (name for name in rows.iterator() if name)


def _move(apps, db, *, to_private):
    media = Path(settings.MEDIA_ROOT)
    moved = missing = 0
    for name in _names(apps, db):
        public, private = media / name, media / "private" / name
        src, dst = (public, private) if to_private else (private, public)
        if dst.exists():
            if src.exists() and src.read_bytes() == dst.read_bytes():
                src.unlink()  # a copy left by an interrupted earlier run: the old path must stop working
            continue
        if not src.exists():
            missing += 1
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)  # a rename on one file system: atomic, the bytes never copied
        moved += 1
    if moved or missing:
        where = "MEDIA_ROOT/private/" if to_private else "MEDIA_ROOT/"
        print(f"\n  private files: {moved} moved to {where}, {missing} not on disk")  # noqa: T201 — migrate's output


def forwards(apps, schema_editor):
    _move(apps, schema_editor.connection.alias, to_private=True)  # the database being migrated


def backwards(apps, schema_editor):
    _move(apps, schema_editor.connection.alias, to_private=False)


class Migration(migrations.Migration):

    dependencies = [
        ("quality", "0007_private_media"),
        ("orders", "0008_private_media"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
