# Greenshell: one image for the web (gunicorn), the Celery worker and Celery beat.
# docker compose up (docker-compose.yml) runs all of them with PostgreSQL and Redis.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# postgresql-client: pg_dump/pg_restore/psql for `manage.py backup` and `restore`;
# gettext: compiled translations; fonts: Chinese text in PDFs (label sheets, payslips).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client gettext fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system greenshell && useradd --system --gid greenshell --home /app greenshell
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected into the image; the key below exists only for this build step.
RUN SECRET_KEY=collectstatic-build-step-only DEBUG=false python manage.py collectstatic --noinput -v 0 \
 && mkdir -p /data/media /data/backups \
 && chown -R greenshell:greenshell /data

ENV DEBUG=false \
    MEDIA_ROOT=/data/media \
    BACKUP_DIR=/data/backups \
    PORT=8000

USER greenshell
EXPOSE 8000
# Ask as the proxy would (allowed host, HTTPS already terminated) so the SSL redirect does not answer instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import os, urllib.request as u; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0]; \
u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': host, 'X-Forwarded-Proto': 'https'}), timeout=4)"
CMD ["gunicorn", "coop.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "2", \
     "--timeout", "60", "--forwarded-allow-ips", "*", "--access-logfile", "-"]
