"""Pages stay light (issue 17): every buyer's page of the shop — home, product, cart, checkout, order,
group buy — stays under 30 KB of HTML + CSS + JS (photos come on top), measured the way
``bench/page_weights.py`` measures them for docs/BENCHMARKS.md (the same seed and the same scales)."""

import pytest

from bench.page_weights import BUDGET, PAGES, seed, weigh, weigh_all

pytestmark = pytest.mark.django_db


def test_every_shop_page_stays_under_30_kb_plus_photos():
    client, urls = seed()
    weights = weigh_all(client, urls)
    assert [w.page for w in weights] == list(PAGES)
    over = [(w.page, w.budgeted) for w in weights if w.budgeted > BUDGET]
    assert not over, f"over the 30 KB budget (HTML+CSS+JS, bytes): {over}"
    by_page = {w.page: w for w in weights}
    # The photos are there and weighed apart: the budget is not met by leaving them out of the seed.
    assert by_page["商城首页"].image_count == 4 and by_page["商品页"].image_count == 2
    assert all(w.assets > 0 for w in weights)  # the CSS and JS are counted


def test_save_data_pages_carry_no_pictures_and_stay_under_budget():
    client, urls = seed()
    for w in weigh_all(client, urls, HTTP_SAVE_DATA="on"):
        assert w.image_count == 0, w.page
        assert w.budgeted <= BUDGET, w.page


def test_a_page_that_grows_is_caught():
    """The scale is real: a product whose page carries 30 KB more text is over the budget."""
    client, urls = seed()
    from orders.models import Product

    pk = int(urls["商品页"].strip("/").rsplit("/", 1)[1])
    Product.objects.filter(pk=pk).update(description="山" * 10_500)  # 31.5 KB of UTF-8
    assert weigh(client, "商品页", urls["商品页"]).budgeted > BUDGET
