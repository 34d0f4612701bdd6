"""Finding a household the way people here do: member number, phone tail, name, pinyin or its initials."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from coop.models import Delivery, Farmer
from coop.services.farmers import create_farmer, name_keys, search_farmers, update_farmer
from tests.factories import make_farmer, set_prices

pytestmark = pytest.mark.django_db


def household(personas, name, phone="13900001234", member_no="EJ101"):
    return create_farmer(Farmer(cooperative=personas.coop_a, village=personas.village_a, member_no=member_no,
                                head_name=name, phone=phone), user=personas.manager_a)


def intake_post(farmer_text, **kw):
    day = str(timezone.localdate())
    data = {"farmer": farmer_text, "eggs_brought": "10", "laid_from": day, "laid_to": day, "accepted_l": "10",
            "idempotency_key": "k-search"}
    data.update(kw)
    return data


def test_it_spells_a_yi_name_in_pinyin_and_initials():
    assert name_keys("阿吉木日") == {"name_pinyin": "ajimuri", "name_initials": "ajmr"}
    assert name_keys("吉克·拉哈") == {"name_pinyin": "jikelaha", "name_initials": "jklh"}


def test_it_keeps_the_pinyin_up_to_date_on_create_and_rename(personas):
    ajmr = household(personas, "阿吉木日")
    ajmr.refresh_from_db()
    assert (ajmr.name_pinyin, ajmr.name_initials) == ("ajimuri", "ajmr")
    update_farmer(ajmr, {"head_name": "曲比阿果"}, user=personas.manager_a)
    coop_farmers = Farmer.objects.filter(cooperative=personas.coop_a)
    assert list(search_farmers(coop_farmers, "qbag")) == [ajmr]
    assert not search_farmers(coop_farmers, "ajmr").exists()


def test_it_finds_a_household_by_number_phone_tail_name_pinyin_and_initials(personas):
    ajmr = household(personas, "阿吉木日", phone="13912345678")
    household(personas, "吉克阿依", phone="13900000000", member_no="EJ102")
    coop_farmers = Farmer.objects.filter(cooperative=personas.coop_a)
    for typed in ["EJ101", "ej101", "5678", "木日", "ajmr", "AJMR", "aji", "ajimuri", "a j m r"]:
        assert list(search_farmers(coop_farmers, typed)) == [ajmr], typed
    assert not search_farmers(coop_farmers, "").exists()
    assert not search_farmers(coop_farmers, "78").exists()  # two digits would match half the village
    # The other cooperative's 阿苏木呷 is not offered to coop A, however typed.
    assert not search_farmers(coop_farmers, "阿苏").exists()


def test_the_intake_page_takes_initials_or_a_pinyin_prefix(personas, client_for):
    set_prices(personas.coop_a)
    ajmr = household(personas, "阿吉木日")
    c = client_for(personas.inspector_a)
    page = c.get("/intake/").content.decode()
    assert 'label="EJ101 阿吉木日 · ajmr ajimuri"' in page  # the offline list matches initials too
    c.post("/intake/", intake_post("ajmr"))
    c.post("/intake/", intake_post("aji", idempotency_key="k-search-2"))
    assert [d.farmer for d in Delivery.objects.order_by("pk")] == [ajmr, ajmr]


def test_the_intake_page_names_the_households_when_initials_fit_several(personas, client_for):
    set_prices(personas.coop_a)
    household(personas, "阿吉木日")
    household(personas, "阿吉曼日", member_no="EJ102", phone="13900004321")
    resp = client_for(personas.inspector_a).post("/intake/", intake_post("ajmr"))
    text = resp.content.decode()
    assert resp.status_code == 400 and "EJ101 阿吉木日" in text and "EJ102 阿吉曼日" in text
    assert "请选一户或用社员编号" in text
    assert not Delivery.objects.exists()


def test_the_lookup_json_answers_the_intake_page_from_its_own_cooperative(personas, client_for):
    ajmr = household(personas, "阿吉木日")
    c = client_for(personas.inspector_a)
    data = c.get("/intake/farmers/", {"q": "ajmr"}).json()
    assert data["results"] == [{"id": ajmr.pk, "member_no": "EJ101", "head_name": "阿吉木日",
                                "village": "尔吉村", "initials": "ajmr", "value": "EJ101 阿吉木日"}]
    assert c.get("/intake/farmers/", {"q": "阿苏"}).json()["results"] == []  # coop B's household
    assert client_for(personas.outsider).get("/intake/farmers/", {"q": "ajmr"}).status_code == 403


def test_the_admin_household_search_finds_by_initials(personas, client_for):
    household(personas, "阿吉木日")
    household(personas, "吉克阿依", member_no="EJ102", phone="13900004321")
    text = client_for(personas.manager_a).get("/admin/coop/farmer/", {"q": "ajmr"}).content.decode()
    assert "阿吉木日" in text and "吉克阿依" not in text


def test_the_api_search_finds_by_initials(personas, client_for):
    ajmr = household(personas, "阿吉木日")
    household(personas, "吉克阿依", member_no="EJ102", phone="13900004321")
    rows = client_for(personas.manager_a).get("/api/farmers/", {"search": "ajmr"}).json()["results"]
    assert [r["id"] for r in rows] == [ajmr.pk]


def test_the_migration_fills_the_pinyin_of_existing_households(personas):
    old = make_farmer(personas.coop_a, personas.village_a, head_name="阿吉木日")  # saved without the service
    assert old.name_initials == ""
    migration = importlib.import_module("coop.migrations.0005_farmer_name_pinyin")
    migration.fill_name_keys(apps, connection.schema_editor())
    old.refresh_from_db()
    assert (old.name_pinyin, old.name_initials) == ("ajimuri", "ajmr")


def test_every_demo_household_is_found_by_its_initials(seeded_demo):
    farmers = list(Farmer.objects.select_related("cooperative"))
    assert len(farmers) > 10
    for farmer in farmers:
        initials = name_keys(farmer.head_name)["name_initials"]
        assert farmer.name_initials == initials
        assert farmer in search_farmers(Farmer.objects.filter(cooperative=farmer.cooperative), initials), farmer
