"""Shared: one computation for concurrent callers, reused while recent and unchanged, never across a change."""
import asyncio

from service.web.shared import Shared


class Counting:
    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> int:
        self.calls += 1
        number = self.calls
        await self.release.wait()
        return number


async def test_concurrent_callers_share_one_computation_and_reuse_it_while_recent():
    shared, compute = Shared(max_age_seconds=60), Counting()
    compute.release.clear()
    waiting = [asyncio.ensure_future(shared.get(compute)) for _ in range(5)]
    await asyncio.sleep(0)
    compute.release.set()
    assert await asyncio.gather(*waiting) == [1] * 5
    assert await shared.get(compute) == 1 and compute.calls == 1


async def test_nothing_is_reused_past_its_age():
    shared, compute = Shared(max_age_seconds=0.05), Counting()
    assert await shared.get(compute) == 1
    await asyncio.sleep(0.1)
    assert await shared.get(compute) == 2


async def test_a_change_ends_reuse_at_once():
    shared, compute = Shared(max_age_seconds=60), Counting()
    assert await shared.get(compute) == 1
    shared.invalidate()
    assert await shared.get(compute) == 2
    assert await shared.get(compute) == 2


async def test_a_change_during_a_computation_is_not_hidden_by_it():
    shared, compute = Shared(max_age_seconds=60), Counting()
    compute.release.clear()
    before = asyncio.ensure_future(shared.get(compute))
    await asyncio.sleep(0)
    shared.invalidate()  # the running computation may have read the old state
    after = asyncio.ensure_future(shared.get(compute))  # so a caller after the change does not join it
    await asyncio.sleep(0)
    compute.release.set()
    assert (await before, await after) == (1, 2)
    assert await shared.get(compute) == 2 and compute.calls == 2  # the one begun after the change is kept
