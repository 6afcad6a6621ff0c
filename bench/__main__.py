"""Run every ``bench/bench_*.py`` module's ``main()`` and print its figures."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from pathlib import Path


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    print(f"# telegemini benchmarks on {os.cpu_count()} CPUs")
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n## {name}")
        result = module.main()
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    return 0


raise SystemExit(main())
