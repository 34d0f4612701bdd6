"""Migration 0011_product_photos: an old product photo (stored as uploaded, GPS and all) becomes a cleaned
ProductPhoto with its thumbnails; a broken old file is left out instead of failing the migration."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from PIL import Image

from tests.factories import jpeg_with_gps

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0010_groupbuy_target_waitlist")]
AFTER = [("orders", "0011_product_photos")]


def test_old_photos_are_cleaned_into_product_photos():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    coop = old.get_model("coop", "Cooperative").objects.create(name="老照片合作社", producer_code="LZP")
    Product = old.get_model("orders", "Product")
    with_gps = Product(cooperative=coop, name="有照片", weight_class="L", pack_size=10, price="39.90")
    with_gps.photo.save("old.jpg", ContentFile(jpeg_with_gps(size=(900, 600))), save=False)
    with_gps.save()
    broken = Product(cooperative=coop, name="坏文件", weight_class="L", pack_size=10, price="39.90")
    broken.photo.save("broken.jpg", ContentFile(b"not a picture"), save=False)
    broken.save()
    Product.objects.create(cooperative=coop, name="没照片", weight_class="L", pack_size=10, price="39.90")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    photos = list(new.get_model("orders", "ProductPhoto").objects.all())
    assert [p.product_id for p in photos] == [with_gps.pk]
    photo = photos[0]
    assert (photo.width, photo.height, photo.small_width, photo.large_width) == (900, 600, 320, 720)
    with photo.image.open("rb") as fh:
        assert not Image.open(fh).getexif()  # the GPS position is gone

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect
