"""The files an operator deploys with are valid and say what the docs say they say."""

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_ENV = {"SECRET_KEY": "s" * 60, "SITE_URL": "https://eggs.example.cn", "ALLOWED_HOSTS": "eggs.example.cn",
               "POSTGRES_PASSWORD": "compose-test-password"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_web_worker_beat_postgres_and_redis(compose):
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "beat"):
        app = services[name]
        assert app["build"] == "." and app["image"] == "greenshell:latest"  # one image for all three
        env = app["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0" and env["DEBUG"] == "false"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # from .env, never written here
        assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "media:/data/media" in app["volumes"]
    assert "celery -A coop worker" in services["worker"]["command"]
    assert "celery -A coop beat" in services["beat"]["command"]
    web = services["web"]["command"]
    assert "\n" not in web and "manage.py migrate" in web and "gunicorn coop.wsgi:application" in web
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # TLS proxy in front, never exposed bare
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert {"pgdata", "media", "backups", "redisdata"} <= set(compose["volumes"])


def test_docker_compose_config_accepts_the_file():
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` on this machine (only the docker client, without the compose plugin); "
                    "the file is validated as YAML with the expected services above")
    env = {**os.environ, **COMPOSE_ENV}
    run = subprocess.run([docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_image_runs_as_a_plain_user_with_the_backup_tools():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert "postgresql-client" in dockerfile and "pip install -r requirements.txt" in dockerfile
    assert re.search(r"^USER greenshell$", dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "media/", ".env"} <= set(ignored)


def test_the_image_build_step_collects_static_files_in_production_mode(tmp_path):
    # The same command the Dockerfile runs (DEBUG off, manifest storage): a broken static reference fails here.
    line = next(x for x in (ROOT / "Dockerfile").read_text().splitlines() if "collectstatic" in x)
    key = re.search(r"SECRET_KEY=(\S+)", line).group(1)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(SECRET_KEY=key, DEBUG="false", STATIC_ROOT=str(tmp_path / "static"))
    run = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    text = (DEPLOY / name).read_text(encoding="utf-8").replace("\\\n", " ")  # systemd line continuations
    parser.read_string(text)
    return parser


@pytest.mark.parametrize("name, program", [
    ("greenshell-web.service", "/srv/greenshell/.venv/bin/gunicorn coop.wsgi:application"),
    ("greenshell-worker.service", "/srv/greenshell/.venv/bin/celery -A coop worker"),
    ("greenshell-beat.service", "/srv/greenshell/.venv/bin/celery -A coop beat"),
    ("greenshell-backup.service", "/srv/greenshell/.venv/bin/python manage.py backup"),
])
def test_systemd_units_run_the_app_as_its_own_user_from_the_env_file(name, program):
    service = unit(name)["Service"]
    assert service["ExecStart"].startswith(program)
    assert service["User"] == "greenshell" and service["EnvironmentFile"] == "/etc/greenshell/greenshell.env"
    assert service["WorkingDirectory"] == "/srv/greenshell"
    if name != "greenshell-backup.service":
        assert service["Restart"] == "always" and unit(name)["Install"]["WantedBy"] == "multi-user.target"
    if shutil.which("systemd-analyze"):
        # Only syntax: the paths in the unit do not exist on a test machine.
        run = subprocess.run(["systemd-analyze", "verify", str(DEPLOY / name)], capture_output=True, text=True)
        assert "Unknown key" not in run.stderr and "Invalid" not in run.stderr, run.stderr


def test_the_backup_timer_runs_daily():
    timer = unit("greenshell-backup.timer")
    assert "02:30" in timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"


def test_nginx_passes_what_django_needs_and_terminates_tls():
    conf = (DEPLOY / "nginx-greenshell.conf").read_text(encoding="utf-8")
    for needed in ("proxy_set_header X-Forwarded-Proto $scheme;", "proxy_set_header X-Real-IP $remote_addr;",
                   "proxy_set_header Host $host;", "listen 443 ssl;", "ssl_certificate ", "return 301 https://",
                   "server unix:/run/greenshell/gunicorn.sock", "client_max_body_size 12m;"):
        assert needed in conf, needed
    assert conf.count("{") == conf.count("}")
    env = (DEPLOY / "greenshell.env.example").read_text(encoding="utf-8")
    assert "CLIENT_IP_HEADER=HTTP_X_REAL_IP" in env  # matches the X-Real-IP header above
    if shutil.which("nginx"):
        pytest.skip("nginx -t needs the certificates named in the file; syntax covered by the checks above")


def test_every_setting_read_from_the_environment_is_documented_in_deploy_md():
    docs = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    names = set()
    for path in [ROOT / "coop" / "settings.py", *ROOT.glob("*/settings*.py")]:
        names |= set(re.findall(r"env_(?:str|bool|int|list|url)\(\s*\"([A-Z0-9_]+)\"", path.read_text()))
    assert names, "no settings found"
    missing = sorted(n for n in names if f"`{n}`" not in docs)
    assert not missing, f"document these in docs/DEPLOY.md: {missing}"
