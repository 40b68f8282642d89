"""What the one-shot commands (`etl`, `backfill`) print when they end, and the exit code they end with."""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from service.etl.pipeline import RunOutcome
from service.etl.records import RunCounts


def report(outcomes: Sequence[RunOutcome], describe: Callable[[RunCounts], str]) -> int:
    """One line per source on stderr: its status, run and error, or its counts as `describe` words them. 0 when
    every source succeeded, else 1."""
    for outcome in outcomes:
        detail = outcome.error if outcome.error else describe(outcome.counts)
        print(f"{outcome.source}: {outcome.status} (run {outcome.run_id}): {detail}", file=sys.stderr)
    return 0 if outcomes and all(o.status == "success" for o in outcomes) else 1
