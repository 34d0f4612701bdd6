"""Product photos (issue 17): cleaned at upload like report photos, thumbnails made once, shown with
srcset and sizes on the shop list and product page, and none at all when the buyer saves data."""

import io
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from orders.models import ProductPhoto
from orders.services import catalog
from tests.factories import jpeg_with_gps, make_product, photo_upload


def _upload(client, product, upload):
    return client.post(f"/shop/manage/p/{product.pk}/photos/", {"photo": upload}, follow=True)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_upload_strips_gps_and_makes_the_thumbnails_once(shop, personas, client_for, monkeypatch):
    made = []
    real = catalog._thumbnail
    monkeypatch.setattr(catalog, "_thumbnail", lambda data, edge: made.append(edge) or real(data, edge))
    big = jpeg_with_gps(size=(1200, 900))
    assert b"GPS" in big or Image.open(io.BytesIO(big)).getexif().get_ifd(0x8825)

    response = _upload(client_for(personas.manager_a), shop.product, photo_upload("egg.jpg", big))

    assert "照片已上传，商城里已经能看到。" in _messages(response)
    photo = ProductPhoto.objects.get(product=shop.product)
    assert sorted(made) == [320, 720]  # made at upload, once each
    for field, edge in (("image", 1200), ("thumb_small", 320), ("thumb_large", 720)):
        with getattr(photo, field).open("rb") as fh:
            img = Image.open(fh)
            img.load()
            assert max(img.size) == edge
            assert not img.getexif().get_ifd(0x8825), field  # no GPS position
            assert not img.getexif(), field  # no EXIF at all
    assert (photo.small_width, photo.small_height) == (320, 240)
    assert (photo.large_width, photo.large_height) == (720, 540)

    made.clear()
    for _ in range(2):  # pages never resize
        assert client_for().get("/shop/").status_code == 200
        assert client_for().get(f"/shop/p/{shop.product.pk}/").status_code == 200
    assert made == []


def test_a_decompression_bomb_is_refused_in_chinese_before_decoding(shop, personas, client_for, monkeypatch):
    img = Image.new("L", (4000, 4000), 255)  # 16 Mpx of one colour: a few KB of PNG, 16 MB decoded
    buf = io.BytesIO()
    img.save(buf, "PNG")
    assert len(buf.getvalue()) < 100_000

    def no_decoding(self, *a, **kw):
        raise AssertionError("decoded a picture whose header was already too big")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decoding)
    response = _upload(client_for(personas.manager_a), shop.product,
                       SimpleUploadedFile("bomb.png", buf.getvalue(), content_type="image/png"))

    assert any("照片像素太多" in m for m in _messages(response))
    assert not ProductPhoto.objects.exists()


def test_not_a_picture_and_no_file_get_chinese_messages(shop, personas, client_for):
    c = client_for(personas.manager_a)
    response = _upload(c, shop.product, SimpleUploadedFile("egg.jpg", b"not a jpeg", content_type="image/jpeg"))
    assert any("不是有效的图片文件" in m for m in _messages(response))
    response = c.post(f"/shop/manage/p/{shop.product.pk}/photos/", {}, follow=True)
    assert "请选择一张照片。" in _messages(response)
    assert not ProductPhoto.objects.exists()


def test_another_cooperatives_manager_cannot_add_or_delete_a_photo(shop, personas, client_for):
    catalog.add_product_photo(shop.product, photo_upload(), user=personas.manager_a)
    photo = ProductPhoto.objects.get()
    other = client_for(personas.manager_b)
    assert other.post(f"/shop/manage/p/{shop.product.pk}/photos/", {"photo": photo_upload()}).status_code == 404
    assert other.post(f"/shop/manage/p/{shop.product.pk}/photos/delete/", {"photo": photo.pk}).status_code == 404
    assert client_for(personas.inspector_a).get(f"/shop/manage/p/{shop.product.pk}/photos/").status_code == 403
    with pytest.raises(catalog.CatalogError) as exc:
        catalog.add_product_photo(shop.product, photo_upload(), user=personas.manager_b)
    assert exc.value.message == "只能给本合作社的商品上传照片。"
    assert ProductPhoto.objects.count() == 1


