"""Page weights of the shop (issue 17 "Pages stay light"): what a buyer's phone downloads for the shop
home, a product, the cart, checkout, an order and a group buy.

Seeds a shop through the factories and services (a cooperative, four products with two photos each
uploaded through ``orders.services.catalog``, stock, a pick-up point, a signed-in buyer with a cart,
an order and an open group buy), fetches each page with Django's test client as that buyer, and
weighs it: the HTML as served, the HTML gzipped (what nginx / WhiteNoise send), the CSS and JS the page
links (read from the static files, raw and gzipped), and the pictures its ``<img src>`` fetch. The
budget is 30 KB of HTML + CSS + JS, photos not counted; ``tests/orders/test_page_weights.py`` runs the
same ``seed`` and ``weigh`` and fails a page above it.

    .venv/bin/python bench/page_weights.py        # throw-away SQLite, prints the table
"""

import gzip
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET = 30 * 1024  # HTML + CSS + JS, raw bytes; photos come on top
PAGES = ("商城首页", "商品页", "购物车", "结算", "订单", "接龙")
ASSET = re.compile(r"""<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*\ssrc)="([^"]+)\"""")
IMG_SRC = re.compile(r"""<img\b[^>]*\ssrc="([^"]+)\"""")


@dataclass
class Weight:
    page: str
    url: str
    html: int = 0
    html_gzip: int = 0
    assets: int = 0  # CSS + JS the page links, raw
    assets_gzip: int = 0
    images: int = 0
    image_count: int = 0
    external: list = field(default_factory=list)  # scripts from another site (WeChat's JS-SDK), not weighed

    @property
    def budgeted(self):
        """HTML + CSS + JS, raw: what the 30 KB budget counts."""
        return self.html + self.assets

    @property
    def total(self):
        return self.html + self.assets + self.images

    @property
    def total_gzip(self):
        return self.html_gzip + self.assets_gzip + self.images  # JPEGs do not shrink under gzip


def _gz(data):
    return len(gzip.compress(data, compresslevel=6))


def _static_bytes(url):
    from django.conf import settings
    from django.contrib.staticfiles import finders

    path = finders.find(url.removeprefix(settings.STATIC_URL).split("?")[0])
    return Path(path).read_bytes() if path else None


def _image_bytes(client, url):
    from django.conf import settings

    if url.startswith(settings.MEDIA_URL):
        return (Path(settings.MEDIA_ROOT) / url.removeprefix(settings.MEDIA_URL)).read_bytes()
    response = client.get(url)
    return b"".join(response.streaming_content) if response.streaming else response.content


def weigh(client, page, url, **headers):
    """The weight of ``url`` as ``client`` gets it (``headers`` as Django's ``HTTP_…`` keywords)."""
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content
    w = Weight(page=page, url=url, html=len(html), html_gzip=_gz(html))
    text = html.decode()
    for src in dict.fromkeys(ASSET.findall(text)):
        data = _static_bytes(src) if src.startswith("/") else None
        if data is None:
            w.external.append(src)
            continue
        w.assets += len(data)
        w.assets_gzip += _gz(data)
    for src in dict.fromkeys(IMG_SRC.findall(text)):
        w.images += len(_image_bytes(client, src))
        w.image_count += 1
    return w


