"""The figures benchmarks return, and ``bench/RESULTS.md``, the table they end up in.

Each ``bench_*.py`` module's ``main()`` returns a list of ``Figure``. ``save`` merges a run's
sections into ``bench/results.json`` (one section per module, replaced when that module is run
again, so ``python -m bench throughput`` refreshes one section) and rewrites ``RESULTS.md`` from
it. Each section keeps the commit, date and core count it was measured with.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
RESULTS_MD = HERE / "RESULTS.md"
RESULTS_JSON = HERE / "results.json"
ANALYSIS_MD = HERE / "ANALYSIS.md"  # written by hand: what stands between a figure and its target


@dataclass(frozen=True)
class Figure:
    """One measured number, what it should be, and whether it is."""

    name: str
    value: float | None
    unit: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def shown(self) -> str:
        """The value with its unit, rounded for reading."""
        return "—" if self.value is None else f"{number(self.value)} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "**no**", None: "—"}[self.met]

    def line(self) -> str:
        """One readable line, as the benchmarks print it."""
        text = f"{self.name}: {self.shown}"
        if self.target:
            text += f"  (target {self.target}: {'met' if self.met else 'NOT met'})"
        if self.note:
            text += f"  [{self.note}]"
        return text


def at_most(name: str, value: float, unit: str, limit: float, note: str = "") -> Figure:
    """A figure whose target is an upper bound."""
    return Figure(name, value, unit, f"≤ {number(limit)} {unit}".strip(), value <= limit, note)


def at_least(name: str, value: float, unit: str, limit: float, note: str = "") -> Figure:
    """A figure whose target is a lower bound."""
    return Figure(name, value, unit, f"≥ {number(limit)} {unit}".strip(), value >= limit, note)


def info(name: str, value: float | None, unit: str = "", note: str = "") -> Figure:
    """A figure without a target."""
    return Figure(name, value, unit, note=note)


def number(value: float) -> str:
    """Three significant digits or so, without scientific notation."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    size = abs(value)
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linearly interpolated; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- the run and where it ran -------------------------------------------------------------


def commit() -> str:
    """``git rev-parse --short HEAD``, with ``-dirty`` when the tree has changes other than
    this file's own output (a run's first module writes it, which must not mark the rest)."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        changed = _git("status", "--porcelain", "--untracked-files=no", "--", ".", *_OUTPUT)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if changed else head


_OUTPUT = (":(exclude)bench/RESULTS.md", ":(exclude)bench/results.json")


def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603 - fixed git arguments, no user input
        ["git", *args],  # noqa: S607 - git from PATH, as make finds it
        cwd=HERE.parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def speed_probe_ms(steps: int = 2_000_000) -> float:
    """Milliseconds for a fixed pure-Python loop, best of three: this machine's speed at the
    time (it varied by 40% between runs here), to compare runs made at different times."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for step in range(steps):
            total += step
        best = min(best, time.perf_counter() - started)
    return best * 1000


@dataclass
class Section:
    """One module's figures from one run."""

    module: str
    figures: list[Figure]
    commit: str = field(default_factory=commit)
    date: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    cpus: int = field(default_factory=lambda: os.cpu_count() or 0)
    python: str = field(default_factory=platform.python_version)
    seconds: float = 0.0
    error: str | None = None
    about: str = ""
    speed_ms: float = 0.0  # ``speed_probe_ms`` just before the module ran

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Section:
        figures = [Figure(**f) for f in data.get("figures", [])]  # type: ignore[attr-defined]
        rest = {k: v for k, v in data.items() if k != "figures"}
        return cls(figures=figures, **rest)  # type: ignore[arg-type]


def load(path: Path = RESULTS_JSON) -> dict[str, Section]:
    """The sections saved so far, by module name ({} when there is no file yet)."""
    if not path.exists():
        return {}
    raw = json.loads(path.read_text())
    return {s["module"]: Section.from_json(s) for s in raw.get("sections", [])}


def save(
    sections: Iterable[Section], *, json_path: Path = RESULTS_JSON, md_path: Path = RESULTS_MD
) -> None:
    """Merge ``sections`` into the saved ones (same module: replaced) and rewrite both files."""
    merged = load(json_path)
    for section in sections:
        merged[section.module] = section
    ordered = [merged[name] for name in sorted(merged)]
    payload = {"sections": [s.to_json() for s in ordered]}
    json_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    md_path.write_text(render(ordered))


def render(sections: Sequence[Section]) -> str:
    """The Markdown page: where and when, then one table per module."""
    figures = [f for s in sections for f in s.figures]
    judged = [f for f in figures if f.met is not None]
    met = sum(1 for f in judged if f.met)
    cpus = sorted({s.cpus for s in sections})
    lines = [
        "# telegemini benchmark results",
        "",
        "Written by `make bench` (`python -m bench [module ...]` re-runs some modules and keeps "
        "the others' sections). The bot runs as its own process (`telegemini run`) against the "
        "fake Telegram and fake Gemini servers, which share the machine with it; timestamps are "
        "the fakes' (`time.monotonic()`), CPU and memory are the bot process's (`/proc`).",
        "",
        f"- machine: {', '.join(map(str, cpus))} CPU(s) (`os.cpu_count()`), {platform.system()} "
        f"{platform.machine()}",
        f"- targets met: {met} of {len(judged)}",
        "- speed probe: a fixed 2M-step Python loop timed before each module (lower is faster); "
        "this virtual machine's speed drifts between runs, so compare figures within one run",
        "",
    ]
    if judged:
        lines += [
            "## Targets at a glance",
            "",
            "| benchmark | figure | value | target | met |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {s.module.removeprefix('bench_')} | {_cell(f.name)} | {f.shown} "
            f"| {_cell(f.target)} | {f.verdict} |"
            for s in sections
            for f in s.figures
            if f.met is not None
        ]
        lines.append("")
    for section in sections:
        lines += _section(section)
    if ANALYSIS_MD.exists():
        lines += ["", ANALYSIS_MD.read_text().strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(section: Section) -> list[str]:
    head = (
        f"commit `{section.commit}`, {section.date}, {section.cpus} CPUs, "
        f"Python {section.python}, {section.seconds:.0f} s"
        + (f", speed probe {section.speed_ms:.0f} ms" if section.speed_ms else "")
    )
    lines = [f"## {section.module}", ""]
    if section.about:
        lines += [section.about, ""]
    lines += [head, ""]
    if section.error:
        lines += [f"**failed**: `{_cell(section.error)}`", ""]
    if section.figures:
        lines += ["| figure | value | target | met | note |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| {_cell(f.name)} | {f.shown} | {_cell(f.target) or '—'} | {f.verdict} "
            f"| {_cell(f.note)} |"
            for f in section.figures
        ]
        lines.append("")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
