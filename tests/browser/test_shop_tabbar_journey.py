"""The shop's tab bar (商城 · 购物车 · 我的订单 · 我的) stays at the bottom of a 360×640 screen while a long
list scrolls under it, and the page's last line can still be scrolled clear of it (issue 17 defect 6: it sat
in the <footer> as a sticky box, so it scrolled away and the buy buttons fell below the fold)."""

import pytest

from tests.browser.conftest import screenshot
from tests.factories import make_cooperative, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _nav_box(page):
    return page.evaluate("(() => { const r = document.querySelector('.shop-nav').getBoundingClientRect();"
                         " return {top: r.top, bottom: r.bottom, h: innerHeight}; })()")


def test_the_tab_bar_stays_on_screen_while_the_list_scrolls(phone):
    coop = make_cooperative(name="贺波洛乡绿壳蛋合作社", producer_code="HBLJ")
    for n in range(12):
        make_product(coop, name=f"高山绿壳鸡蛋 {n + 1} 号", sort_order=n)
    phone.goto(phone.url_for("/shop/"))
    assert phone.evaluate("document.documentElement.scrollHeight") > 640 * 1.5  # a list longer than the screen
    for y in (0, 600, 100000):
        phone.evaluate(f"window.scrollTo(0, {y})")
        box = _nav_box(phone)
        assert abs(box["bottom"] - box["h"]) <= 1, (y, box)
    # At the very end the last product is above the bar, not under it.
    last = phone.evaluate("document.querySelectorAll('.product')[document.querySelectorAll('.product').length-1]"
                          ".getBoundingClientRect().bottom")
    assert last <= _nav_box(phone)["top"] + 1
    screenshot(phone, "shop-tabbar-scrolled")
