# Parley — the entry points. `make run` and `make test` work on a fresh clone
# with only Python 3.11, Node 20 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
# Python packages come from the committed locks in requirements/ (`make lock`
# regenerates them): run.txt is what serving needs, dev.txt adds the test and
# lint tools, bench.txt adds the benchmark's, s3.txt adds boto3 for uploads kept in an
# S3-compatible store (installed by hand: `pip install --require-hashes -r requirements/s3.txt`). Each install leaves a stamp named
# after the lock's (and pyproject's) contents, so a re-run is instant and an
# edited lock reinstalls.
stamp_for = $(VENV)/.installed-$(1)-$(shell cat requirements/$(1).txt pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
RUN_STAMP   := $(call stamp_for,run)
DEV_STAMP   := $(call stamp_for,dev)
BENCH_STAMP := $(call stamp_for,bench)
FRONT_STAMP := frontend/node_modules/.installed-$(shell cat frontend/package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
# The OpenID provider the sign-in tests start (parley/accounts/tests/idp: oidc-provider on Node,
# its own lock, not the web client's); installed once before the passes that run side by side.
IDP_DIR := parley/accounts/tests/idp
IDP_STAMP := $(IDP_DIR)/node_modules/.installed-$(shell cat $(IDP_DIR)/package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
FRONT_SRC := $(shell find frontend/src frontend/public frontend/index.html frontend/vite.config.ts frontend/package.json -type f 2>/dev/null)

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: test-upstream openapi protocol run serve dev test test-fast test-python test-browser test-databases test-slot-databases test-slot-embedded test-services test-mariadb test-frontend lint fmt migrate \
	frontend venv deps-run deps-dev deps-bench lock bench bench-quick clean messages

## The development environment: the dev lock (running + tests + lint).
venv: deps-dev
deps-run: $(RUN_STAMP)
deps-dev: $(DEV_STAMP)
deps-bench: $(BENCH_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# $(1): the lock's name. Install exactly the lock (hash-checked), then Parley
# itself without touching the pinned set.
define install_lock
	$(PIP) install --quiet -r requirements/$(1).txt
	$(PIP) install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-$(1)-*
	touch $@
endef

$(RUN_STAMP): requirements/run.txt pyproject.toml | $(BIN)/python
	$(call install_lock,run)

$(DEV_STAMP): requirements/dev.txt pyproject.toml | $(BIN)/python
	$(call install_lock,dev)

$(BENCH_STAMP): requirements/bench.txt pyproject.toml | $(BIN)/python
	$(call install_lock,bench)

## Re-resolve the locks from pyproject.toml (after changing a requirement there).
## Each layer is constrained by the one below it, so a package pinned in two
## locks has the same version in both. UPGRADE=1 moves pins to the newest allowed.
LOCK_FLAGS := --quiet --universal --python-version 3.11 --generate-hashes $(if $(UPGRADE),--upgrade)
lock: deps-dev
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml -o requirements/run.txt
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml --extra dev -c requirements/run.txt -o requirements/dev.txt
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml --extra bench -c requirements/dev.txt -o requirements/bench.txt
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml --extra s3 -c requirements/run.txt -o requirements/s3.txt

$(IDP_STAMP): $(IDP_DIR)/package-lock.json
	cd $(IDP_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(FRONT_STAMP): frontend/package-lock.json
	cd frontend && npm install --no-audit --no-fund --loglevel=error
	rm -f frontend/node_modules/.installed-*
	touch $@

frontend/dist/index.html: $(FRONT_STAMP) $(FRONT_SRC)
	cd frontend && npm run build --silent

frontend: frontend/dist/index.html

migrate: deps-run
	$(BIN)/python manage.py migrate --noinput -v0

## Development server on the embedded defaults (SQLite, in-memory hub): http://127.0.0.1:8000
run: deps-run frontend
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=true $(BIN)/python -m parley.serve

## Production mode: DEBUG off, WORKERS/PORT/DATABASE_URL/REDIS_URL honoured, migrates first.
serve: deps-run frontend
	DEBUG=false $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=false $(BIN)/python -m parley.serve

## Vite with hot reload on :5173, proxying /api and /ws to a reloading Django on :8000.
dev: deps-run $(FRONT_STAMP)
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=true $(BIN)/python -m parley.serve --reload & \
	  trap 'kill %1' EXIT INT TERM; cd frontend && npm run dev

lint: deps-dev $(FRONT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy parley config
	$(BIN)/lint-imports --no-cache
	env -u DATABASE_URL -u REDIS_URL DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run -v1
	cd frontend && npm run lint --silent

## The server's translation catalogues (docs/i18n.md, "Server"): collect every marked string into
## locale/<each language of settings.LANGUAGES but en>/LC_MESSAGES/django.po (translations kept),
## then compile the .mo files.
## Needs GNU gettext; both files are committed, so running Parley does not.
MESSAGES_IGNORE := --ignore '.venv/*' --ignore 'frontend/*' --ignore 'data/*' --ignore 'bench/*' --ignore 'docs/*' \
	--ignore '*/tests/*' --ignore 'parley/testing/*'
messages: deps-dev
	env -u DATABASE_URL -u REDIS_URL DEBUG=true $(BIN)/python manage.py makemessages \
	  $$(env -u DATABASE_URL -u REDIS_URL DEBUG=true $(BIN)/python -m parley.common.languages --gettext-locales) \
	  -e html,txt,py --add-location file --no-obsolete $(MESSAGES_IGNORE)
	env -u DATABASE_URL -u REDIS_URL DEBUG=true $(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)

## Regenerate the committed OpenAPI export (a test checks it is current), then the client's types.
openapi: deps-run
	DEBUG=true $(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/api/openapi.yaml
	$(MAKE) --no-print-directory protocol

## Regenerate the frames' JSON Schema, the list of languages (from settings.LANGUAGES) and the
## client's generated types (frames, REST, languages); pytest and `npm run lint` fail while any
## of them is stale.
protocol: venv $(FRONT_STAMP)
	$(BIN)/python -m parley.realtime.schema
	env -u DATABASE_URL -u REDIS_URL DEBUG=true $(BIN)/python -m parley.common.languages
	cd frontend && npm run gen --silent

fmt: deps-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Every suite: lint first, then two slots side by side. CI must stay under 25 minutes on two
## cores and keep room for the suites still growing: the aim is 19 minutes. On 2026-12-07
## `.ci/run` took 22.5 min: the services pass ~16 min then MariaDB ~5 min, beside the
## client's tests ~1 min, the embedded pass ~6 min and the browser suite ~10 min.
## Then the tests whose live processes run on the embedded defaults whatever the pass
## (marker embedded_only: Schemathesis, `make run`, the abuse server, ...) left the services
## and MariaDB passes, where they repeated the embedded pass: ~4 min of the services pass on a
## quiet machine (35% of its CPU time; docs/testing.md), so ~12 min; and the client's tests
## moved to the database slot to even the slots: ~1 + 12 + 5 = 18 min beside 7 + 10 = 17 min,
## so CI ~19 min with lint (an estimate: the machine was shared when measured).
## With the identity providers, the cluster, the replica, push and the installable app, a
## fresh clone's `.ci/run` took 25.6 min on two slots (client 1 + services 14.6 + MariaDB 7.7
## beside embedded 8.1 + browser 13.7, plus ~2.5 min of set-up): over the budget. The passes
## wait on processes, sockets and timers, but three slots (`-j3`) overloaded the two cores:
## the embedded pass took 15 min instead of 8 and the browser suite 15.5 instead of 13.7, and
## a browser test timed out. Two slots again; the REST access matrix (448 cells, permission
## logic) no longer repeats on MariaDB.
## One slot builds and tests the web client, then runs the database passes (the live-server,
## log and deploy-kit tests serve the built client): PostgreSQL + Redis (when DATABASE_URL and
## REDIS_URL are set), then MariaDB (when MARIADB_URL is set). The other runs the Python suite
## on the embedded defaults (SQLite + in-memory), then the browser suite. Each pass has its own
## database, and every test process prefixes its Redis keys with its pid
## (config/test_settings.py); the tests that start Celery workers run only in the services
## pass. -O prints each pass's output whole when it ends.
test: lint
	$(MAKE) --no-print-directory -j2 -O test-slot-databases test-slot-embedded

test-slot-databases: deps-dev frontend $(IDP_STAMP)
	$(MAKE) --no-print-directory test-frontend
	$(MAKE) --no-print-directory test-services
	$(MAKE) --no-print-directory test-mariadb

test-slot-embedded: deps-dev frontend $(IDP_STAMP)
	$(MAKE) --no-print-directory test-python
	$(MAKE) --no-print-directory test-browser

## The database passes alone, one after the other.
test-databases: test-services test-mariadb

## The inner loop, no lint: the Python tests that start no process, browser or
## fault run, on the embedded defaults, then the web client's Vitest.
FAST_MARKERS := not processes and not browser and not fault and not services
test-fast: deps-dev $(FRONT_STAMP)
	env -u DATABASE_URL -u REDIS_URL PARLEY_TEST_PASS=embedded $(BIN)/python -m pytest -q -m "$(FAST_MARKERS)" $(PYTEST_ARGS)
	cd frontend && npm run test --silent

test-frontend: $(FRONT_STAMP) frontend
	cd frontend && npm run test --silent
	cd frontend && npm run size --silent

test-python: deps-dev
	env -u DATABASE_URL -u REDIS_URL PARLEY_TEST_PASS=embedded $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

## The real-browser suite (Chromium), on the embedded defaults; the built client is served.
test-browser: deps-dev frontend
	env -u DATABASE_URL -u REDIS_URL PARLEY_TEST_PASS=embedded $(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

test-services: deps-dev
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
	  PARLEY_TEST_PASS=services $(BIN)/python -m pytest -m "not browser and not embedded_only" $(PYTEST_ARGS); \
	elif [ "$$PARLEY_REQUIRE_SERVICES" = "1" ]; then \
	  echo "FAILED: PARLEY_REQUIRE_SERVICES=1 but DATABASE_URL and REDIS_URL are not both set"; exit 1; \
	else \
	  echo "SKIPPED services pass: set DATABASE_URL (PostgreSQL) and REDIS_URL to run the suite on them"; \
	fi

# MariaDB/MySQL: the suite without the multi-process, fault and browser tests (those
# exercise the servers and Redis, which the PostgreSQL pass already covers) and without the
# embedded_only ones (the embedded pass runs them). The services pass leaves out embedded_only
# too: those tests' processes use SQLite and no Redis whatever the pass.
test-mariadb: deps-dev
	@if [ -n "$$MARIADB_URL" ]; then \
	  DATABASE_URL="$$MARIADB_URL" PARLEY_TEST_PASS=services $(BIN)/python -m pytest -m "not browser and not processes and not embedded_only" $(PYTEST_ARGS); \
	elif [ "$$PARLEY_REQUIRE_SERVICES" = "1" ]; then \
	  echo "FAILED: PARLEY_REQUIRE_SERVICES=1 but MARIADB_URL is not set"; exit 1; \
	else \
	  echo "SKIPPED MariaDB pass: set MARIADB_URL (mysql://user@host:3306/db) to run the suite on it"; \
	fi

## The transport tests (the ones that exercise uvicorn's, websockets' and Channels' internals,
## parley/realtime/internals.py) against the NEWEST uvicorn and websockets, in a venv of their
## own (.venv-upstream: the dev lock, then those two upgraded), so a bump is one command. With
## DATABASE_URL and REDIS_URL set the multi-process tests run too (the services pass).
## The result of the last run is in docs/upstream.md.
UPSTREAM_VENV := .venv-upstream
UPSTREAM_PIP  := $(UPSTREAM_VENV)/bin/python -m pip --disable-pip-version-check
UPSTREAM_TESTS := parley/realtime/tests parley/ws/tests/test_outgoing.py parley/ws/tests/test_internals.py \
	parley/ws/tests/test_keepalive.py parley/ws/tests/test_consumer.py parley/ws/tests/test_processes.py \
	parley/ws/tests/test_tickets_processes.py parley/ws/tests/test_abuse.py
test-upstream:
	test -x $(UPSTREAM_VENV)/bin/python || $(PYTHON) -m venv $(UPSTREAM_VENV)
	$(UPSTREAM_PIP) install --quiet -r requirements/dev.txt
	$(UPSTREAM_PIP) install --quiet --no-deps -e .
	$(UPSTREAM_PIP) install --quiet --upgrade "uvicorn[standard]" websockets
	@$(UPSTREAM_VENV)/bin/python -c "import uvicorn, websockets, channels, django; \
	  print('upstream: uvicorn', uvicorn.__version__, '| websockets', websockets.__version__, \
	  '| channels', channels.__version__, '| django', django.__version__)"
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
	  echo "pass: services"; PARLEY_TEST_PASS=services $(UPSTREAM_VENV)/bin/python -m pytest \
	    -q -p no:cacheprovider -m "not browser" $(UPSTREAM_TESTS) $(PYTEST_ARGS); \
	else \
	  echo "pass: embedded"; env -u DATABASE_URL -u REDIS_URL PARLEY_TEST_PASS=embedded $(UPSTREAM_VENV)/bin/python \
	    -m pytest -q -p no:cacheprovider -m "not browser" $(UPSTREAM_TESTS) $(PYTEST_ARGS); \
	fi

bench: deps-bench
	$(BIN)/python -m bench full

bench-quick: deps-bench
	$(BIN)/python -m bench quick

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist data/static .pytest_cache .mypy_cache .ruff_cache
