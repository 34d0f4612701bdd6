"""Odd input never answers a server error (issue 15, item 9).

``"²".isdigit()`` is True and ``int("²")`` then raises; 5,000 digits exceed Python's int-conversion
limit; ``99999999999`` days overflow a date; ``1e400`` in JSON is infinity; a JSON list where a string
belongs reached the services. Each answered 500. Every number from a request now goes through
``coop.lib.validators.parse_int`` and every text field of an action body through ``coop.lib.drf.body_text``.
"""

import json

import pytest

from coop.lib.validators import InvalidNumber, optional_id, parse_id, parse_int

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "١", "1_0", " ", "1.5", "abc", "9" * 5000, [1], True, float("inf"),
                                   float("nan"), {"a": 1}])
def test_it_refuses_what_is_not_a_whole_number(value):
    if value == " ":
        assert parse_int(value) is None
        return
    with pytest.raises(InvalidNumber) as exc:
        parse_int(value, label="天数")
    assert "天数应为整数" in str(exc.value)


def test_it_reads_plain_digits_and_checks_bounds():
    assert parse_int("42") == 42
    assert parse_int(" 7 ") == 7
    assert parse_int(3) == 3
    assert parse_int(None) is None
    assert parse_id("2147483647") == 2147483647
    with pytest.raises(InvalidNumber, match="不能大于"):
        parse_id("2147483648")
    with pytest.raises(InvalidNumber, match="不能小于"):
        parse_int("-1", minimum=0)
    assert optional_id("²") is None


@pytest.fixture
def manager_web(world, client_for):
    return client_for(world.personas.manager_a)


@pytest.mark.parametrize("path", ["/notice/²", "/notice/²/", "/notice/" + "9" * 5000, "/notice/99999999999999999999"])
def test_it_answers_an_unknown_village_on_the_notice_board_with_404(world, client, path):
    assert client.get(path).status_code == 404


def test_it_still_finds_a_notice_board_by_id(world, client):
    village = world.personas.farmer_a.village
    assert client.get(f"/notice/{village.pk}").status_code == 200


@pytest.mark.parametrize("days", ["²", "99999999999", "9" * 5000, "-3"])
def test_it_refuses_odd_days_on_dashboard_exports_with_a_message(manager_web, days):
    response = manager_web.get("/admin/dashboard/export/deliveries.csv", {"days": days})
    assert response.status_code == 400
    assert "天数" in response.content.decode()


def test_it_still_exports_with_days(manager_web):
    assert manager_web.get("/admin/dashboard/export/deliveries.csv", {"days": "30"}).status_code == 200


@pytest.mark.parametrize("path", ["/intake/", "/books/pack/", "/programmes/monitoring/", "/admin/dashboard/"])
@pytest.mark.parametrize("coop", ["²", "9" * 5000])
def test_it_falls_back_to_the_own_cooperative_on_an_odd_coop(manager_web, path, coop):
    response = manager_web.get(path, {"coop": coop})
    assert response.status_code == 200


@pytest.mark.parametrize("village", ["²", "9" * 30])
def test_it_ignores_an_odd_village_on_programme_reports(world, manager_web, api_for, village):
    programme = world.obj("orders.programme")
    assert manager_web.get(f"/programmes/{programme.pk}/", {"village": village}).status_code == 200
    assert manager_web.get(f"/programmes/{programme.pk}/report.xlsx", {"village": village}).status_code == 200
    assert manager_web.get("/programmes/monitoring/", {"village": village}).status_code == 200
    api = api_for(world.personas.manager_a)
    assert api.get(f"/api/programmes/{programme.pk}/report/", {"village": village}).status_code == 200


@pytest.mark.parametrize("households", ['{"1": 1e400}', '{"²": 1}', '{"1": "²"}', '{"1": [1]}', '[1]'])
def test_it_refuses_odd_households_on_a_preview_with_400(world, api_for, households):
    report = world.obj("quality.badeggreport")
    response = api_for(world.personas.manager_a).get(f"/api/reports/{report.pk}/preview/", {"households": households})
    assert response.status_code == 400
    assert "households" in response.json()["error"]["message"]


@pytest.mark.parametrize("cooperative", ["abc", "1.5", [1], "²", "9" * 5000, {"id": 1}])
def test_it_refuses_an_odd_cooperative_on_api_create_with_400(world, api_for, cooperative):
    api = api_for(world.personas.manager_a)
    body = {"cooperative": cooperative, "name": "新村", "altitude_m": 2000}
    response = api.post("/api/villages/", body, format="json")
    assert response.status_code == 400
    assert "cooperative" in json.dumps(response.json(), ensure_ascii=False)


def _action_urls(world):
    return {
        "penalty reverse": (f"/api/penalties/{world.obj('quality.penalty').pk}/reverse/", "reason"),
        "report dismiss": (f"/api/reports/{world.obj('quality.badeggreport').pk}/dismiss/", "reason"),
        "settlement pay": (f"/api/settlements/{world.obj('coop.settlement').pk}/pay/", "payment_reference"),
        "label sheets": (f"/api/trace/batches/{world.obj('coop.batch').pk}/label-sheets/", "sheet_format"),
        "label copies": (f"/api/trace/batches/{world.obj('coop.batch').pk}/label-sheets/", "copies"),
    }


@pytest.mark.parametrize("action", ["penalty reverse", "report dismiss", "settlement pay", "label sheets",
                                    "label copies"])
@pytest.mark.parametrize("value", [["x"], {"a": "b"}, 1e400])
def test_it_refuses_a_list_where_a_string_belongs_with_400(world, api_for, action, value):
    url, field = _action_urls(world)[action]
    body = json.dumps({field: value}).replace("Infinity", "1e400")  # JSON's way to write an overflow
    response = api_for(world.personas.manager_a).post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]



@pytest.mark.parametrize("count", ["²", "1_0", "٣", "9" * 5000, "99999999999", 1e400])
def test_it_refuses_odd_egg_counts_at_intake_with_a_message(personas, count):
    import datetime

    from django.utils import timezone

    from coop.models import Delivery
    from coop.services.intake import DeliveryError, record_delivery
    from tests.factories import set_prices

    set_prices(personas.coop_a)
    laid = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(DeliveryError):
        record_delivery(farmer=personas.farmer_a, laid_from=laid, laid_to=laid, accepted={"L": count})
    assert Delivery.objects.count() == 0


def test_digits_only_means_0_to_9():
    """``str.isdigit()`` says yes to "²" and "٣"; PINs, phone tails, batch numbers and second-factor codes
    are checked with the one strict helper instead."""
    from coop.lib.validators import is_ascii_digits

    assert is_ascii_digits("2468") and is_ascii_digits("0")
    for odd in ("²", "12²", "٣٣٣٣", "１２３", "", " 12", "12 ", "-1", "1.5", None, 12):
        assert not is_ascii_digits(odd), odd
