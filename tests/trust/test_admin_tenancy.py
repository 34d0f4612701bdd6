"""Shared buyers and platform-wide people in the admin (issue 15, item 4).

A buyer who ordered from two cooperatives could be renamed (and given another 发票抬头 and tax number)
by the manager of either; the add forms for staff, group buys, pledges and coordinators listed every
user of the platform (buyers' user names are often their phone numbers); a failed save of institutional
terms printed the label of the order id typed — another cooperative's order number.
"""

import pytest
from django.contrib.auth import get_user_model

from orders.models import Buyer, InstitutionalTerms, Product
from orders.services import orders as order_service
from tests.factories import ADDRESS

pytestmark = pytest.mark.django_db

PHONE_USER = "13912340000"  # a buyer of cooperative A who signed up with their phone number as user name


@pytest.fixture
def shared_buyer(world):
    """The buyer of A, who also ordered once from B."""
    buyer = Buyer.objects.get(user=world.personas.buyer)
    product_b = Product.objects.filter(cooperative=world.personas.coop_b).first()
    order_service.place_order(buyer=buyer, items=[order_service.Item(product_b, 1)], address=ADDRESS)
    return buyer


def test_a_manager_cannot_rewrite_a_shared_buyers_profile(world, shared_buyer, client_for):
    before = Buyer.objects.values("name", "invoice_title", "tax_number").get(pk=shared_buyer.pk)
    c = client_for(world.personas.manager_b)
    url = f"/admin/orders/buyer/{shared_buyer.pk}/change/"
    page = c.get(url)
    assert page.status_code == 200  # B may look at a buyer who ordered from B…
    assert 'name="invoice_title"' not in page.content.decode()  # …read only
    c.post(url, {"kind": "enterprise", "name": "伪造", "organisation": "伪造公司", "invoice_title": "伪造公司",
                 "tax_number": "91440604MA4UFAKE1X"})
    assert Buyer.objects.values("name", "invoice_title", "tax_number").get(pk=shared_buyer.pk) == before


@pytest.mark.parametrize("path", ["/admin/coop/staff/add/", "/admin/orders/groupbuy/add/", "/admin/orders/pledge/add/",
                                  "/admin/orders/programmecoordinator/add/"])
def test_add_forms_offer_no_one_from_outside_the_cooperative(world, client_for, path):
    phone_user = get_user_model().objects.create_user(PHONE_USER)
    Buyer.objects.create(user=phone_user, name="王", phone=PHONE_USER)
    html = client_for(world.personas.manager_b).get(path).content.decode()
    assert PHONE_USER not in html
    for username in ("farmer_a", "buyer", "manager_a", "inspector_a", "outsider", "coordinator"):
        assert f">{username}<" not in html, username


def test_a_group_buys_leader_is_offered_from_the_own_buyers_with_the_phone_masked(world, client_for):
    phone_user = get_user_model().objects.create_user(PHONE_USER)
    buyer = Buyer.objects.create(user=phone_user, name="", phone=PHONE_USER)
    product = Product.objects.filter(cooperative=world.personas.coop_a).first()
    order_service.place_order(buyer=buyer, items=[order_service.Item(product, 1)], address=ADDRESS)
    html = client_for(world.personas.manager_a).get("/admin/orders/groupbuy/add/").content.decode()
    assert "139****0000" in html and PHONE_USER not in html
    assert ">buyer<" in html  # A's own buyer


def test_a_failed_save_of_institutional_terms_does_not_name_another_cooperatives_order(world, client_for):
    order_a = world.orders["a"]
    InstitutionalTerms.objects.filter(order=order_a).delete()
    response = client_for(world.personas.manager_b).post("/admin/orders/institutionalterms/add/", {
        "order": order_a.pk, "purchase_order_ref": "PO-1", "schedule": "", "deliver_to": ""})
    assert response.status_code == 200  # the form again, with its error
    assert order_a.number not in response.content.decode()
    assert not InstitutionalTerms.objects.filter(order=order_a).exists()


def test_a_cooperative_sees_the_invoice_details_its_order_was_placed_with(world, client_for):
    from orders.services.buyers import update_profile

    buyer = Buyer.objects.get(user=world.personas.buyer)
    update_profile(buyer, kind=Buyer.ENTERPRISE, name="李经理", organisation="紫南食品",
                   invoice_title="佛山市禅城区紫南食品有限公司", tax_number="91440604MA4UDEMX1B")
    product = Product.objects.filter(cooperative=world.personas.coop_a).first()
    order, _created = order_service.place_order(buyer=buyer, items=[order_service.Item(product, 1)],
                                                address=ADDRESS)
    update_profile(buyer, kind=Buyer.ENTERPRISE, name="别人", organisation="另一家",
                   invoice_title="另一家公司", tax_number="91330100799655058B")
    html = client_for(world.personas.manager_a).get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "佛山市禅城区紫南食品有限公司" in html and "91440604MA4UDEMX1B" in html and "李经理" in html
    assert "另一家公司" not in html
