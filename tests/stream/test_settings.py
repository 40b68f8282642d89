"""The stream and export settings: a bad value stops start-up naming the variable."""
from __future__ import annotations

import pytest

from service.settings import Settings, SettingsError


@pytest.mark.parametrize(("variable", "value"), [
    ("STREAM_MAX_CLIENTS", "0"), ("STREAM_MAX_CLIENTS", "many"), ("STREAM_CLIENT_BUFFER_KB", "1"),
    ("STREAM_REPLAY_SECONDS", "0"), ("STREAM_HEARTBEAT_SECONDS", "16"), ("STREAM_HEARTBEAT_SECONDS", "nan"),
    ("EXPORT_MAX_CONCURRENT", "0"), ("EXPORT_TIMEOUT_SECONDS", "-5"),
])
def test_bad_values_name_the_variable(variable, value):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable


def test_defaults_and_values():
    default = Settings.from_env({})
    assert (default.stream_max_clients, default.stream_heartbeat_seconds, default.export_max_concurrent) == (
        1000, 15.0, 2)
    chosen = Settings.from_env({"STREAM_MAX_CLIENTS": "5000", "STREAM_HEARTBEAT_SECONDS": "2.5",
                                "EXPORT_MAX_CONCURRENT": "4", "STREAM_CLIENT_BUFFER_KB": "256"})
    assert (chosen.stream_max_clients, chosen.stream_heartbeat_seconds, chosen.export_max_concurrent,
            chosen.stream_client_buffer_kb) == (5000, 2.5, 4, 256)
