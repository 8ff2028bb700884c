# Parley — the entry points. `make run` and `make test` work on a fresh clone
# with only Python 3.11, Node 20 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
FRONT_STAMP := frontend/node_modules/.installed-$(shell cat frontend/package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
FRONT_SRC := $(shell find frontend/src frontend/public frontend/index.html frontend/vite.config.ts frontend/package.json -type f 2>/dev/null)

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: openapi protocol run serve dev test test-python test-services test-frontend lint fmt migrate frontend venv bench bench-quick clean

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	rm -f $(VENV)/.installed-*
	touch $@

$(FRONT_STAMP): frontend/package-lock.json
	cd frontend && npm install --no-audit --no-fund --loglevel=error
	rm -f frontend/node_modules/.installed-*
	touch $@

frontend/dist/index.html: $(FRONT_STAMP) $(FRONT_SRC)
	cd frontend && npm run build --silent

frontend: frontend/dist/index.html

migrate: venv
	$(BIN)/python manage.py migrate --noinput -v0

## Development server on the embedded defaults (SQLite, in-memory hub): http://127.0.0.1:8000
run: venv frontend
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=true $(BIN)/python -m parley.serve

## Production mode: DEBUG off, WORKERS/PORT/DATABASE_URL/REDIS_URL honoured, migrates first.
serve: venv frontend
	DEBUG=false $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=false $(BIN)/python -m parley.serve

## Vite with hot reload on :5173, proxying /api and /ws to a reloading Django on :8000.
dev: venv $(FRONT_STAMP)
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=true $(BIN)/python -m parley.serve --reload & \
	  trap 'kill %1' EXIT INT TERM; cd frontend && npm run dev

lint: venv $(FRONT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy parley config
	$(BIN)/lint-imports --no-cache
	cd frontend && npm run lint --silent

## Regenerate the committed OpenAPI export (a test checks it is current), then the client's types.
openapi: venv
	DEBUG=true $(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/api/openapi.yaml
	$(MAKE) --no-print-directory protocol

## Regenerate the frames' JSON Schema and the client's generated types (frames and REST);
## pytest and `npm run lint` fail while any of them is stale.
protocol: venv $(FRONT_STAMP)
	$(BIN)/python -m parley.realtime.schema
	cd frontend && npm run gen --silent

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Every suite: lint, the web client's unit tests, then Python twice — embedded
## (SQLite + in-memory) and services (PostgreSQL + Redis when DATABASE_URL/REDIS_URL are set).
test: lint frontend test-frontend test-python test-services

test-frontend: $(FRONT_STAMP) frontend
	cd frontend && npm run test --silent
	cd frontend && npm run size --silent

test-python: venv
	env -u DATABASE_URL -u REDIS_URL PARLEY_TEST_PASS=embedded $(BIN)/python -m pytest $(PYTEST_ARGS)

test-services: venv
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
	  PARLEY_TEST_PASS=services $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS); \
	elif [ "$$PARLEY_REQUIRE_SERVICES" = "1" ]; then \
	  echo "FAILED: PARLEY_REQUIRE_SERVICES=1 but DATABASE_URL and REDIS_URL are not both set"; exit 1; \
	else \
	  echo "SKIPPED services pass: set DATABASE_URL (PostgreSQL) and REDIS_URL to run the suite on them"; \
	fi

bench: venv
	$(BIN)/python -m bench full

bench-quick: venv
	$(BIN)/python -m bench quick

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist data/static .pytest_cache .mypy_cache .ruff_cache
