"""Which HTTP verbs every API route answers, pinned.

Each endpoint declares the verbs it offers by its base class (coop/api/base.py). This test walks every
route under /api/ and sends each verb as a manager, an inspector and an anonymous caller: a verb an
endpoint does not offer answers 405 (once the caller is past authentication and permissions), one it
offers answers something else (404 for a row that does not exist, 400 for an empty body...).
"""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

METHODS = ("get", "post", "put", "patch", "delete")
# The schema and its Swagger page are drf-spectacular's views, not ours (test_schema_paths_and_methods below).
SKIP = {"api/schema/", "api/docs/"}
SAMPLES = {"pk": "999999", "number": "NOPE", "code": "NOPE", "provider": "sandbox"}


def api_routes():
    """``{"/api/villages/{pk}/": "/api/villages/999999/"}`` for every API route (format suffixes left out)."""
    routes = {}

    def walk(patterns, prefix):
        for p in patterns:
            text = str(p.pattern).lstrip("^").rstrip("$")
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + text)
            elif (isinstance(p, URLPattern) and (prefix + text).startswith("api/") and "format" not in text
                  and prefix + text not in SKIP):
                route = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>",
                                     lambda m: "{%s}" % (m.group(1) or m.group(2)), prefix + text)
                routes[route] = re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], route)

    walk(get_resolver().url_patterns, "")
    return routes


def answers(api_for, user):
    client = api_for(user)
    table = {}
    for route, url in sorted(api_routes().items()):
        table[route] = {m.upper(): getattr(client, m)(url, {}, format="json").status_code
                        if m != "get" else client.get(url).status_code for m in METHODS}
    return table


def allow_headers(api_for, user):
    client = api_for(user)
    return {route: client.options(url)["Allow"] for route, url in sorted(api_routes().items())}


