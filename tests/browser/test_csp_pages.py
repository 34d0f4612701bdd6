"""The pages work in a real browser under the content security policy: nothing is blocked.

Chromium reports every blocked script, style or image as a console error and a
``securitypolicyviolation`` event; both are collected and must stay empty.
"""

import io
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')
                    + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.fixture
def watched(phone):
    """The phone page, recording CSP violations from the console and from the DOM event."""
    phone.console_csp = []
    phone.on("console", lambda m: "Content Security Policy" in m.text and phone.console_csp.append(m.text))
    phone.context.add_init_script(RECORD_VIOLATIONS)

    def violations():
        found = list(phone.console_csp)
        try:
            found += phone.evaluate("window.__csp || []")
        except Exception:  # page navigating
            pass
        return found

    phone.csp_violations = violations
    return phone


def visit(page, path):
    response = page.goto(page.url_for(path))
    page.wait_for_load_state("networkidle")
    assert "default-src 'self'" in response.headers.get("content-security-policy", "")
    return response


def test_the_landing_page_works_under_the_policy(watched):
    call_command("seed_demo", stdout=io.StringIO())
    visit(watched, "/")
    expect(watched.get_by_text("买鸡蛋")).to_be_visible()
    # The stylesheet applied (a blocked stylesheet would leave the page unstyled).
    assert watched.evaluate("getComputedStyle(document.body).fontFamily") != ""
    assert watched.evaluate("document.styleSheets.length") >= 1
    watched.get_by_role("button", name="English").click()
    expect(watched.locator("html")).to_have_attribute("lang", "en")
    screenshot(watched, "ops-csp-landing")
    assert watched.csp_violations() == []


def test_every_page_linked_from_the_landing_page_works_under_the_policy(watched, live_server):
    call_command("seed_demo", stdout=io.StringIO())
    visit(watched, "/")
    links = watched.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    paths = sorted({urlparse(h).path for h in links if h.startswith("/") and not h.startswith("//")})
    assert "/admin/" in paths
    failures = {}
    for path in paths:
        visit(watched, path)
        if watched.csp_violations():
            failures[path] = watched.csp_violations()
    assert failures == {}, f"CSP violations: {failures}"


def test_the_admin_works_under_the_policy(watched):
    from coop.models import Farmer
    from coop.services.audit import log_action

    call_command("seed_demo", stdout=io.StringIO())
    farmer = Farmer.objects.filter(cooperative__producer_code="HBL").first()
    log_action(farmer, "farmer.phone_changed", data={"旧": "138 0000 1234"}, reason="农户换了手机")
    visit(watched, "/admin/login/")
    watched.fill("input[name=username]", "manager")
    watched.fill("input[name=password]", "greenshell")
    watched.get_by_role("button").last.click()
    watched.wait_for_url("**/admin/workbench/")  # staff land on their workbench
    # A list with filters and search (the audit trail), and a change form with widgets (a farmer).
    visit(watched, "/admin/coop/auditevent/")
    # An action without words of its own is named by what it acted on, never by its code.
    expect(watched.locator("#changelist")).to_contain_text("农户 · 其他操作")
    expect(watched.locator("#changelist")).to_contain_text("农户换了手机")
    screenshot(watched, "ops-csp-admin-audit")
    visit(watched, "/admin/coop/farmer/")
    watched.locator("#result_list tbody a").first.click()
    watched.wait_for_load_state("networkidle")
    expect(watched.locator("form")).not_to_have_count(0)
    assert watched.csp_violations() == []


def test_the_api_docs_render_under_the_policy(watched):
    visit(watched, "/api/docs/")
    expect(watched.locator(".swagger-ui .info .title")).to_contain_text("Greenshell API", timeout=20000)
    screenshot(watched, "ops-csp-api-docs")
    assert watched.csp_violations() == []
