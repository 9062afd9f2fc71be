"""The iterated-map core refactoring (issue 19) changes no number: fixed f1/f2/f3 GD sweeps
and momentum sweeps on the Numba engine hash to what they gave before it
(``benchmarks/results/core19_hashes.json``, recorded by ``benchmarks/bench_core_equivalence.py``
on the code before the change)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_core_equivalence as bench


@pytest.mark.parametrize("name", sorted(json.loads(bench.RESULTS.read_text())))
def test_sweep_hash_unchanged(name: str) -> None:
    recorded = json.loads(bench.RESULTS.read_text())[name]
    assert bench.compute([name])[name] == recorded
