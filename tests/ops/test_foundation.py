"""The skeleton: settings refuse bad values, pages and API answer, the tenant rule holds."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from coop.models import Cooperative, Farmer

ROOT = Path(__file__).resolve().parents[2]


def run_python(code, **env):
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True)


SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','coop.settings'); django.setup()"


def test_it_refuses_a_bad_debug_value_with_a_clear_message():
    result = run_python(SETUP, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a yes/no value" in result.stderr


def test_it_requires_a_secret_key_when_debug_is_off():
    result = run_python(SETUP, DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_a_bad_redis_url():
    result = run_python(SETUP, DEBUG="true", REDIS_URL="localhost:6379")
    assert result.returncode != 0
    assert "REDIS_URL='localhost:6379' is not a valid URL" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    env = {"DEBUG": "false", "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-1234567890",
           "SITE_URL": "https://eggs.example.cn", "ALLOWED_HOSTS": "eggs.example.cn"}
    result = run_python(SETUP + "; from django.core.management import call_command; "
                        "call_command('check', '--deploy', '--fail-level', 'WARNING')", **env)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.django_db
def test_landing_page_is_chinese_by_default_and_links_everywhere(client, seeded_demo):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "高山散养绿壳鸡蛋" in html
    assert "桌古村" in html and "海拔" in html
    for link in ('href="/shop/"', 'href="/farmer/"', 'href="/admin/"', 'action="/lookup/"'):
        assert link in html


@pytest.mark.django_db
def test_language_switch_gives_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Buy eggs" in html


@pytest.mark.django_db
def test_code_lookup_redirects_to_the_scan_page(client):
    response = client.get("/lookup/", {"code": " k7qx-9m "})
    assert response.status_code == 302 and response["Location"] == "/t/K7QX-9M"
    assert client.get("/lookup/", {"code": "!!"}).status_code == 400


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_chinese_404_with_a_code_box(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode() and 'name="code"' in response.content.decode()


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and response.json()["status"] == "ok"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from coop.services import health

    def broken():
        raise ConnectionError("refused")

    monkeypatch.setattr(health, "check_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("down")


@pytest.mark.django_db
def test_seed_demo_is_deterministic_and_safe_twice(seeded_demo):
    first = list(Farmer.objects.order_by("member_no").values_list("member_no", "head_name", "phone"))
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert Cooperative.objects.count() == 2
    assert list(Farmer.objects.order_by("member_no").values_list("member_no", "head_name", "phone")) == first
    assert Farmer.objects.filter(cooperative__producer_code="HBL").count() == 30


def test_openapi_schema_is_valid():
    out = subprocess.run([sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
                          "--file", os.devnull], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "DEBUG": "true"})
    assert out.returncode == 0, out.stderr[-3000:]


@pytest.mark.django_db
def test_schema_and_docs_are_served_from_local_assets(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert json.loads(schema.content)["openapi"].startswith("3.")
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs and "unpkg" not in docs and "jsdelivr" not in docs


@pytest.mark.django_db
def test_token_auth_and_error_shape(api_for, personas):
    anon = api_for()
    bad = anon.post("/api/auth/token/", {"username": "manager_a", "password": "wrong"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    good = anon.post("/api/auth/token/", {"username": "manager_a", "password": "pw-greenshell-1"}, format="json")
    token = good.json()["token"]
    anon.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = anon.get("/api/farmers/")
    assert listing.status_code == 200
    assert set(listing.json()) == {"count", "next", "previous", "results"}


@pytest.mark.django_db
def test_api_never_shows_another_cooperatives_farmers(api_for, personas):
    a_farmer = personas.farmer_a
    as_b = api_for(personas.manager_b)
    names = [f["head_name"] for f in as_b.get("/api/farmers/").json()["results"]]
    assert a_farmer.head_name not in names and personas.farmer_b.head_name in names
    assert as_b.get(f"/api/farmers/{a_farmer.pk}/").status_code == 404
    assert as_b.patch(f"/api/farmers/{a_farmer.pk}/", {"hens": 1}, format="json").status_code == 404
    a_farmer.refresh_from_db()
    assert a_farmer.hens == 30


@pytest.mark.django_db
def test_api_farmer_bad_phone_is_refused_in_chinese_and_changes_nothing(api_for, personas):
    before = Farmer.objects.count()
    response = api_for(personas.manager_a).post("/api/farmers/", {
        "village": personas.village_a.pk, "member_no": "X1", "head_name": "曲比阿依", "phone": "12345"}, format="json")
    assert response.status_code == 400
    assert "不是有效的手机号码" in response.json()["error"]["fields"]["phone"][0]
    assert Farmer.objects.count() == before


@pytest.mark.django_db
def test_api_payout_account_is_masked(api_for, personas):
    response = api_for(personas.manager_a).post("/api/farmers/", {
        "village": personas.village_a.pk, "member_no": "X2", "head_name": "曲比阿依", "phone": "+86 138-0000-1234",
        "payout_account": "6222020202021234"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["payout_account_masked"] == "****1234" and "payout_account" not in body
    assert body["phone"] == "13800001234"


@pytest.mark.django_db
def test_admin_shows_managers_only_their_own_cooperative(client_for, personas):
    as_b = client_for(personas.manager_b)
    listing = as_b.get("/admin/coop/farmer/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert personas.farmer_b.head_name in html and personas.farmer_a.head_name not in html
    other = as_b.get(f"/admin/coop/farmer/{personas.farmer_a.pk}/change/")
    assert other.status_code in (302, 404)  # Django redirects "does not exist" to the index
    assert personas.farmer_a.head_name not in as_b.get("/admin/coop/farmer/", follow=True).content.decode()


@pytest.mark.django_db
def test_admin_is_branded_in_chinese(client_for, personas):
    html = client_for(personas.manager_a).get("/admin/").content.decode()
    assert "绿壳蛋合作社 · 管理后台" in html


@pytest.mark.django_db
def test_people_without_a_role_cannot_use_admin_or_api(client_for, api_for, personas):
    assert client_for(personas.outsider).get("/admin/coop/farmer/").status_code == 302
    assert api_for(personas.outsider).get("/api/farmers/").status_code == 403
    assert api_for().get("/api/farmers/").status_code in (401, 403)
