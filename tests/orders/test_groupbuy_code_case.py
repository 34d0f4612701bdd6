"""A group buy's code ignores case like every other code (issue 17 defect 6): /shop/g/zn2026a opens ZN2026A."""

from tests.factories import make_group_buy


def test_a_lower_case_code_opens_the_chain_at_its_own_address(shop, personas, client):
    gb = make_group_buy(shop, personas.manager_a, code="ZN2026A")
    r = client.get("/shop/g/zn2026a")
    assert r.status_code == 302 and r["Location"] == "/shop/g/ZN2026A"
    assert client.get("/shop/g/Zn2026A", follow=True).context["gb"] == gb
    assert client.get("/shop/g/zn2026a/pickup/").status_code in (302, 403)  # the leader's page: found, then asked
    assert client.get("/shop/g/NOSUCH").status_code == 404
