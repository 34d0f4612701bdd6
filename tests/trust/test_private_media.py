"""Issue 15 defect 6: report photos were public — anyone holding the ``/media/…`` path read a bad-egg report
photo or a buyer's after-sale photo. Now they live under ``MEDIA_ROOT/private/`` and only views that check
who asks answer them (coop/lib/media.py): the cooperative's staff, the household fined for the report,
the buyer who sent the photo; everyone else 404, the direct path 404 (DEBUG's /media/ and nginx's
``internal`` location), and nginx sends the file in production (``X-Accel-Redirect``)."""

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import clear_url_caches

from orders.models import AfterSalePhoto, Product, ProductPhoto
from quality.models import ReportPhoto
from tests.trust.world import build_world, photo_bytes

pytestmark = pytest.mark.django_db

NGINX = Path(django_settings.BASE_DIR) / "deploy" / "nginx-greenshell.conf"


@pytest.fixture
def world(personas):
    return build_world(personas)


def _client(user=None):
    c = Client(raise_request_exception=False)
    if user is not None:
        c.force_login(user)
    return c


def _photos(world):
    coop_a = world.personas.coop_a
    return (ReportPhoto.objects.get(report__cooperative=coop_a),
            AfterSalePhoto.objects.get(aftersale__cooperative=coop_a))


def _url(photo):
    kind = "report-photos" if isinstance(photo, ReportPhoto) else "aftersale-photos"
    return f"/files/{kind}/{photo.pk}/"


def test_a_private_photo_is_not_under_the_public_media_root_and_strangers_get_404(world):
    report_photo, aftersale_photo = _photos(world)
    media = Path(django_settings.MEDIA_ROOT)
    p = world.personas
    strangers = {"anonymous": None, "manager_b": p.manager_b, "other_farmer": p.farmer_b.user,
                 "other_buyer": world.buyer_b, "outsider": p.outsider}
    for photo, also_refused in ((report_photo, {"buyer": p.buyer}), (aftersale_photo, {"farmer": p.farmer_a.user})):
        assert not (media / photo.image.name).exists()  # nothing for nginx's public /media/ to find
        assert (media / "private" / photo.image.name).read_bytes() == photo_bytes()
        for who, user in {**strangers, **also_refused}.items():
            response = _client(user).get(_url(photo))
            # 404 as for a photo that does not exist (403 would say it does), and never the bytes.
            assert response.status_code == 404, (who, _url(photo), response.status_code)
            assert photo_bytes() not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_the_right_people_get_the_photo_privately_cached(world):
    report_photo, aftersale_photo = _photos(world)
    p = world.personas
    allowed = [(report_photo, u) for u in (p.manager_a, p.inspector_a, p.committee_a, p.farmer_a.user)]
    allowed += [(aftersale_photo, u) for u in (p.manager_a, p.inspector_a, p.committee_a, p.buyer)]
    for photo, user in allowed:
        response = _client(user).get(_url(photo))
        assert response.status_code == 200, (user.username, _url(photo))
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"].startswith("private")
        assert "X-Accel-Redirect" not in response  # development and tests: Django streams it
        assert b"".join(response.streaming_content) == photo_bytes()


def test_pages_link_to_the_checked_address_never_to_media(world):
    report_photo, aftersale_photo = _photos(world)
    p = world.personas
    penalty = report_photo.report.penalties.get(farmer=p.farmer_a)
    farmer_page = _client(p.farmer_a.user).get(f"/farmer/penalties/{penalty.pk}/").content.decode()
    order_page = _client(p.manager_a).get(f"/shop/manage/o/{aftersale_photo.aftersale.order.number}/")
    admin_page = _client(p.manager_a).get(f"/admin/quality/badeggreport/{report_photo.report_id}/change/")
    assert f'src="{_url(report_photo)}"' in farmer_page and "/media/" not in farmer_page
    assert order_page.status_code == 200 and f'src="{_url(aftersale_photo)}"' in order_page.content.decode()
    assert admin_page.status_code == 200 and f'src="{_url(report_photo)}"' in admin_page.content.decode()
    api = _client(p.manager_a).get(f"/api/reports/{report_photo.report_id}/")
    assert api.json()["photos"] == [_url(report_photo)]
    # Whoever may read the programme's report may open its agreement through the same kind of check.
    programme = world.obj("orders.programme")
    assert _client(p.manager_a).get(f"/programmes/{programme.pk}/agreement/").status_code == 200
    assert _client(p.manager_b).get(f"/programmes/{programme.pk}/agreement/").status_code in (302, 404)
    programme_admin = _client(p.manager_a).get(f"/admin/orders/programme/{programme.pk}/change/").content.decode()
    assert f'href="/programmes/{programme.pk}/agreement/"' in programme_admin and "/media/" not in programme_admin


