# FieldSales: `make run` serves the demo, `make test` runs the whole suite. Both install into .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= fieldsales

.PHONY: install run test lint format messages bench bench-pwa bench-kpis bench-realtime clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# Local development settings: DEBUG on, written once, never committed.
.env:
	printf 'DEBUG=true\n' > .env

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --password $(DEMO_PASSWORD)
	@echo ""
	@echo "FieldSales is on http://$(HOST):$(PORT)/  (back office: http://$(HOST):$(PORT)/admin/)"
	@echo "Demo logins, password '$(DEMO_PASSWORD)':"
	@echo "  admin  superuser, back office"
	@echo "  clerk  back-office staff"
	@echo "  sup1   supervisor of rep1 and rep2"
	@echo "  rep1   rep (mobile app)"
	@echo "  rep2   rep (mobile app)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# pytest exits 5 when it collected no test: make treats any non-zero exit as a failure.
test: install
	$(BIN)/python -m pytest -n 2

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=lint-only $(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Rebuild the French catalogues (server: django, the rep's app: djangojs) from the sources (needs GNU gettext), then compile it.
messages: install
	SECRET_KEY=messages-only $(BIN)/python manage.py makemessages -l fr --no-obsolete --no-location -i ".venv/*" -i "tests/*"
	SECRET_KEY=messages-only $(BIN)/python manage.py makemessages -d djangojs -l fr --no-obsolete --no-location -i ".venv/*" -i "tests/*" -i "staticfiles/*" -i "templates/*"
	SECRET_KEY=messages-only $(BIN)/python manage.py compilemessages -l fr --ignore ".venv/*"

# Benchmarks print figures with a baseline measured in the same run (SQLite, or DATABASE_URL's database).
bench: install
	SECRET_KEY=bench-only DEBUG=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_sync

# The rep's app in Chromium with 10,000 clients in IndexedDB: cold offline start, search, filter.
bench-pwa: install
	SECRET_KEY=bench-only DEBUG=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_pwa

# KPI card refresh with 100,000 order lines; statement PDFs of 100, 500 and 1,600 transactions.
bench-kpis: install
	SECRET_KEY=bench-only DEBUG=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_kpis

# 200 reps' open apps on Redis (REDIS_URL, else the local one): latency from a commit to each app's message, per layer.
bench-realtime: install
	SECRET_KEY=bench-only DEBUG=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_realtime

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