def _photo(seed, size=(1200, 900)):
    """A camera-like JPEG (a gradient with noise, so it weighs what a real photo of eggs does)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageFilter

    # Blurred noise: the grain of a phone photo, not the static of pure noise (which no JPEG compresses).
    noise = Image.effect_noise(size, 30 + seed).filter(ImageFilter.GaussianBlur(2))
    base = Image.linear_gradient("L").resize(size)
    img = Image.merge("RGB", (Image.blend(base, noise, 0.5), noise, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return SimpleUploadedFile(f"eggs-{seed}.jpg", buf.getvalue(), content_type="image/jpeg")


def seed():
    """A shop as a buyer sees it; returns ``(client, {page: url})`` with the client signed in, a cart full."""
    from decimal import Decimal

    from django.test import Client

    from coop.models import Staff
    from orders.models import Buyer, PickupPoint
    from orders.services import catalog
    from orders.services.orders import Item, place_order
    from tests.factories import make_batch, make_cooperative, make_group_buy, make_product, make_staff, make_user

    coop = make_cooperative(name="贺波洛乡绿壳蛋合作社", producer_code="HBLW")
    manager = make_staff(coop, Staff.MANAGER, "weights_manager")
    products = []
    catalogue = [("高山绿壳鸡蛋 10枚装", 10, "39.90"), ("高山绿壳鸡蛋 30枚装", 30, "109.00"),
                 ("高山绿壳鸡蛋 20枚礼盒", 20, "79.00"), ("土鸡蛋 15枚装", 15, "45.00")]
    about = "海拔两千米以上的山坡放养，吃虫子和玉米，蛋黄颜色深。每一盒都能查到来自哪个村、哪一批。"
    for i, (name, size, price) in enumerate(catalogue):
        product = make_product(coop, name=name, pack_size=size, price=Decimal(price), sort_order=i, description=about)
        make_batch(coop, weight_class="L", pack_size=size, boxes=40)
        for k in range(2):
            catalog.add_product_photo(product, _photo(i * 2 + k), user=manager)
        products.append(product)
    pickup = PickupPoint.objects.create(cooperative=coop, name="尔吉村村委会", address="贺波洛乡尔吉村",
                                        hours="每天 9:00–18:00")
    buyer_user = make_user("weights_buyer")
    buyer = Buyer.objects.create(user=buyer_user, name="张三", phone="13800001234")
    order, _created = place_order(buyer=buyer, items=[Item(products[0], 2), Item(products[1], 1)],
                                  address={"recipient": "张三", "phone": "13800001234",
                                           "address": "四川省凉山彝族自治州西昌市长安街 1 号"},
                                  note="请放门卫室")
    shop = type("Shop", (), {"coop": coop, "product": products[0], "pickup": pickup})()
    group_buy = make_group_buy(shop, buyer_user, stock_cap=50, note="周六上午在村委会门口取蛋")
    client = Client()
    client.force_login(buyer_user)
    for p in products[:3]:
        client.post("/shop/cart/update/", {"product": p.pk, "boxes": "2", "add": "1"})
    urls = {"商城首页": "/shop/", "商品页": f"/shop/p/{products[0].pk}/", "购物车": "/shop/cart/",
            "结算": "/shop/checkout/", "订单": f"/shop/orders/{order.number}/", "接龙": f"/shop/g/{group_buy.code}"}
    return client, urls


def weigh_all(client, urls, **headers):
    return [weigh(client, page, urls[page], **headers) for page in PAGES]


def kb(n):
    return f"{n / 1024:.1f} KB"


def table(weights, title):
    rows = [f"{title}\n",
            "| page | HTML | HTML gzip | CSS+JS (gzip) | HTML+CSS+JS vs 30 KB | photos | total | total gzip |",
            "|---|---|---|---|---|---|---|---|"]
    for w in weights:
        ok = "✔" if w.budgeted <= BUDGET else "✘"
        rows.append(f"| {w.page} `{re.sub(r'[0-9]{6,}', 'N', w.url)}` | {kb(w.html)} | {kb(w.html_gzip)} | "
                    f"{kb(w.assets)} ({kb(w.assets_gzip)}) | {kb(w.budgeted)} {ok} | "
                    f"{w.image_count} · {kb(w.images)} | {kb(w.total)} | {kb(w.total_gzip)} |")
    return "\n".join(rows)


def upload_timing():
    """What one upload costs the server: a 12-Mpx phone JPEG cleaned, its two thumbnails made, stored."""
    from bench.common import timed
    from orders.models import Product, ProductPhoto
    from orders.services import catalog
    product = Product.objects.order_by("id").last()
    manager = product.cooperative.staff.get(user__username="weights_manager").user
    photo = _photo(9, size=(4000, 3000))
    size = photo.size

    def upload():
        photo.seek(0)
        made = catalog.add_product_photo(product, photo, user=manager)
        ProductPhoto.objects.filter(pk=made.pk).delete()  # stay under the photo limit
        return made

    median, fastest, made = timed(upload, runs=5)
    return (f"Upload of a 4000×3000 JPEG ({size / 1024:.0f} KB): {median * 1000:.0f} ms median, "
            f"{fastest * 1000:.0f} ms fastest (5 runs) → photo {made.width}×{made.height} "
            f"{made.image.size / 1024:.0f} KB, thumbnails {made.small_width} px {made.thumb_small.size / 1024:.1f} KB, "
            f"{made.large_width} px {made.thumb_large.size / 1024:.1f} KB")


def main():
    from bench.common import sqlite_django

    sqlite_django("page-weights", LOG_LEVEL="WARNING")
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's templates and ALLOWED_HOSTS "testserver"
    call_command("migrate", verbosity=0)
    client, urls = seed()
    cart = client.get(urls["购物车"]).content.decode()
    assert cart.count("高山绿壳鸡蛋") >= 3, "the cart is not full: the table would flatter it"
    print(table(weigh_all(client, urls), "As served (photos on):"))
    print()
    print(table(weigh_all(client, urls, HTTP_SAVE_DATA="on"), "With `Save-Data: on` (or 省流量):"))
    print()
    print(upload_timing())
    external = {e for w in weigh_all(client, urls) for e in w.external}
    if external:
        print("\nNot weighed (another site):", ", ".join(sorted(external)))


if __name__ == "__main__":
    main()
