"""A wrong /v/ code answers the site's own Chinese 404 page, even with DEBUG on (issue 17 defect 6)."""

import pytest


@pytest.mark.parametrize("debug", [True, False])
def test_a_wrong_verification_code_gets_the_sites_404_page(db, client, settings, debug):
    settings.DEBUG = debug
    r = client.get("/v/NOSUCHCODE12345")
    html = r.content.decode()
    assert r.status_code == 404
    assert "找不到这份证明：验证码不正确，证明可能是伪造的。" in html and "找不到这个页面" in html
    assert "Django" not in html and "URLconf" not in html and "technical" not in html.lower()
