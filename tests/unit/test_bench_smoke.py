"""The benchmark suite still imports and writes its results table; the benchmarks themselves
run only with ``make bench``."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from bench import __main__ as runner
from bench.bench_concurrency import fixed_peak, window_peak
from bench.results import Figure, Section, at_least, at_most, info, number, percentile, save

BENCH = Path(__file__).parents[2] / "bench"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("[!_]*.py")))
def test_every_bench_module_imports(name):
    module = importlib.import_module(f"bench.{name}")

    if name.startswith("bench_"):
        assert callable(module.main)


def test_the_runner_finds_modules_with_or_without_the_prefix():
    every = runner.modules([])

    assert "bench_throughput" in every
    assert runner.modules(["throughput", "bench_memory"]) == ["bench_throughput", "bench_memory"]
    with pytest.raises(SystemExit, match="no such benchmark: bench_nope"):
        runner.modules(["nope"])


def _section(module: str, *figures: Figure) -> Section:
    return Section(module, list(figures), commit="abc1234", date="2026-01-01 00:00 UTC", cpus=2)


def test_results_are_written_as_a_markdown_table(tmp_path):
    json_path, md_path = tmp_path / "results.json", tmp_path / "RESULTS.md"
    section = _section(
        "bench_fake",
        at_most("bot CPU per text update", 2.5, "ms", 3),
        at_least("text updates/s", 120.0, "/s", 300, note="fakes' ceiling 900/s"),
        info("latency | p50", 12.345, "ms"),
    )

    save([section], json_path=json_path, md_path=md_path)

    page = md_path.read_text()
    assert "2 CPU(s)" in page
    assert "commit `abc1234`, 2026-01-01 00:00 UTC, 2 CPUs" in page
    assert "| bot CPU per text update | 2.50 ms | ≤ 3 ms | yes |  |" in page
    assert "| text updates/s | 120 /s | ≥ 300 /s | **no** | fakes' ceiling 900/s |" in page
    assert "| latency \\| p50 | 12.3 ms | — | — |  |" in page
    assert "targets met: 1 of 2" in page


def test_a_partial_run_replaces_its_own_section_and_keeps_the_others(tmp_path):
    paths = {"json_path": tmp_path / "r.json", "md_path": tmp_path / "r.md"}
    save([_section("bench_a", info("a", 1)), _section("bench_b", info("b", 2))], **paths)

    save([_section("bench_a", info("a", 3))], **paths)

    sections = json.loads(paths["json_path"].read_text())["sections"]
    assert [(s["module"], s["figures"][0]["value"]) for s in sections] == [
        ("bench_a", 3),
        ("bench_b", 2),
    ]


def test_a_failed_module_is_shown_as_failed(tmp_path):
    section = _section("bench_broken")
    section.error = "TimeoutError: 3 of 600 replies"

    save([section], json_path=tmp_path / "r.json", md_path=tmp_path / "r.md")

    assert "**failed**: `TimeoutError: 3 of 600 replies`" in (tmp_path / "r.md").read_text()


def test_figure_lines_and_numbers():
    assert at_most("stall", 31.6, "ms", 20).line() == "stall: 31.6 ms  (target ≤ 20 ms: NOT met)"
    assert [number(v) for v in (1234.5, 57.14, 1.0, 0.456, 0.0123)] == [
        "1,234",
        "57.1",
        "1",
        "0.46",
        "0.012",
    ]
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 99) == 5


def test_send_windows_count_the_busiest_second():
    times = [0.0, 0.1, 0.5, 0.99, 1.0, 1.5, 2.2]

    assert window_peak(times) == 4
    assert fixed_peak(times) == 4
