# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
# Local development defaults; production sets its own environment (docs/DEPLOY.md).
export DEBUG ?= true

.PHONY: run test venv deps test-deps migrate demo messages compile-messages worker beat lint bench audit clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements-test.txt requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.deps

deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps

migrate: deps
	$(PY) manage.py migrate --noinput

compile-messages: deps
	@# Translations ship compiled (locale/*/LC_MESSAGES/django.mo); recompile when gettext is present.
	@if command -v msgfmt >/dev/null 2>&1; then $(PY) manage.py compilemessages --ignore=.venv -v 0; fi

# Collect the strings, fill English from locale/tools/en*.json, compile. Needs GNU gettext.
messages: deps
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles --no-obsolete -v 0
	$(PY) locale/tools/fill_po.py
	$(PY) manage.py compilemessages --ignore=.venv -v 0

demo: migrate
	$(PY) manage.py seed_demo --if-empty

run: compile-messages demo
	@echo ""
	@echo "Greenshell is running on http://127.0.0.1:$(PORT)/  (admin: /admin/, API docs: /api/docs/)"
	$(PY) manage.py serve 127.0.0.1:$(PORT)

test: test-deps
	$(PY) -m pytest $(PYTEST_ARGS)

worker: deps
	$(VENV)/bin/celery -A coop worker --loglevel=info --concurrency=2

beat: deps
	$(VENV)/bin/celery -A coop beat --loglevel=info

lint: test-deps
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run

# Known vulnerabilities in the installed dependencies (pip-audit; see deploy/audit.py for exit codes).
audit: test-deps
	$(PY) deploy/audit.py $(AUDIT_ARGS)

bench: test-deps
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
