"""Ten uploads at once to a product with five photos: the limit of six holds (counted under the product's
lock, after the slow cleaning), and without the lock the same burst passes it — the race is real."""

import pytest

from orders.models import ProductPhoto
from orders.services import catalog
from tests.conftest import requires_postgres
from tests.factories import photo_upload
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

UPLOADS = 10


def _burst(shop, manager):
    for _i in range(catalog.MAX_PRODUCT_PHOTOS - 1):
        catalog.add_product_photo(shop.product, photo_upload(), user=manager)
    uploads = [photo_upload(f"{i}.jpg") for i in range(UPLOADS)]
    return run_parallel([lambda up=up: catalog.add_product_photo(shop.product, up, user=manager) for up in uploads])


def test_ten_parallel_uploads_never_pass_the_limit(shop, personas, settings):
    settings.GREENSHELL_LOCKING = True
    results = _burst(shop, personas.manager_a)
    assert errors(results, catalog.CatalogError) == []
    refused = [r for r in results if isinstance(r, catalog.CatalogError)]
    assert len(refused) == UPLOADS - 1 and all(r.code == "too_many_photos" for r in refused)
    assert ProductPhoto.objects.filter(product=shop.product).count() == catalog.MAX_PRODUCT_PHOTOS


def test_without_the_lock_the_burst_passes_the_limit(shop, personas, settings):
    settings.GREENSHELL_LOCKING = False  # the test-only switch: shows what the lock prevents
    _burst(shop, personas.manager_a)
    assert ProductPhoto.objects.filter(product=shop.product).count() > catalog.MAX_PRODUCT_PHOTOS
