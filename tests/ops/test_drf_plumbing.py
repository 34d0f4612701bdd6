"""The per-request shortcuts of coop/lib/drf.py answer exactly what DRF and django-filter answer without
them: the cached token sign-in (and that a revoked token or a deactivated user is refused at once),
the first page without COUNT(*), the FilterSet made once and skipped when no filter is asked for."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coop.lib import drf
from coop.models import Cooperative
from tests.factories import make_cooperative

pytestmark = pytest.mark.django_db

COOPS = "/api/cooperatives/"


def _refused(response):
    """DRF's answer to a failed sign-in here: 403 (the first authenticator, the session, sends no
    WWW-Authenticate), with the authentication code — not a permission refusal."""
    return response.status_code == 403 and response.json()["error"]["code"] == "authentication_failed"


def _token_client(user):
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, token


def _token_queries(client, url=COOPS):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries if "authtoken_token" in q["sql"]]


def test_a_token_is_read_from_the_database_once_then_from_the_cache(personas):
    client, _token = _token_client(personas.manager_a)
    first, first_queries = _token_queries(client)
    again, again_queries = _token_queries(client)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert len(first_queries) == 1 and again_queries == []


def test_a_revoked_token_is_refused_at_once(personas):
    client, token = _token_client(personas.manager_a)
    assert client.get(COOPS).status_code == 200  # now cached
    token.delete()
    assert _refused(client.get(COOPS))


def test_a_deactivated_user_is_refused_at_once_and_let_in_again_when_reactivated(personas):
    user = personas.manager_a
    client, _token = _token_client(user)
    assert client.get(COOPS).status_code == 200
    user.is_active = False
    user.save()
    assert _refused(client.get(COOPS))
    user.is_active = True
    user.save()
    assert client.get(COOPS).status_code == 200


def test_a_deleted_user_is_refused(personas):
    user = personas.outsider
    client, _token = _token_client(user)
    assert client.get("/api/products/").status_code == 200
    user.delete()
    assert _refused(client.get("/api/products/"))


def test_a_stale_copy_written_after_the_revocation_does_not_bring_the_token_back(personas):
    """The race: a request read the token just before it was revoked and writes it to the cache just after."""
    client, token = _token_client(personas.manager_a)
    stale = Token.objects.select_related("user").get(pk=token.pk)
    token.delete()
    entry_key, _changed_key = drf._token_keys(stale.key)
    from django.core.cache import cache

    cache.set(entry_key, stale, 60)
    assert _refused(client.get(COOPS))


def test_the_cached_user_carries_a_change_made_after_it_was_cached(personas):
    user = personas.outsider
    client, _token = _token_client(user)
    assert client.get(COOPS).status_code == 403  # not staff of any cooperative
    user.is_superuser = True
    user.save()
    response = client.get(COOPS)
    assert response.status_code == 200
    assert response.json()["count"] == Cooperative.objects.count()


def test_a_sign_in_saving_last_login_alone_keeps_the_cached_token(personas):
    user = personas.manager_a
    client, _token = _token_client(user)
    client.get(COOPS)
    user.save(update_fields=["last_login"])
    _response, queries = _token_queries(client)
    assert queries == []


def test_an_unknown_token_is_refused_every_time_and_never_cached(personas):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for _i in range(2):
        response, queries = _token_queries(client)
        assert _refused(response) and len(queries) == 1


def test_a_cache_outage_falls_back_to_the_database(personas, monkeypatch):
    client, _token = _token_client(personas.manager_a)

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(drf.cache, "get_many", down)
    monkeypatch.setattr(drf.cache, "set", down)
    response, queries = _token_queries(client)
    assert response.status_code == 200 and len(queries) == 1


def test_switched_off_every_request_reads_the_database(personas, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    client, _token = _token_client(personas.manager_a)
    for _i in range(2):
        _response, queries = _token_queries(client)
        assert len(queries) == 1


# --- the first page without COUNT(*) ------------------------------------------------------------------


def _coops(n, prefix="PG"):
    for i in range(n):
        make_cooperative(name=f"合作社{prefix}{i}", producer_code=f"{prefix}{i:03d}")
    return Cooperative.objects.order_by("pk")


@pytest.mark.parametrize("rows,per_page,orphans", [(0, 5, 0), (3, 5, 0), (5, 5, 0), (6, 5, 0), (12, 5, 0),
                                                   (6, 5, 1), (7, 5, 1), (12, 5, 2)])
def test_the_first_page_is_the_same_page_as_djangos(rows, per_page, orphans):
    queryset = _coops(rows)
    ours, django = drf.FirstPagePaginator(queryset, per_page, orphans), Paginator(queryset, per_page, orphans)
    for number in (1, "1"):
        page, theirs = ours.page(number), django.page(number)
        assert list(page) == list(theirs)
        assert (ours.count, ours.num_pages, page.has_next(), page.has_previous()) == (
            django.count, django.num_pages, theirs.has_next(), theirs.has_previous())
        assert (page.start_index(), page.end_index()) == (theirs.start_index(), theirs.end_index())
        ours = drf.FirstPagePaginator(queryset, per_page, orphans)
    later = drf.FirstPagePaginator(queryset, per_page, orphans)
    if django.num_pages > 1:
        assert list(later.page(2)) == list(django.page(2))


def test_a_short_list_is_one_query_a_long_one_counts():
    with CaptureQueriesContext(connection) as short:
        paginator = drf.FirstPagePaginator(_coops(3), 5)
        list(paginator.page(1)), paginator.count, paginator.num_pages
    assert [q["sql"] for q in short.captured_queries if "COUNT(" in q["sql"]] == []
    queryset = _coops(4, "PH")  # 7 rows now
    with CaptureQueriesContext(connection) as long:
        paginator = drf.FirstPagePaginator(queryset, 5)
        assert len(list(paginator.page(1))) == 5 and paginator.count == 7
    assert len([q for q in long.captured_queries if "COUNT(" in q["sql"]]) == 1


def test_the_api_list_answers_the_same_count_and_links(personas, api_for):
    api = api_for(personas.manager_a)
    for i in range(3):
        make_cooperative(name=f"合作社{i}", producer_code=f"PL{i:03d}")
    from coop.models import Staff

    for coop in Cooperative.objects.all():
        Staff.objects.get_or_create(user=personas.manager_a, cooperative=coop, defaults={"role": Staff.MANAGER})
    total = Cooperative.objects.count()
    whole = api.get(COOPS).json()
    assert (whole["count"], whole["next"], whole["previous"], len(whole["results"])) == (total, None, None, total)
    first = api.get(COOPS, {"page_size": 2}).json()
    assert first["count"] == total and first["next"].endswith("page=2&page_size=2") and len(first["results"]) == 2
    assert api.get(COOPS, {"page": 99}).status_code == 404


# --- filters -----------------------------------------------------------------------------------------


def test_filters_answer_as_django_filter_does(personas, api_for):
    from orders.models import Product
    from tests.factories import make_product

    make_product(personas.coop_a, weight_class="L", pack_size=10)
    make_product(personas.coop_a, weight_class="M", pack_size=30)
    make_product(personas.coop_b, weight_class="L", pack_size=30)
    api = api_for(personas.buyer)

    def ids(params):
        response = api.get("/api/products/", params)
        assert response.status_code == 200
        return sorted(row["id"] for row in response.json()["results"])

    active = Product.objects.filter(active=True)
    assert ids({}) == sorted(active.values_list("id", flat=True))
    assert ids({"weight_class": "L"}) == sorted(active.filter(weight_class="L").values_list("id", flat=True))
    assert ids({"cooperative": personas.coop_b.pk, "pack_size": 30}) == sorted(
        active.filter(cooperative=personas.coop_b, pack_size=30).values_list("id", flat=True))
    assert ids({"page": 1, "ordering": "id"}) == ids({})  # not filters: the list unfiltered
    bad = api.get("/api/products/", {"cooperative": "not-a-number"})
    assert bad.status_code == 400 and "cooperative" in bad.json()["error"]["fields"]


def test_the_filterset_class_is_made_once_per_view(personas, api_for):
    from orders.api.catalog import ProductViewSet
    from orders.models import Product

    backend = drf.FilterBackend()
    view = ProductViewSet()
    first = backend.get_filterset_class(view, Product.objects.all())
    assert backend.get_filterset_class(view, Product.objects.filter(active=True)) is first
    assert set(first.base_filters) == {"cooperative", "weight_class", "pack_size"}