# Status of GET POST PUT PATCH DELETE (in that order) as manager A, inspector A and an anonymous caller, on a
# row that does not exist (id 999999) and with an empty body. 405 = the verb is not offered.
ANSWERS = {
    "/api/": ("200 405 405 405 405", "200 405 405 405 405", "403 403 403 403 403"),
    "/api/appeals/": ("200 400 405 405 405", "200 400 405 405 405", "403 403 403 403 403"),
    "/api/appeals/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/appeals/{pk}/decide/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/auth/token/": ("405 400 405 405 405", "405 400 405 405 405", "405 400 405 405 405"),
    "/api/batches/": ("200 400 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/batches/{pk}/": ("404 405 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/charters/": ("200 400 405 405 405", "200 403 403 403 403", "403 403 403 403 403"),
    "/api/charters/{pk}/": ("404 405 405 405 405", "404 403 403 403 403", "403 403 403 403 403"),
    "/api/cooperatives/": ("200 405 405 405 405", "200 403 403 403 403", "403 403 403 403 403"),
    "/api/cooperatives/{pk}/": ("404 405 405 405 405", "404 403 403 403 403", "403 403 403 403 403"),
    "/api/deliveries/": ("200 400 405 405 405", "200 400 405 405 405", "403 403 403 403 403"),
    "/api/deliveries/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/farmers/": ("200 400 405 405 405", "200 403 403 403 403", "403 403 403 403 403"),
    "/api/farmers/{pk}/": ("404 405 404 404 404", "404 403 403 403 403", "403 403 403 403 403"),
    "/api/group-buys/": ("200 405 405 405 405", "200 405 405 405 405", "200 405 405 405 405"),
    "/api/group-buys/{code}/": ("404 405 405 405 405", "404 405 405 405 405", "404 405 405 405 405"),
    "/api/ledger/": ("200 405 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/ledger/{pk}/": ("404 405 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/orders/": ("200 400 405 405 405", "200 400 405 405 405", "403 403 403 403 403"),
    "/api/orders/{number}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/orders/{number}/cancel/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/orders/{number}/pay/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/payments/notify/{provider}/": ("405 401 405 405 405", "405 401 405 405 405", "405 401 405 405 405"),
    "/api/penalties/": ("200 405 405 405 405", "200 405 405 405 405", "403 403 403 403 403"),
    "/api/penalties/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/penalties/{pk}/apply/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/penalties/{pk}/reverse/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/pledges/": ("200 400 405 405 405", "200 403 405 405 405", "403 403 403 403 403"),
    "/api/pledges/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/products/": ("200 405 405 405 405", "200 405 405 405 405", "200 405 405 405 405"),
    "/api/products/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "404 405 405 405 405"),
    "/api/programmes/": ("200 405 405 405 405", "200 405 405 405 405", "403 403 403 403 403"),
    "/api/programmes/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/programmes/{pk}/report/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/reports/": ("200 400 405 405 405", "200 400 405 405 405", "403 403 403 403 403"),
    "/api/reports/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/reports/{pk}/confirm/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/reports/{pk}/dismiss/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/reports/{pk}/investigate/": ("405 404 405 405 405", "405 404 405 405 405", "403 403 403 403 403"),
    "/api/reports/{pk}/preview/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/settlements/": ("200 405 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/settlements/{pk}/": ("404 405 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/settlements/{pk}/approve/": ("405 404 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/settlements/{pk}/pay/": ("405 404 405 405 405", "403 403 403 403 403", "403 403 403 403 403"),
    "/api/statements/": ("200 400 405 405 405", "200 400 405 405 405", "403 403 403 403 403"),
    "/api/statements/{pk}/": ("404 405 405 405 405", "404 405 405 405 405", "403 403 403 403 403"),
    "/api/trace/batches/": ("200 405 405 405 405", "200 403 403 403 403", "403 403 403 403 403"),
    "/api/trace/batches/{pk}/": ("404 405 405 405 405", "404 403 403 403 403", "403 403 403 403 403"),
    "/api/trace/batches/{pk}/label-sheets/": ("405 404 405 405 405", "405 403 403 403 403", "403 403 403 403 403"),
    "/api/trace/batches/{pk}/recall/": ("405 404 405 405 405", "405 403 403 403 403", "403 403 403 403 403"),
    "/api/trace/label-sheets/": ("200 405 405 405 405", "200 403 403 403 403", "403 403 403 403 403"),
    "/api/trace/label-sheets/{pk}/": ("404 405 405 405 405", "404 403 403 403 403", "403 403 403 403 403"),
    "/api/villages/": ("200 400 405 405 405", "200 403 403 403 403", "403 403 403 403 403"),
    "/api/villages/{pk}/": ("404 405 404 404 404", "404 403 403 403 403", "403 403 403 403 403"),
}

# The Allow header (OPTIONS as manager A). /api/trace/batches/ listed POST until the verbs moved into the bases
# (it was a ModelViewSet whose create answered 405): POST there has always answered 405, now Allow says so.
ALLOW = {
    "/api/": "GET, HEAD, OPTIONS",
    "/api/appeals/": "GET, POST, HEAD, OPTIONS",
    "/api/appeals/{pk}/": "GET, HEAD, OPTIONS",
    "/api/appeals/{pk}/decide/": "POST, OPTIONS",
    "/api/auth/token/": "POST, OPTIONS",
    "/api/batches/": "GET, POST, HEAD, OPTIONS",
    "/api/batches/{pk}/": "GET, HEAD, OPTIONS",
    "/api/charters/": "GET, POST, HEAD, OPTIONS",
    "/api/charters/{pk}/": "GET, HEAD, OPTIONS",
    "/api/cooperatives/": "GET, HEAD, OPTIONS",
    "/api/cooperatives/{pk}/": "GET, HEAD, OPTIONS",
    "/api/deliveries/": "GET, POST, HEAD, OPTIONS",
    "/api/deliveries/{pk}/": "GET, HEAD, OPTIONS",
    "/api/farmers/": "GET, POST, HEAD, OPTIONS",
    "/api/farmers/{pk}/": "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
    "/api/group-buys/": "GET, HEAD, OPTIONS",
    "/api/group-buys/{code}/": "GET, HEAD, OPTIONS",
    "/api/ledger/": "GET, HEAD, OPTIONS",
    "/api/ledger/{pk}/": "GET, HEAD, OPTIONS",
    "/api/orders/": "GET, POST, HEAD, OPTIONS",
    "/api/orders/{number}/": "GET, HEAD, OPTIONS",
    "/api/orders/{number}/cancel/": "POST, OPTIONS",
    "/api/orders/{number}/pay/": "POST, OPTIONS",
    "/api/payments/notify/{provider}/": "POST, OPTIONS",
    "/api/penalties/": "GET, HEAD, OPTIONS",
    "/api/penalties/{pk}/": "GET, HEAD, OPTIONS",
    "/api/penalties/{pk}/apply/": "POST, OPTIONS",
    "/api/penalties/{pk}/reverse/": "POST, OPTIONS",
    "/api/pledges/": "GET, POST, HEAD, OPTIONS",
    "/api/pledges/{pk}/": "GET, HEAD, OPTIONS",
    "/api/products/": "GET, HEAD, OPTIONS",
    "/api/products/{pk}/": "GET, HEAD, OPTIONS",
    "/api/programmes/": "GET, HEAD, OPTIONS",
    "/api/programmes/{pk}/": "GET, HEAD, OPTIONS",
    "/api/programmes/{pk}/report/": "GET, HEAD, OPTIONS",
    "/api/reports/": "GET, POST, HEAD, OPTIONS",
    "/api/reports/{pk}/": "GET, HEAD, OPTIONS",
    "/api/reports/{pk}/confirm/": "POST, OPTIONS",
    "/api/reports/{pk}/dismiss/": "POST, OPTIONS",
    "/api/reports/{pk}/investigate/": "POST, OPTIONS",
    "/api/reports/{pk}/preview/": "GET, HEAD, OPTIONS",
    "/api/settlements/": "GET, HEAD, OPTIONS",
    "/api/settlements/{pk}/": "GET, HEAD, OPTIONS",
    "/api/settlements/{pk}/approve/": "POST, OPTIONS",
    "/api/settlements/{pk}/pay/": "POST, OPTIONS",
    "/api/statements/": "GET, POST, HEAD, OPTIONS",
    "/api/statements/{pk}/": "GET, HEAD, OPTIONS",
    "/api/trace/batches/": "GET, HEAD, OPTIONS",
    "/api/trace/batches/{pk}/": "GET, HEAD, OPTIONS",
    "/api/trace/batches/{pk}/label-sheets/": "POST, OPTIONS",
    "/api/trace/batches/{pk}/recall/": "POST, OPTIONS",
    "/api/trace/label-sheets/": "GET, HEAD, OPTIONS",
    "/api/trace/label-sheets/{pk}/": "GET, HEAD, OPTIONS",
    "/api/villages/": "GET, POST, HEAD, OPTIONS",
    "/api/villages/{pk}/": "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
}

# (path, methods) of the OpenAPI schema at /api/schema/.
SCHEMA = {
    "/api/appeals/": "GET POST",
    "/api/appeals/{id}/": "GET",
    "/api/appeals/{id}/decide/": "POST",
    "/api/auth/token/": "POST",
    "/api/batches/": "GET POST",
    "/api/batches/{id}/": "GET",
    "/api/charters/": "GET POST",
    "/api/charters/{id}/": "GET",
    "/api/cooperatives/": "GET",
    "/api/cooperatives/{id}/": "GET",
    "/api/deliveries/": "GET POST",
    "/api/deliveries/{id}/": "GET",
    "/api/farmers/": "GET POST",
    "/api/farmers/{id}/": "GET PUT PATCH DELETE",
    "/api/group-buys/": "GET",
    "/api/group-buys/{code}/": "GET",
    "/api/ledger/": "GET",
    "/api/ledger/{id}/": "GET",
    "/api/orders/": "GET POST",
    "/api/orders/{number}/": "GET",
    "/api/orders/{number}/cancel/": "POST",
    "/api/orders/{number}/pay/": "POST",
    "/api/payments/notify/{provider}/": "POST",
    "/api/penalties/": "GET",
    "/api/penalties/{id}/": "GET",
    "/api/penalties/{id}/apply/": "POST",
    "/api/penalties/{id}/reverse/": "POST",
    "/api/pledges/": "GET POST",
    "/api/pledges/{id}/": "GET",
    "/api/products/": "GET",
    "/api/products/{id}/": "GET",
    "/api/programmes/": "GET",
    "/api/programmes/{id}/": "GET",
    "/api/programmes/{id}/report/": "GET",
    "/api/reports/": "GET POST",
    "/api/reports/{id}/": "GET",
    "/api/reports/{id}/confirm/": "POST",
    "/api/reports/{id}/dismiss/": "POST",
    "/api/reports/{id}/investigate/": "POST",
    "/api/reports/{id}/preview/": "GET",
    "/api/settlements/": "GET",
    "/api/settlements/{id}/": "GET",
    "/api/settlements/{id}/approve/": "POST",
    "/api/settlements/{id}/pay/": "POST",
    "/api/statements/": "GET POST",
    "/api/statements/{id}/": "GET",
    "/api/trace/batches/": "GET",
    "/api/trace/batches/{id}/": "GET",
    "/api/trace/batches/{id}/label-sheets/": "POST",
    "/api/trace/batches/{id}/recall/": "POST",
    "/api/trace/label-sheets/": "GET",
    "/api/trace/label-sheets/{id}/": "GET",
    "/api/villages/": "GET POST",
    "/api/villages/{id}/": "GET PUT PATCH DELETE",
}


@pytest.fixture
def table(personas, api_for):
    return {"manager": answers(api_for, personas.manager_a), "inspector": answers(api_for, personas.inspector_a),
            "anonymous": answers(api_for, None)}


def test_every_route_answers_the_verbs_it_did(table):
    order = [m.upper() for m in METHODS]
    got = {route: tuple(" ".join(str(table[who][route][m]) for m in order)
                        for who in ("manager", "inspector", "anonymous")) for route in table["manager"]}
    assert got == ANSWERS


def test_allow_header(personas, api_for):
    assert allow_headers(api_for, personas.manager_a) == ALLOW


def test_schema_paths_and_methods(personas, api_for):
    response = api_for(personas.manager_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    order = [m.upper() for m in METHODS]
    assert {p: " ".join(sorted((m.upper() for m in ops), key=order.index)) for p, ops in paths.items()} == SCHEMA
