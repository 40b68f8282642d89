"""The per-client token bucket: burst of twice the rate, refill, Retry-After, and forgetting full buckets."""
from __future__ import annotations

import pytest

from service.web import ratelimit
from service.web.ratelimit import ClientRateLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", fake)
    return fake


def test_a_new_client_may_burst_twice_the_rate_then_waits(clock):
    limiter = ClientRateLimiter(5)
    assert [limiter.check("a") for _ in range(10)] == [0.0] * 10
    assert limiter.check("a") == pytest.approx(0.2)  # one token comes back after 1/rate seconds
    assert limiter.check("b") == 0.0  # another address has its own bucket


def test_tokens_come_back_at_the_rate_and_never_above_the_burst(clock):
    limiter = ClientRateLimiter(4)
    for _ in range(8):
        limiter.check("a")
    clock.now += 0.5  # two tokens
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.25)]
    clock.now += 3600
    assert sum(limiter.check("a") == 0.0 for _ in range(20)) == 8


def test_the_wait_shrinks_as_time_passes(clock):
    limiter = ClientRateLimiter(2)
    for _ in range(4):
        limiter.check("a")
    assert limiter.check("a") == pytest.approx(0.5)
    clock.now += 0.4
    assert limiter.check("a") == pytest.approx(0.1)


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (0.5, "1"), (1.0, "1"), (1.01, "2"), (2.5, "3")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(wait, header):
    assert ClientRateLimiter(1).retry_after_header(wait) == header


def test_a_full_table_forgets_the_clients_whose_buckets_refilled(clock):
    limiter = ClientRateLimiter(1, max_clients=3)
    limiter.check("idle")
    for _ in range(2):
        limiter.check("busy")
    clock.now += 5  # idle's bucket is full again; busy's too (both are worth forgetting)
    limiter.check("busy2")
    limiter.check("new")
    assert "idle" not in limiter._buckets and "new" in limiter._buckets
    assert len(limiter._buckets) <= 3


def test_a_table_full_of_busy_clients_starts_afresh_rather_than_growing(clock):
    limiter = ClientRateLimiter(1, max_clients=2)
    for name in ("a", "b"):
        limiter.check(name)
        limiter.check(name)
    limiter.check("c")
    assert set(limiter._buckets) == {"c"}


def test_a_full_table_forgets_exactly_the_refilled_buckets(clock):
    limiter = ClientRateLimiter(2, max_clients=2)  # burst 4
    limiter.check("idle")  # 3 left
    for _ in range(4):
        limiter.check("busy")  # 0 left
    clock.now += 0.5  # idle is back to exactly 4 (full); busy has 1
    limiter.check("new")
    assert set(limiter._buckets) == {"busy", "new"}
    assert limiter.check("busy") == 0.0 and limiter.check("busy") == pytest.approx(0.5)  # its state was kept


def test_a_refused_request_keeps_only_that_clients_state(clock):
    limiter = ClientRateLimiter(1)
    limiter.check("a")
    limiter.check("a")
    assert limiter.check("a") > 0
    assert set(limiter._buckets) == {"a"}
    assert limiter.max_clients == 100_000 and ClientRateLimiter(1, max_clients=5).max_clients == 5
