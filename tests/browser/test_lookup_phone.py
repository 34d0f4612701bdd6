"""The lookup box on the not-found pages at 360 px (issue 17 defect 6): the 查询 button stays on one line
beside the input, inside the screen, overlapping nothing — with a long code typed in."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _boxes(page):
    return page.evaluate("""() => {
        const f = document.querySelector('form.lookup'), i = f.querySelector('input'), b = f.querySelector('button');
        const r = e => { const x = e.getBoundingClientRect(); return {l: x.left, r: x.right, t: x.top, b: x.bottom}; };
        const line = parseFloat(getComputedStyle(b).lineHeight) || 24;
        const doc = document.documentElement;
        return {input: r(i), button: r(b), card: r(f.closest('.card')), lineHeight: line,
                width: doc.clientWidth, scroll: doc.scrollWidth};
    }""")


@pytest.mark.parametrize("path,name", [("/t/ABCDEFGHJKABCDEFGHJKABCDEFGHJKABCDEFGH", "lookup-unknown-code"),
                                       ("/no-such-page/", "lookup-404")])
def test_the_lookup_button_sits_beside_the_input_on_a_phone(phone, path, name):
    phone.goto(phone.url_for(path))
    box = _boxes(phone)
    screenshot(phone, name)
    b, i = box["button"], box["input"]
    assert b["r"] <= box["width"] and box["scroll"] <= box["width"]  # nothing off the screen
    assert b["r"] <= box["card"]["r"] - 8  # inside its card, clear of the border
    assert i["r"] <= b["l"]  # side by side, no overlap
    assert b["b"] - b["t"] < 2 * box["lineHeight"] + 4  # one line of text (plus padding), not 查 / 询
    assert abs(b["t"] - i["t"]) < 12  # on the same row
