# Parley: the web client built with Node, served with the Python app by uvicorn.
# docs/deploy.md ("Containers") walks through this file and docker-compose.yml.

# --- 1. the web client ---------------------------------------------------------------
# Node 22, the maintained LTS line (Node 20's support ends in April 2026); only builds.
FROM node:22-bookworm-slim AS client
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
# Exactly the lock, or fail: npm ci never rewrites package-lock.json.
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

# --- 2. the server -------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PARLEY_DATA_DIR=/var/lib/parley \
    PARLEY_FRONTEND_DIST=/app/frontend/dist \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
# The locked, hash-checked set serving needs (the same file `make serve` installs).
COPY requirements/run.txt requirements/run.txt
RUN python -m pip install --no-cache-dir --require-hashes -r requirements/run.txt
COPY manage.py pyproject.toml ./
COPY config/ config/
COPY parley/ parley/
# The compiled translation catalogues (docs/i18n.md): the image needs no GNU gettext.
COPY locale/ locale/
COPY --from=client /src/frontend/dist/ frontend/dist/
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin parley \
    && install -d -o parley -g parley /var/lib/parley /var/lib/parley/uploads /var/lib/parley/media
USER parley
EXPOSE 8000
# 200 only when the database and Redis answer (GET /healthz answers whatever the Host).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"]
CMD ["python", "-m", "parley.serve"]
