# syntax=docker/dockerfile:1

# The base is a build argument so CI can build on a local stand-in (see .ci/image); the default is the official image.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# Builder: install the locked dependencies (every version pinned, every file checked by hash) into a venv.
FROM ${BASE_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

# Lets a build behind a private index or TLS-intercepting proxy hand pip its settings without baking them in.
ARG PIP_CONFIG_FILE

# Generated from setup.cfg by the command in README's "Deploy" section (pip-tools' pip-compile --generate-hashes
# ... setup.cfg, the full line is also atop the lock file); wheels only, so no build step runs code the lock does
# not pin.
COPY .ci/requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements.lock


FROM ${BASE_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8080 \
    EMBEDDED_PG_DIR=/var/lib/service/pgdata

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/service/pgdata \
    && chown -R app:app /var/lib/service

COPY --from=builder /opt/venv /opt/venv

# The package runs from /app, where it finds sql/, migrations/ and data/ beside it; root owns the code.
WORKDIR /app
COPY service/ ./service/
COPY sql/ ./sql/
COPY migrations/ ./migrations/
COPY data/ ./data/

USER 10001:10001

EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8080'), timeout=4)"]

STOPSIGNAL SIGTERM

CMD ["python", "-m", "service"]
