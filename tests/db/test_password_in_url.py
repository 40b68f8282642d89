"""A database password written into DATABASE_URL as it is (as Docker Compose pastes SERVICE_DB_PASSWORD), with the
characters a URL reserves, still reaches PostgreSQL intact; URLs that are already unambiguous are left alone."""
from __future__ import annotations

import asyncio
import sys
from urllib.parse import unquote, urlsplit

import pytest

from service.settings import PROJECT_ROOT, Settings, encode_userinfo
from tests.faults.support import service_env, tcp_postgres

AWKWARD = "p@ss/w:rd?#1 %x"


@pytest.mark.parametrize("url, expected", [
    ("postgresql://u:p@db:5432/x", "postgresql://u:p@db:5432/x"),
    ("postgresql://h/db", "postgresql://h/db"),
    ("postgresql://u:a%40b@db/x", "postgresql://u:a%40b@db/x"),
    # a query with an @ in a key=value pair is a query, not a password
    ("postgresql://postgres@/postgres?host=/tmp/a@b", "postgresql://postgres@/postgres?host=/tmp/a@b"),
    (f"postgresql://crypto:{AWKWARD}@db:5432/crypto",
     "postgresql://crypto:p%40ss%2Fw%3Ard%3F%231%20%25x@db:5432/crypto"),
    ("postgresql://crypto:p?x@db/crypto", "postgresql://crypto:p%3Fx@db/crypto"),
    ("postgresql://crypto:a/b@db:5432/crypto?sslmode=require",
     "postgresql://crypto:a%2Fb@db:5432/crypto?sslmode=require"),
])
def test_user_info_is_encoded_only_where_the_url_would_be_misread(url, expected):
    assert encode_userinfo(url) == expected
    parts = urlsplit(expected)
    if "crypto" in url:
        assert parts.hostname == "db" and parts.path == "/crypto"


def test_settings_read_such_a_url_and_never_show_the_password():
    settings = Settings.from_env({"DATABASE_URL": f"postgresql://crypto:{AWKWARD}@db:5432/crypto"})
    assert unquote(urlsplit(settings.database_url).password) == AWKWARD
    assert AWKWARD not in repr(settings) and "p%40ss" not in repr(settings)


@pytest.mark.slow
async def test_the_service_connects_with_a_password_pasted_into_the_url_as_it_is():
    with tcp_postgres(AWKWARD) as pg:
        raw = f"postgresql://postgres:{AWKWARD}@127.0.0.1:{pg.port}/postgres?sslmode=disable"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service", "migrate", env=service_env(DATABASE_URL=raw), cwd=str(PROJECT_ROOT),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    assert "applied" in err.decode() and AWKWARD not in (out + err).decode()
