"""Admin: managers set up programmes for their own cooperative only; records are read-only."""

from orders.models.programmes import Programme
from tests.factories import buy


def test_a_manager_sees_only_their_cooperatives_programmes_and_villages(pairing, personas, client_for):
    Programme.objects.create(cooperative=personas.coop_b, code="OTHER1", name="别社的项目", east_organisation="某地",
                             east_city="某市", east_province="某省", starts_on="2021-01-01")
    c = client_for(personas.manager_a)
    listing = c.get("/admin/orders/programme/").content.decode()
    assert "紫南村—莫谷村结对帮扶" in listing and "别社的项目" not in listing
    form = c.get("/admin/orders/programme/add/").content.decode()
    assert "莫谷村" in form and personas.farmer_b.village.name not in form
    other = Programme.objects.get(code="OTHER1")
    assert c.get(f"/admin/orders/programme/{other.pk}/change/").status_code == 302  # not theirs: sent away


def test_attributions_and_statements_are_records_not_forms(pairing, personas, client_for):
    order = buy(pairing, 1, personas.manager_a)
    c = client_for(personas.manager_a)
    page = c.get("/admin/orders/programmeattribution/")
    assert page.status_code == 200 and order.number in page.content.decode()
    assert c.get("/admin/orders/programmeattribution/add/").status_code == 403
