"""Reads docker-compose.yml, .env.example and README's configuration table, and interpolates as compose does."""
from __future__ import annotations

import re

import yaml

from service.settings import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
# Variables compose itself reads (the db container's accounts, the CSV host directory): not service settings.
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "SERVICE_DB_USER", "SERVICE_DB_PASSWORD", "SERVICE_DB_NAME",
                "CSV_DIR", "PUBLISH_ADDRESS"}
# Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}.
_REFERENCE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?)([-?])([^}]*))?\}|(\w+))")


class InterpolationError(Exception):
    """What `docker compose config` refuses: a required variable unset or empty."""


def compose_text() -> str:
    return COMPOSE_FILE.read_text()


def compose() -> dict:
    return yaml.safe_load(compose_text())


def readme_settings() -> set[str]:
    table = (PROJECT_ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}


def env_example() -> dict[str, str]:
    """The variables .env.example sets, as compose reads an env file (no quoting used there)."""
    entries = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            entries[name.strip()] = value.strip()
    return entries


def referenced_variables(text: str) -> set[str]:
    return {match[2] or match[6] for match in _REFERENCE.finditer(text) if not match[1]}


def interpolate(value, environ: dict[str, str]):
    """A compose document (or part) with every ${...} resolved against environ, as compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environ) for item in value]
    if not isinstance(value, str):
        return value

    def resolve(match: re.Match) -> str:
        if match[1]:
            return "$"
        name = match[2] or match[6]
        current = environ.get(name)
        missing = current is None or (match[3] == ":" and current == "")
        if match[4] == "-" and missing:
            return match[5]
        if match[4] == "?" and missing:
            raise InterpolationError(f"{name}: {match[5]}")
        return current or ""

    return _REFERENCE.sub(resolve, value)
