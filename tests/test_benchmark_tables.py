"""The benchmark's tables print the ratios and flags the README tells readers to look at."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench import scaling, sidebyside
from bench.clients import Result
from bench.stats import percentile


def run(
    rps: float, p50_ms: float = 10.0, p99_ms: float = 20.0, errors: int = 0, cpu_us: float = 500
) -> Result:
    """A load run of 5 s at ``rps`` requests per second."""
    return Result(round(rps * 5), 5.0, p50_ms, p99_ms, errors, cpu_us)


def one_round(page: Result, template: Result, bare: Result) -> tuple[sidebyside.Round]:
    return (sidebyside.Round(page, template, bare),)


def test_the_side_by_side_table_gives_page_over_template_and_over_bare() -> None:
    row = sidebyside.Row("GET /candidate", one_round(run(30), run(60), run(3000)), "53")

    line = sidebyside.table([row])[-1]

    assert line.split() == [
        *["GET", "/candidate"],
        *["30.0", "10.0", "20.0", "|", "60.0", "10.0", "20.0", "|", "3000.0", "10.0", "20.0"],
        *["|", "0.500", "0.010", "53", "-", "-"],
    ]


def test_over_several_rounds_the_table_gives_medians_and_each_ratios_range() -> None:
    rounds = (
        sidebyside.Round(run(30, p99_ms=40), run(60), run(3000)),  # 0.50 of its template
        sidebyside.Round(run(20, p99_ms=90), run(50), run(2000)),  # 0.40, a busy moment
        sidebyside.Round(run(33, p99_ms=30), run(55), run(3000)),  # 0.60
    )
    row = sidebyside.Row("GET /candidate", rounds, "6")

    cells = sidebyside.table([row])[-1].split()

    assert cells[2:5] == ["30.0", "10.0", "40.0"]  # the page's median rps, p50 and p99
    assert cells[6] == "55.0" and cells[10] == "3000.0"
    # The median round's ratio (30/60), not the medians' (30/55); then each one's range.
    assert cells[-5:] == ["0.500", "0.010", "6", "0.40-0.60", "0.01-0.01"]


def test_the_cpu_table_gives_what_a_request_costs_each_server_and_the_ratios() -> None:
    rounds = (
        # The page costs 2x its template and 8x a bare app, whatever else the machine does.
        sidebyside.Round(run(30, cpu_us=1000), run(60, cpu_us=500), run(3000, cpu_us=125)),
        sidebyside.Round(run(20, cpu_us=1200), run(50, cpu_us=480), run(2000, cpu_us=150)),
        sidebyside.Round(run(33, cpu_us=900), run(55, cpu_us=540), run(3000, cpu_us=120)),
    )
    row = sidebyside.Row("API GET /enrollments/{id}", rounds, "2")

    header, _rule, line = sidebyside.cpu_table([row])

    assert header.split()[:4] == ["route", "page", "us", "template"]
    assert line.split() == [
        *["API", "GET", "/enrollments/{id}"],
        *["1000", "500", "125"],  # each server's median CPU time per request
        *["0.500", "0.125", "0.40-0.60", "0.12-0.13"],  # median and range of the rounds'
    ]


def test_the_side_by_side_table_calls_out_errors() -> None:
    row = sidebyside.Row("GET /mentor/", one_round(run(30, errors=4), run(60), run(3000)), "40")

    assert sidebyside.table([row])[-1].endswith("<- 4 errors")


def sized(*runs: Result, first_ms: float = 14.0, kib: float = 31.0) -> scaling.Sized:
    return scaling.Sized(first_ms, kib, runs)


def test_the_sizes_table_flags_a_page_that_slows_down_with_the_data() -> None:
    small = sized(run(100, p50_ms=10.0, p99_ms=40.0), first_ms=12.0, kib=30.0)
    within = sized(run(80, p50_ms=14.0, p99_ms=90.0))
    grown = sized(run(60, p50_ms=16.0, p99_ms=90.0))
    slow = sized(run(1, p50_ms=6300.0, p99_ms=7000.0), first_ms=900.0, kib=15_000.0)

    lines = scaling.table(["a", "b", "c"], [small] * 3, [within, grown, slow], "10,000")[-3:]

    assert [line.partition("|")[2].partition("|")[2].strip() for line in lines] == [
        "1.4",
        "1.6  <- over 1.5x",
        "630  <- over 1.5x; p99 over 100 ms",
    ]


def test_over_several_rounds_the_sizes_table_pairs_each_round_of_the_two_databases() -> None:
    # The machine slows down over the rounds, both databases alike: each round's ratio is
    # 1.2. In one round the large database's page was slowed more (2.0): the median of the
    # rounds' ratios stays 1.2, where the two sides' own medians would say 40 / 20 = 2.0.
    small = sized(*(run(100, p50_ms=ms) for ms in (10.0, 20.0, 40.0)))
    big = sized(*(run(80, p50_ms=ms) for ms in (12.0, 24.0, 48.0)))
    slowed_once = sized(*(run(80, p50_ms=ms) for ms in (12.0, 40.0, 48.0)))

    lines = scaling.table(["a", "b"], [small] * 2, [big, slowed_once], "10,000")

    assert "low-high" in lines[1]
    cells = [line.partition("|")[2].partition("|")[2].split() for line in lines[-2:]]
    assert cells == [["1.2", "1.2-1.2"], ["1.2", "1.2-2.0"]]
    assert lines[-2].partition("|")[2].split()[1] == "24.0"  # the big side's median p50


@pytest.mark.parametrize(("rank", "expected"), [(50, 50.0), (99, 99.0), (100, 100.0), (0.5, 1.0)])
def test_percentiles_are_by_nearest_rank(rank: float, expected: float) -> None:
    assert percentile([float(n) for n in range(100, 0, -1)], rank) == expected
