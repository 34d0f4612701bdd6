"""Security a person would notice: the policy header is there, guessing passwords gets locked out,
production settings force HTTPS, and no secret sits in the repository."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache

from coop.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
LOCKED = "登录失败次数太多"


def csp_of(response):
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/docs/", "/no-such-page", "/healthz"])
def test_every_kind_of_page_carries_a_strict_content_security_policy(client, path):
    policy = csp_of(client.get(path))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_the_api_docs_start_without_an_inline_script(client):
    html = client.get("/api/docs/").content.decode()
    assert re.search(r"<script>\s*\S", html) is None
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


# --- admin sign-in lockout -----------------------------------------------------------------------

def sign_in(client, username, password, ip="203.0.113.7"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password},
                       REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_admin_sign_in_for_that_name_and_address(client, personas, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 5
    manager = personas.manager_a
    for attempt in range(4):
        page = sign_in(client, "manager_a", f"wrong-{attempt}").content.decode()
        assert LOCKED not in page  # the usual "wrong password" answer
    page = sign_in(client, "manager_a", "wrong-5").content.decode()
    assert LOCKED in page and "15 分钟" in page

    # Locked: even the right password is refused, and nobody is signed in.
    response = sign_in(client, "manager_a", manager.raw_password)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session

    # The same person from another address, and another user from this address, are not affected.
    assert sign_in(client, "manager_a", manager.raw_password, ip="198.51.100.9").status_code == 302
    client.logout()
    assert sign_in(client, "inspector_a", personas.inspector_a.raw_password).status_code == 302

    event = AuditEvent.objects.get(action="signin.locked")
    assert event.object_id == "manager_a" and event.actor_label == "203.0.113.7"


@pytest.mark.django_db
def test_the_lock_lifts_after_fifteen_minutes(client, personas, settings, monkeypatch):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    for _ in range(3):
        sign_in(client, "manager_a", "nope")
    assert LOCKED in sign_in(client, "manager_a", personas.manager_a.raw_password).content.decode()

    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: later)
    if settings.REDIS_URL:
        cache.clear()  # Redis expires by its own clock; emulate the 15 minutes passing
    assert sign_in(client, "manager_a", personas.manager_a.raw_password).status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_forgives_earlier_mistakes(client, personas, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    sign_in(client, "manager_a", "typo-1")
    sign_in(client, "manager_a", "typo-2")
    assert sign_in(client, "manager_a", personas.manager_a.raw_password).status_code == 302
    client.logout()
    sign_in(client, "manager_a", "typo-3")
    sign_in(client, "manager_a", "typo-4")
    assert sign_in(client, "manager_a", personas.manager_a.raw_password).status_code == 302


@pytest.mark.django_db
def test_behind_nginx_the_real_address_comes_from_the_configured_header(client, personas, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 2
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for _ in range(2):
        client.post("/admin/login/", {"username": "manager_a", "password": "x"},
                    REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.50")
    # Another visitor behind the same proxy is not locked out by the first one's guesses.
    ok = client.post("/admin/login/", {"username": "manager_a", "password": personas.manager_a.raw_password},
                     REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.51")
    assert ok.status_code == 302


# --- production settings -------------------------------------------------------------------------

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "k" * 20 + "-production-secret-from-the-environment-0987654321",
              "SITE_URL": "https://eggs.example.cn", "ALLOWED_HOSTS": "eggs.example.cn"}


def production_python(code, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(PRODUCTION, **extra)
    setup = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','coop.settings'); django.setup()\n"
    return subprocess.run([sys.executable, "-c", setup + code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_settings_force_https_secure_cookies_and_hsts():
    result = production_python(
        "from django.conf import settings as s\n"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_HTTPONLY, s.SECURE_PROXY_SSL_HEADER)\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz', HTTP_HOST='eggs.example.cn')\n"
        "print(r.status_code, r['Location'])\n"
        "r = Client().get('/healthz', HTTP_HOST='eggs.example.cn', HTTP_X_FORWARDED_PROTO='https')\n"
        "print(r['Strict-Transport-Security'])\n"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "True True True 31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    assert lines[1] == "301 https://eggs.example.cn/healthz"
    assert lines[2] == "max-age=31536000; includeSubDomains"


def test_production_refuses_the_development_secret_key():
    result = production_python("", SECRET_KEY="dev-only-insecure-key-greenshell-do-not-use-in-production")
    assert result.returncode != 0 and "SECRET_KEY is the public development key" in result.stderr


# --- no secret in the repository -----------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "password inside a database/redis URL": re.compile(r"\b(postgres(ql)?|redis|amqp)://[^:/\s@]+:[^@\s/]{3,}@"),
    "hard-coded Django SECRET_KEY": re.compile(r"^SECRET_KEY\s*=\s*['\"]", re.M),
    "API key/secret assignment": re.compile(
        r"(api_key|apikey|secret_key|app_secret|mch_key|access_token)\s*[:=]\s*['\"][A-Za-z0-9/+_\-]{24,}['\"]", re.I),
}
# Placeholders that documentation and test fixtures use on purpose.
ALLOWED = re.compile(r"CHANGE[-_]?ME|example|placeholder|sandbox|test|dummy|<[^>]+>|\$\{|user:pass(word)?@"
                     r"|dev-only-insecure-key", re.I)


def tracked_files():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.stdout.split("\0") if name]


def test_no_secret_is_committed_to_the_repository():
    found = []
    for path in tracked_files():
        if path.suffix in {".png", ".jpg", ".mo", ".pdf", ".ttf", ".woff2", ".ico", ".gz"} or not path.is_file():
            continue
        if path.name in {".env", "secrets.json"} or path.suffix in {".pem", ".key", ".p12"}:
            found.append(f"{path.relative_to(ROOT)}: a secrets file is tracked")
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for what, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                line = text[text.rfind("\n", 0, match.start()) + 1:text.find("\n", match.end())]
                if not ALLOWED.search(line):
                    found.append(f"{path.relative_to(ROOT)}: {what}: {line.strip()[:120]}")
    assert not found, "secrets in the repository:\n" + "\n".join(found)
