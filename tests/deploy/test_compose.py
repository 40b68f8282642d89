"""docker-compose.yml and .env.example against README's configuration table: every setting reaches the service,
the passwords must be set, and both containers run with least privilege."""
from __future__ import annotations

import pytest

from tests.deploy.compose import (COMPOSE_ONLY, ENV_EXAMPLE, InterpolationError, compose, compose_text, env_example,
                                  interpolate, readme_settings, referenced_variables)


def test_the_service_gets_exactly_the_settings_readme_lists():
    assert set(compose()["services"]["service"]["environment"]) == readme_settings()


def test_env_example_lists_every_setting_and_what_compose_reads():
    assert set(env_example()) == readme_settings() | COMPOSE_ONLY


def test_every_variable_compose_reads_is_documented_in_env_example():
    referenced = referenced_variables(compose_text())
    assert referenced <= set(env_example())
    assert COMPOSE_ONLY <= referenced


def test_each_setting_reaches_the_service_as_set_in_env():
    environ = {name: f"value-of-{name}" for name in readme_settings() | COMPOSE_ONLY}
    passed = interpolate(compose()["services"]["service"]["environment"], environ)
    built = passed.pop("DATABASE_URL")
    assert passed == {name: f"value-of-{name}" for name in readme_settings() - {"DATABASE_URL"}}
    assert built == ("postgresql://value-of-SERVICE_DB_USER:value-of-SERVICE_DB_PASSWORD@db:5432/"
                     "value-of-SERVICE_DB_NAME")


def test_settings_left_empty_fall_back_to_the_service_defaults():
    environ = {**env_example(), "POSTGRES_PASSWORD": "s3cret-superuser", "SERVICE_DB_PASSWORD": "s3cret-service"}
    environ = {name: ("" if name in readme_settings() else value) for name, value in environ.items()}
    passed = interpolate(compose()["services"]["service"]["environment"], environ)
    assert passed.pop("DATABASE_URL") == "postgresql://crypto:s3cret-service@db:5432/crypto"
    # Only where the container differs from a plain checkout does compose pick a value of its own.
    assert {name: value for name, value in passed.items() if value} == {
        "HOST": "0.0.0.0", "PORT": "8080", "CSV_PATH": "/srv/csv"}


@pytest.mark.parametrize("password", ["POSTGRES_PASSWORD", "SERVICE_DB_PASSWORD"])
def test_example_env_is_refused_until_its_passwords_are_set(password):
    example = env_example()
    assert example[password] == ""
    with pytest.raises(InterpolationError, match="_PASSWORD: set "):
        interpolate(compose(), example)
    others = {name: "a-real-password" for name in ("POSTGRES_PASSWORD", "SERVICE_DB_PASSWORD") if name != password}
    with pytest.raises(InterpolationError, match=password):
        interpolate(compose(), {**example, **others})
    interpolate(compose(), {**example, **others, password: "a-real-password"})


def test_the_superuser_password_stays_in_the_db_container():
    document = compose()
    assert "POSTGRES_PASSWORD" not in referenced_variables(str(document["services"]["service"]))
    assert "POSTGRES_PASSWORD" in document["services"]["db"]["environment"]


@pytest.mark.parametrize("name", ["db", "service"])
def test_containers_run_with_least_privilege(name):
    service = compose()["services"][name]
    assert "no-new-privileges:true" in service["security_opt"]
    assert service["cap_drop"] == ["ALL"] and "cap_add" not in service
    assert service["read_only"] is True and "/tmp" in service["tmpfs"]
    assert service["mem_limit"] and 0 < service["pids_limit"] <= 1000
    assert service.get("user", "non-root from the image") not in ("root", "0", "0:0")


def test_db_runs_postgresql_18_and_creates_the_service_role():
    document = compose()
    db = document["services"]["db"]
    assert db["image"].startswith("postgres:18")
    assert "/run/postgresql" in db["tmpfs"] and db["volumes"] == ["pgdata:/var/lib/postgresql"]
    assert db["configs"] == [{"source": "service-role",
                              "target": "/docker-entrypoint-initdb.d/10-service-role.sql"}]
    assert "NOSUPERUSER" in document["configs"]["service-role"]["content"]


def test_csv_volume_is_where_csv_path_points_by_default():
    service = compose()["services"]["service"]
    mounts = [volume.split(":") for volume in interpolate(service["volumes"], {})]
    assert [interpolate(service["environment"]["CSV_PATH"], {})] == [target for _, target, _ in mounts]
    assert [mode for _, _, mode in mounts] == ["ro"]


def test_the_api_is_published_on_this_machine_only_unless_asked():
    (port,) = compose()["services"]["service"]["ports"]
    assert interpolate(port, {}) == "127.0.0.1:8080:8080"
    assert interpolate(port, {"PUBLISH_ADDRESS": "0.0.0.0", "PORT": "9000"}) == "0.0.0.0:9000:9000"


def test_the_minimum_compose_version_and_url_safe_passwords_are_said():
    # `configs: content:` came with Docker Compose 2.23.1
    assert "content" in compose()["configs"]["service-role"]
    assert "Compose 2.23.1" in compose_text()
    assert "URL-safe" in compose_text() and "URL-safe" in ENV_EXAMPLE.read_text()
