"""With the database unreachable, the scan page and the API answer 503, not the 500 page (issue 15, item 9).

The outage is made the way PostgreSQL going away looks to Django: every new cursor raises
``OperationalError`` (the connection the test holds stays open, so the test's own rollback still works).
"""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    def down():
        monkeypatch.setattr(BaseDatabaseWrapper, "_cursor", refuse)

    return down


def test_the_api_answers_json_503_when_the_database_is_down(personas, api_for, database_down):
    api = api_for(personas.manager_a)
    database_down()
    response = api.get("/api/batches/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "unavailable" and "稍后再试" in response.json()["error"]["message"]
    assert response["Retry-After"] == "30"


def test_the_scan_page_answers_a_short_503_page_when_the_database_is_down(farmer_a_batch, client, database_down):
    code = farmer_a_batch.trace.code
    database_down()
    response = client.get(f"/t/{code}")
    assert response.status_code == 503
    assert "再扫一次" in response.content.decode() and response["Retry-After"] == "30"


def test_other_errors_still_reach_the_500_page(personas, api_for, monkeypatch):
    from coop.api import batches

    monkeypatch.setattr(batches.BatchViewSet, "list", lambda self, request: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # the test client re-raises what the 500 handler would answer
        api_for(personas.manager_a).get("/api/batches/")
