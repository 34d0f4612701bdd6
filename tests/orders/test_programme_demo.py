"""The demo pairing: two programmes (pairings change), organisations of every kind, a pledge,
attributed orders and certificates whose figures trace to the demo's orders."""

import os

from django.contrib.auth import get_user_model
from django.core.management import call_command

from orders.models.programmes import BuyerOrganisation, Pledge, Programme, Statement
from orders.services import impact
from orders.services import programmes as svc


def test_the_demo_pairing_is_consistent_and_seeds_twice(seeded_demo, client_for):
    with open(os.devnull, "w") as out:
        call_command("seed_demo", stdout=out)
    zinan, ningbo = Programme.objects.get(code="ZNMG16"), Programme.objects.get(code="NBXD21")
    assert {o.kind for o in BuyerOrganisation.objects.filter(programmes=zinan)} == {
        BuyerOrganisation.ENTERPRISE, BuyerOrganisation.INSTITUTION, BuyerOrganisation.CARING}
    assert Pledge.objects.filter(programme=zinan, organisation__kind=BuyerOrganisation.INSTITUTION).exists()
    for p in (zinan, ningbo):
        report = impact.programme_report(p)
        assert report["totals"]["income"] == svc.counted_total(p) > 0
        assert report["totals"]["reached"] > 0
    assert Statement.objects.filter(programme=zinan).count() == 3

    coordinator = get_user_model().objects.get(username="coordinator")
    c = client_for(coordinator)
    assert c.get(f"/programmes/{zinan.pk}/").status_code == 200
    assert c.get(f"/programmes/{ningbo.pk}/").status_code == 404
    st = Statement.objects.filter(programme=zinan).first()
    assert f"¥{st.figures['amount']}" in client_for(None).get(f"/v/{st.code}").content.decode()
