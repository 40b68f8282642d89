"""Mutation testing of the pure modules with mutmut (setup.cfg [mutmut]): a score per module, non-zero under the bar.

    .venv/bin/python tests/mutation.py [--min 90] [--jobs 2] [MODULE ...]

MODULE is a dotted name from MODULES (default: all). A mutant counts as caught when a test failed or timed out;
one that survived or that no test ran counts against the score. mutmut keeps its work in mutants/ (git-ignored)
and re-runs only what changed since.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("service.etl.normalize", "service.etl.drift", "service.web.cursors", "service.web.ratelimit",
           "service.settings", "service.etl.csv.blocks")
CAUGHT = {"killed", "timeout"}


def mutmut(*args: str) -> subprocess.CompletedProcess:
    binary = Path(sys.executable).with_name("mutmut")
    return subprocess.run([str(binary), *args], cwd=ROOT, text=True, capture_output=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def scores(results: str, modules: tuple[str, ...]) -> dict[str, collections.Counter]:
    """Outcome counts per module from `mutmut results --all true` lines like `pkg.mod.x_fn__mutmut_3: killed`."""
    counts = {module: collections.Counter() for module in modules}
    for line in results.splitlines():
        name, _, status = line.strip().rpartition(": ")
        module = re.split(r"\.x[_ǁ]", name, maxsplit=1)[0]
        if module in counts:
            counts[module][status] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], default=[], metavar="MODULE")
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable score, percent (default 90)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    options = parser.parse_args()
    modules = tuple(options.modules) or MODULES
    run = mutmut("run", "--max-children", str(options.jobs), *(f"{module}.*" for module in modules))
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
        return run.returncode
    counts = scores(mutmut("results", "--all", "true").stdout, modules)
    failing = []
    print(f"{'module':28} {'mutants':>7} {'caught':>6} {'survived':>8} {'no test':>7} {'score':>6}")
    for module, outcome in counts.items():
        total = sum(outcome.values())
        caught = sum(outcome[status] for status in CAUGHT)
        score = 100.0 * caught / total if total else 0.0
        print(f"{module:28} {total:7} {caught:6} {outcome['survived']:8} {outcome['no tests']:7} {score:5.1f}%")
        if score < options.min:
            failing.append(module)
    if failing:
        print(f"under {options.min:g} %: {', '.join(failing)}; `.venv/bin/mutmut results` lists the survivors, "
              "`.venv/bin/mutmut show NAME` shows one", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
