"""/favicon.ico answers the shipped icon, cached (issue 17 defect 6): browsers ask for it on every site."""

from io import BytesIO

from PIL import Image


def test_the_favicon_is_a_small_cached_icon(db, client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r["Content-Type"] == "image/x-icon"
    assert "max-age=604800" in r["Cache-Control"] and "public" in r["Cache-Control"]
    icon = Image.open(BytesIO(r.content))
    assert icon.format == "ICO" and len(r.content) < 8 * 1024
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code == 405
