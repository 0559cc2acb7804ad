"""`make bench`: every figure of bench/ in one run, printed as one table and written to RESULTS.md and results.json.

`python -m bench cold_start own_cpu` runs only those parts (the files are written all the same).
"""

from __future__ import annotations

import importlib
import os
import sys
import time

from bench.results import Figure, table, write

PARTS = ("cold_start", "round_trips", "own_cpu", "load")
TITLES = {
    "cold_start": "Cold start",
    "round_trips": "AWS round trips and cost",
    "own_cpu": "The service's own CPU",
    "load": "Throughput of the local stack, beside cfssl",
}


def main(parts: list[str]) -> None:
    """Run ``parts`` in order, then print and write their figures."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    started = time.time()
    figures: list[Figure] = []
    how: list[tuple[str, str]] = []
    for part in parts:
        module = importlib.import_module(f"bench.{part}")
        part_started = time.perf_counter()
        figures.extend(module.figures())
        print(f"bench: {part} took {time.perf_counter() - part_started:.0f} s", file=sys.stderr)
        how.append((TITLES[part], module.HOW))
    write(figures, how, started, time.time())
    print(table(figures))


if __name__ == "__main__":
    unknown = [part for part in sys.argv[1:] if part not in PARTS]
    if unknown:
        sys.exit(f"unknown parts {unknown}; the parts are {list(PARTS)}")
    main(sys.argv[1:] or list(PARTS))
