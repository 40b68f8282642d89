# syntax=docker/dockerfile:1

# Builder: resolve and install the dependencies declared in setup.cfg into a venv.
FROM python:3.11-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src
# Only the metadata: the dependency layer is rebuilt when setup.cfg changes, not on every code edit.
COPY setup.cfg pyproject.toml README.md* ./
# The package itself runs from /app (it finds sql/ and migrations/ next to it), so keep only its dependencies.
RUN pip install --no-cache-dir . \
    && pip uninstall --yes crypto-market-data


FROM python:3.11-slim-bookworm AS runtime

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
