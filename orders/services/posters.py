"""Share posters: a product or group-buy picture with price and QR code, drawn with Pillow."""

import io
from pathlib import Path

import qrcode
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
]


W, H = 750, 1100
GREEN = (47, 107, 60)


def cjk_font_path():
    for path in [settings.POSTER_FONT, *FONT_CANDIDATES]:
        if path and Path(path).exists():
            return path
    return None


def _font(size):
    path = cjk_font_path()
    if path:
        return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size=size), False


def _photo(product):
    # The product's first photo at 720 px (the poster is 750 wide): already cleaned and small, so a poster
    # never decodes the full upload.
    first = product.photos.first() if product is not None else None
    if first is not None:
        try:
            with first.thumb_large.open("rb") as fh:
                img = Image.open(fh)
                img.load()
                return img.convert("RGB")
        except (OSError, ValueError):
            pass
    # No photo: a drawn green-shell egg on a hillside, so the poster is never empty.
    img = Image.new("RGB", (W, 560), (230, 242, 232))
    d = ImageDraw.Draw(img)
    d.polygon([(0, 560), (0, 380), (250, 300), (520, 360), (750, 290), (750, 560)], fill=(170, 205, 160))
    d.ellipse([265, 110, 485, 400], fill=(196, 222, 196), outline=(120, 160, 120), width=4)
    return img


def render_poster(*, title, price_text, caption, url, photo):
    img = Image.new("RGB", (W, H), "white")
    ph = photo.copy()
    ph.thumbnail((W, 560))
    img.paste(ph, ((W - ph.width) // 2, 0))
    d = ImageDraw.Draw(img)
    big, cjk = _font(44)
    mid, _cjk = _font(34)
    small, _cjk = _font(26)
    if cjk:
        d.text((40, 590), title, font=big, fill=(29, 37, 32))
        d.text((40, 650), caption, font=small, fill=(91, 102, 94))
        scan = "长按识别二维码购买"
    else:
        d.text((40, 590), "Greenshell eggs", font=big, fill=(29, 37, 32))
        scan = "Scan to buy"
    d.text((40, 720), price_text, font=big, fill=GREEN)
    qr = qrcode.QRCode(border=2, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    q = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB").resize((260, 260))
    img.paste(q, (W - 300, 800))
    d.text((40, 900), scan, font=mid, fill=(29, 37, 32))
    d.text((40, 960), url.replace("http://", "").replace("https://", "")[:40], font=small, fill=(91, 102, 94))
    d.rectangle([0, H - 24, W, H], fill=GREEN)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()
