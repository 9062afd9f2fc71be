"""Bounded work (issue 20): every numeric flag that sizes work has an upper bound in one
table (:data:`theory.limits.BOUNDS`), refused before any work with the estimate.

The estimates are recomputed here from the table's unit costs (value x bytes per unit,
value x seconds per unit) and the limits from the environment (``MSL_MEMORY_LIMIT_GB`` is
16 in this folder's conftest; ``MSL_TIME_LIMIT_HOURS``), never read from the message alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from msl.cli import main
from theory.errors import ResourceLimitError
from theory.limits import BOUNDS, SET_BOUNDS, check_bound, cores

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"

CASES = [
    (["eos", "--threads", "100000"], "--threads=100000"),  # segfaulted
    (["eos", "--steps", "100000000000"], "--steps=100000000000"),
    (["eos", "--depth", "100000000"], "--depth=100000000"),
    (["slice", "--n-points", "1000000001"], "--n-points=1000000001"),
    (["scales", "--n-radii", "100000001"], "--n-radii=100000001"),
    (["scales", "--n-random", "100000000"], "--n-random=100000000"),
    (["reproduce", "--set", "eos_steps=100000000000"], "eos_steps=100000000000"),  # 745 GiB
    (["reproduce", "--set", "fig_4_2_steps=100000000000"], "fig_4_2_steps=100000000000"),
    (["simulate", "f1", "--eta", "1", "--x0", "1", "--steps", "5", "--scheduler",
      "local:1000"], "N=1000"),  # leaked 1,026 semaphores
    (["simulate", "f1", "--eta", "1", "--x0", "1", "--steps", "5", "--optimizer", "sgd",
      "--sigma", "0.1", "--replicas", "1000000000000"], "replicas=1000000000000"),
]


@pytest.mark.parametrize(("argv", "named"), CASES, ids=[" ".join(c[0][:2]) for c in CASES])
def test_flags_beyond_their_bound_are_refused_up_front(argv, named, tmp_path, capsys):
    out = ["--out", str(tmp_path / "out")] if argv[0] != "simulate" else []
    assert main([*argv, *out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0] and "too large" in err[0]
    assert re.search(r"at most \d+ here", err[0])
    assert not (tmp_path / "out" / "report.json").exists()


def test_threads_and_workers_are_bounded_by_the_cores():
    expected = 4 * len(os.sched_getaffinity(0))
    assert cores() * 4 == expected
    for flag in ("--threads", "--scheduler local:N"):
        assert check_bound(flag, expected) == expected
        with pytest.raises(ResourceLimitError, match=f"= {expected}; "):
            check_bound(flag, expected + 1)


@pytest.mark.parametrize("hours", ["24", "0.5"])
def test_time_estimate_and_maximum_follow_the_table(monkeypatch, hours):
    monkeypatch.setenv("MSL_TIME_LIMIT_HOURS", hours)
    bound = BOUNDS["--steps"]
    budget = float(hours) * 3600
    top = int(min(16 * 2**30 / bound.bytes_per_unit, budget / bound.seconds_per_unit))
    assert check_bound("--steps", top) == top
    with pytest.raises(ResourceLimitError, match=f"at most {top} here"):
        check_bound("--steps", top + 1)
    # an estimate of 10 x the budget in time is stated as such: 10 days / 5 h
    value = int(10 * budget / bound.seconds_per_unit)
    stated = "about 10 days" if hours == "24" else "about 5 h"
    with pytest.raises(ResourceLimitError, match=stated):
        check_bound("--steps", value)


def test_memory_estimate_in_the_message(monkeypatch):
    monkeypatch.setenv("MSL_MEMORY_LIMIT_GB", "1")
    # 2^25 replicas x 64 B = 2 GiB, over a limit of 1 GiB; their time (0.7 s) is fine
    with pytest.raises(ResourceLimitError, match=r"about 2 GiB of memory \(limit 1 GiB"):
        check_bound("--replicas", 2**25)
    assert check_bound("--replicas", 2**24) == 2**24  # exactly 1 GiB


def test_scaled_bounds_depend_on_the_other_sizes():
    # replicas: 20 ns per replica, point and step; a grid 100 times larger allows 100 x fewer
    small = BOUNDS["--replicas"].maximum(seconds_scale=1000 * 100)
    large = BOUNDS["--replicas"].maximum(seconds_scale=1000 * 10000)
    assert large == pytest.approx(small / 100, rel=1e-6, abs=1)


def test_loss_surface_points_are_bounded():
    pytest.importorskip("torch")
    from empirical._landscape import loss_surface

    with pytest.raises(ResourceLimitError, match="n_points=100001 is too large"):
        loss_surface(None, None, None, dims=2, n_points=100001)  # refused before any use


def test_docs_list_every_bound_and_set_key():
    text = DOCS.read_text()
    for flag in BOUNDS:
        assert f"`{flag}`" in text, flag
    for key in SET_BOUNDS:
        assert f"`{key}`" in text, key