@pytest.fixture
def debug_urls(settings):
    """coop/urls.py as it is with DEBUG on (it adds /media/ serving only then)."""
    import coop.urls

    settings.DEBUG = True
    clear_url_caches()
    importlib.reload(coop.urls)
    yield
    settings.DEBUG = False
    importlib.reload(coop.urls)
    clear_url_caches()


def test_the_direct_media_path_of_a_private_file_is_404_in_debug(world, debug_urls):
    report_photo, aftersale_photo = _photos(world)
    product = Product.objects.filter(cooperative=world.personas.coop_a).first()
    published = ProductPhoto(product=product)  # a product photo: published, so public
    published.image.save("eggs.jpg", ContentFile(photo_bytes("green")), save=False)
    anyone = _client()
    assert anyone.get(published.image.url).status_code == 200  # public media still served
    for photo in (report_photo, aftersale_photo):
        name = photo.image.name
        for path in (f"/media/{name}", f"/media/private/{name}", f"/media/./private/{name}",
                     f"/media/products/../private/{name}", f"/media//private/{name}", photo.image.url):
            assert anyone.get(path).status_code == 404, path


def test_in_x_accel_mode_nginx_sends_the_file(world, settings):
    settings.PRIVATE_MEDIA_X_ACCEL = True
    report_photo, aftersale_photo = _photos(world)
    for photo, user in ((report_photo, world.personas.farmer_a.user), (aftersale_photo, world.personas.buyer)):
        response = _client(user).get(_url(photo))
        assert response.status_code == 200
        assert response["X-Accel-Redirect"] == f"/media/private/{photo.image.name}"
        assert response["Content-Type"] == "image/jpeg" and response["Cache-Control"].startswith("private")
        assert response.content == b""
        # A stranger still gets a 404 and no redirect for nginx to follow.
        refused = _client(world.personas.manager_b).get(_url(photo))
        assert refused.status_code == 404 and "X-Accel-Redirect" not in refused


def _location(conf, prefix):
    m = re.search(r"location\s+(?:\^~\s+)?" + re.escape(prefix) + r"\s*\{(?P<body>[^}]*)\}", conf)
    return m["body"] if m else None


def test_the_nginx_site_serves_private_files_only_internally():
    conf = NGINX.read_text()
    private = _location(conf, django_settings.PRIVATE_MEDIA_X_ACCEL_PREFIX)
    public = _location(conf, django_settings.MEDIA_URL)
    assert private is not None and public is not None
    assert re.search(r"^\s*internal;", private, re.M)
    # ^~: a regex location can never take these paths first.
    assert re.search(r"location\s+\^~\s+/media/private/", conf)
    public_root = re.search(r"alias\s+(\S+);", public)[1]
    assert re.search(r"alias\s+(\S+);", private)[1] == public_root + "private/"
    assert "expires" not in private  # Django's Cache-Control: private is what the browser gets


def _migration():
    return importlib.import_module("quality.migrations.0008_move_private_files")


def test_the_migration_moves_existing_public_files_and_loses_none(world, capsys):
    from django.apps import apps

    report_photo, aftersale_photo = _photos(world)
    media = Path(django_settings.MEDIA_ROOT)
    # As before this change: an older report photo and the after-sale photo in the public media root.
    old = "reports/2020/01/old.jpg"
    (media / old).parent.mkdir(parents=True, exist_ok=True)
    (media / old).write_bytes(b"old photo")
    (media / "private" / report_photo.image.name).unlink()
    ReportPhoto.objects.filter(pk=report_photo.pk).update(image=old)
    name = aftersale_photo.image.name
    (media / name).parent.mkdir(parents=True, exist_ok=True)
    (media / "private" / name).rename(media / name)
    # A row whose file was lost long ago: skipped and counted, nothing fails.
    ReportPhoto.objects.create(report=report_photo.report, image="reports/2019/01/gone.jpg", width=1, height=1)

    _migration().forwards(apps, connection.schema_editor())
    assert "2 moved to MEDIA_ROOT/private/, 1 not on disk" in capsys.readouterr().out
    for moved in (old, name):
        assert not (media / moved).exists() and (media / "private" / moved).exists()
    assert (media / "private" / old).read_bytes() == b"old photo"
    assert (media / "private" / name).read_bytes() == photo_bytes()
    _migration().forwards(apps, connection.schema_editor())  # again: nothing moves, nothing breaks
    assert "moved" not in capsys.readouterr().out.replace("0 moved", "")
    manager = _client(world.personas.manager_a)
    assert b"".join(manager.get(_url(report_photo)).streaming_content) == b"old photo"
    assert _client().get(f"/media/{old}").status_code == 404

    _migration().backwards(apps, connection.schema_editor())
    assert (media / old).read_bytes() == b"old photo" and not (media / "private" / old).exists()
