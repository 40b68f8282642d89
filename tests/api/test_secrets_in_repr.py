"""No object of the running service shows a secret in its repr: DSN passwords, API keys, ADMIN_TOKEN."""
from __future__ import annotations

import gc
from urllib.parse import urlsplit, urlunsplit

from service.settings import Settings
from tests.conftest import replace

PASSWORD = "pw-SECRET-7777"
KEYS = {"coinpaprika_api_key": "paprika-SECRET-1111", "coingecko_api_key": "gecko-SECRET-2222",
        "admin_token": "admin-token-SECRET-3333"}


def with_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    user = parts.username or "postgres"
    return urlunsplit((parts.scheme, f"{user}:{PASSWORD}@{parts.netloc.rpartition('@')[2]}", *parts[2:]))


def secrets() -> tuple[str, ...]:
    return (PASSWORD, *KEYS.values())


def test_settings_repr_and_str_hide_every_secret(settings):
    configured = replace(settings, database_url=with_password(settings.database_url),
                         database_read_urls=(with_password(settings.database_url),), **KEYS)
    for text in (repr(configured), str(configured), repr([configured]), f"{configured!r}"):
        for secret in secrets():
            assert secret not in text, text
    assert ":***@" in repr(configured)
    from_env = Settings.from_env({"DATABASE_URL": f"postgresql://svc:{PASSWORD}@db:5432/x",
                                  "ADMIN_TOKEN": KEYS["admin_token"]})
    assert PASSWORD not in repr(from_env) and KEYS["admin_token"] not in repr(from_env)


async def test_no_live_service_object_shows_a_secret(make_client, settings):
    configured = replace(settings, database_url=with_password(settings.database_url), **KEYS)
    client = await make_client(configured)
    assert (await client.get("/health")).status in (200, 503)
    checked = 0
    for obj in gc.get_objects():
        module = type(obj).__dict__.get("__module__", "")
        if not isinstance(module, str):
            continue
        if not module.startswith("service"):
            continue
        try:
            text = repr(obj)
        except Exception:  # an object half torn down; not ours to judge here
            continue
        checked += 1
        for secret in secrets():
            assert secret not in text, f"{type(obj).__qualname__}: {text[:300]}"
    assert checked > 20  # the app's own objects were there to look at
