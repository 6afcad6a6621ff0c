"""``python -m bench [module ...]``: run every ``bench/bench_*.py`` module (or the ones named,
with or without the ``bench_`` prefix), print their figures and write ``bench/RESULTS.md``.

A module that fails is reported in its section and makes the exit status 1; the others still run.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import sys
import time
import traceback
from pathlib import Path

from bench.results import RESULTS_MD, Figure, Section, save, speed_probe_ms


def modules(names: list[str]) -> list[str]:
    """``bench_*`` module names: all of them, or the ones asked for."""
    known = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if not names:
        return known
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in names]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(known)})")
    return wanted


def run_one(name: str) -> Section:
    """Import and run one module; its figures, or what went wrong."""
    speed = speed_probe_ms()
    started = time.monotonic()
    figures: list[Figure] = []
    error = None
    module = importlib.import_module(f"bench.{name}")
    about = (inspect.getdoc(module) or "").split("\n\n")[0].replace("\n", " ")
    try:
        result = module.main()
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        figures = list(result or [])
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    seconds = time.monotonic() - started
    return Section(name, figures, seconds=seconds, error=error, about=about, speed_ms=speed)


def main(argv: list[str]) -> int:
    names = modules(argv)
    print(f"# telegemini benchmarks on {os.cpu_count()} CPUs: {', '.join(names)}")
    sections = []
    for name in names:
        print(f"\n## {name}", flush=True)
        section = run_one(name)
        sections.append(section)
        print(f"-- {name}: {section.seconds:.0f} s")
        for figure in section.figures:
            print(f"   {figure.line()}")
        if section.error:
            print(f"   FAILED: {section.error}")
        save([section])  # after each module, so an interrupted run keeps what it measured
    print(f"\nwrote {RESULTS_MD}")
    return 1 if any(s.error for s in sections) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
