"""The role compose creates for the service (its init script, run by psql as the superuser): no superuser, owner of
its own database; the migrations and a CSV run work as it, and it cannot reach beyond its database."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from service.settings import PROJECT_ROOT
from tests.conftest import admin_execute, with_database
from tests.deploy.compose import compose
from tests.pgservers import wheel_bin

pytestmark = pytest.mark.slow


def as_user(dsn: str, user: str, password: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, f"{user}:{password}@{parts.netloc.rpartition('@')[2]}", parts.path,
                       parts.query, parts.fragment))


@pytest.fixture
def service_role(pg_admin_url):
    """Runs compose's service-role script as the superuser, as the postgres image's entrypoint does."""
    suffix = uuid.uuid4().hex[:10]
    user, password, database = f"cmd_service_{suffix}", f"pw-{suffix}", f"cmd_service_db_{suffix}"
    psql = wheel_bin(18) / "psql"  # \getenv needs psql 15 or later, whatever the server's major
    script = compose()["configs"]["service-role"]["content"]
    environ = {**os.environ, "SERVICE_DB_USER": user, "SERVICE_DB_PASSWORD": password, "SERVICE_DB_NAME": database}
    result = subprocess.run([str(psql), "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "--quiet", "-d", pg_admin_url],
                            input=script, env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    yield as_user(with_database(pg_admin_url, database), user, password), user
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin_execute(pg_admin_url, f'DROP ROLE IF EXISTS "{user}"')


def run_service(dsn: str, *args: str) -> subprocess.CompletedProcess:
    environ = {name: value for name, value in os.environ.items()
               if name not in ("DATABASE_URL", "TEST_DATABASE_URL", "ETL_SOURCES")}
    return subprocess.run([sys.executable, "-m", "service", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120, env={**environ, "DATABASE_URL": dsn, "ETL_SOURCES": "csv"})


def test_migrations_and_a_csv_run_work_as_the_least_privileged_owner(service_role):
    dsn, user = service_role
    migrate = run_service(dsn, "migrate")
    assert migrate.returncode == 0, migrate.stderr
    etl = run_service(dsn, "etl", "--source", "csv")
    assert etl.returncode == 0, etl.stderr

    with psycopg.connect(dsn, autocommit=True) as connection:
        role = connection.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
                                  "FROM pg_roles WHERE rolname = current_user").fetchone()
        assert role == (False, False, False, False, False)
        owners = connection.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        assert [owner for (owner,) in owners] == [user]
        assert connection.execute("SELECT count(*) FROM quotes_latest WHERE source = 'csv'").fetchone()[0] > 0
        assert connection.execute("SELECT count(*) FROM pg_statistic_ext").fetchone()[0] >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("CREATE ROLE cmd_should_not_exist")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("ALTER SYSTEM SET work_mem = '1GB'")


def test_other_roles_cannot_connect_to_the_service_database(service_role, pg_admin_url):
    dsn, _ = service_role
    stranger = f"cmd_stranger_{uuid.uuid4().hex[:8]}"
    admin_execute(pg_admin_url, f'CREATE ROLE "{stranger}" LOGIN')
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(as_user(dsn, stranger, "x")).close()
    finally:
        admin_execute(pg_admin_url, f'DROP ROLE "{stranger}"')