def test_the_limit_and_deleting(shop, personas, client_for, django_capture_on_commit_callbacks):
    for _ in range(catalog.MAX_PRODUCT_PHOTOS):
        catalog.add_product_photo(shop.product, photo_upload(), user=personas.manager_a)
    c = client_for(personas.manager_a)
    response = _upload(c, shop.product, photo_upload())
    assert any("最多 6 张照片" in m for m in _messages(response))
    first = ProductPhoto.objects.order_by("position").first()
    path = first.image.path
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(f"/shop/manage/p/{shop.product.pk}/photos/delete/", {"photo": first.pk}, follow=True)
    assert "照片已删除。" in _messages(response)
    assert ProductPhoto.objects.count() == catalog.MAX_PRODUCT_PHOTOS - 1
    assert not os.path.exists(path)


def _imgs(html):
    return re.findall(r"<img\b[^>]*>", html)


def test_list_and_product_pages_show_srcset_and_sizes(shop, personas, client_for):
    catalog.add_product_photo(shop.product, photo_upload("a.jpg", jpeg_with_gps(size=(1000, 800))),
                              user=personas.manager_a)
    catalog.add_product_photo(shop.product, photo_upload("b.jpg", jpeg_with_gps(size=(800, 800))),
                              user=personas.manager_a)
    small, large = ProductPhoto.objects.order_by("position")

    home = client_for().get("/shop/")
    assert "Save-Data" in home["Vary"]
    [thumb] = _imgs(home.content.decode())  # the list: the first photo's thumbnail, one per product
    assert small.thumb_small.url in thumb and f'{small.thumb_small.url} 320w' in thumb
    assert f"{small.thumb_large.url} 720w" in thumb and 'sizes="96px"' in thumb
    assert 'width="320" height="256"' in thumb
    assert small.image.url not in home.content.decode()  # never the full picture on the list

    page = client_for().get(f"/shop/p/{shop.product.pk}/").content.decode()
    first, second = _imgs(page)
    assert 'srcset="' in first and 'sizes="' in first and 'width="720" height="576"' in first
    assert "loading" not in first  # above the fold: fetched at once
    assert 'loading="lazy"' in second and 'width="720" height="720"' in second
    assert large.thumb_large.url in second


def test_save_data_and_the_text_only_choice_carry_no_images(shop, personas, client_for):
    catalog.add_product_photo(shop.product, photo_upload(), user=personas.manager_a)
    make_product(shop.coop, name="绿壳鸡蛋 30枚装", pack_size=30)
    anon = client_for()
    for url in ("/shop/", f"/shop/p/{shop.product.pk}/"):
        assert _imgs(anon.get(url).content.decode())
        html = anon.get(url, HTTP_SAVE_DATA="on").content.decode()
        assert "<img" not in html, url
        assert "绿壳鸡蛋 10枚装" in html and "¥39.90" in html  # the text is all there
        assert "手机已开省流量" in html

    response = anon.post("/shop/text-only/", {"on": "1", "next": "/shop/"}, follow=True)
    assert "已开启省流量：页面不显示图片。" in _messages(response)
    assert "<img" not in anon.get(f"/shop/p/{shop.product.pk}/").content.decode()
    anon.post("/shop/text-only/", {"on": "0", "next": "https://evil.example/"})
    assert _imgs(anon.get("/shop/").content.decode())
    assert anon.get("/shop/text-only/").status_code == 405  # a choice is a POST, never a GET


def test_the_poster_uses_the_products_photo(shop, personas, client_for):
    from orders.services.posters import _photo

    assert _photo(shop.product).size == (750, 560)  # the drawn egg
    catalog.add_product_photo(shop.product, photo_upload("a.jpg", jpeg_with_gps(size=(1000, 800))),
                              user=personas.manager_a)
    assert _photo(shop.product).size == (720, 576)
    assert client_for().get(f"/shop/p/{shop.product.pk}/poster.png").status_code == 200
