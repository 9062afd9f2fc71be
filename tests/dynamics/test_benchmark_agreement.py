"""The benchmark's references compute what the simulator computes (keeps benchmarks/ honest).

``benchmarks/bench_simulator.py`` compares the throughput of ``theory.dynamics.simulate``
with a C reference (gcc + OpenMP, ``benchmarks/c_reference.c``), a NumPy loop and hand-written
Numba prototypes.  A ratio is only meaningful if all of them run the same GD map
``x <- x - eta f'(x)`` (4.1) with the same Lyapunov sum ``sum_t log|1 - eta f''(x_t)|``; this
test checks that on a small workload (1,000 points), and checks the C reference itself
against the theory: for f1 and eta = 3 > 2/f1''(0) every orbit ends on the period-2 orbit
+-x_eta, x_eta the root of eta f1'(x) = 2x (Section 4.1).

gcc is required (CI has it): the C reference is compiled on first use into benchmarks/_build.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from benchmarks import numba_prototypes as proto
from benchmarks.references import CReference, numpy_gd_f1, numpy_gd_f2
from theory import catalog
from theory.dynamics import simulate

N_POINTS = 1000
C_F2 = 3.0


@pytest.fixture(scope="module")
def c_ref() -> CReference:
    return CReference()


def _x0():
    return np.linspace(-5.0, 5.0, N_POINTS)


def _run_all(function, eta, steps, c_ref):
    """Final states and Lyapunov sums of C, NumPy, the two prototypes and the simulator."""
    out = {}
    for name in ("c", "numpy", "prototype-log", "prototype-prod"):
        x = _x0()
        lyap = np.zeros_like(x)
        if function == "f1":
            if name == "c":
                c_ref.gd_f1(x, eta, steps, lyap)
            elif name == "numpy":
                numpy_gd_f1(x, eta, steps, lyap)
            else:
                proto.gd_f1(x, eta, steps, lyap, lyap_mode=name.split("-")[1])
        else:
            if name == "c":
                c_ref.gd_f2(x, eta, steps, C_F2, lyap)
            elif name == "numpy":
                numpy_gd_f2(x, eta, steps, C_F2, lyap)
            else:
                proto.gd_f2(x, eta, steps, C_F2, lyap, lyap_mode=name.split("-")[1])
        out[name] = (x, lyap)
    result = simulate(function, eta, _x0(), steps, early_exit=False, progress=False)
    out["simulator"] = (result.final_state[0, :, 0], None)
    return out


@pytest.mark.parametrize(
    ("function", "eta", "steps", "atol"),
    [
        ("f1", 3.0, 100, 1e-12),  # period-2 regime, contracting: states agree to rounding
        ("f2", 0.25, 100, 1e-12),  # eta < 2/f2''(0) = 1/3: converging
        # chaotic (Fig. 4.1 middle): rounding differences grow by up to |1 - 2*6| = 11 per
        # step near 0, so only a few steps can be compared point by point
        ("f2", 2.0, 6, 1e-6),
    ],
)
def test_final_states_and_lyapunov_sums_agree(function, eta, steps, atol, c_ref):
    runs = _run_all(function, eta, steps, c_ref)
    xc, lc = runs["c"]
    assert np.all(np.isfinite(xc))
    for name, (x, lyap) in runs.items():
        np.testing.assert_allclose(x, xc, rtol=0, atol=atol, err_msg=f"{name} final states")
        if lyap is not None:
            np.testing.assert_allclose(
                lyap, lc, rtol=1e-9, atol=1e-9, err_msg=f"{name} Lyapunov sums"
            )


def test_c_reference_lands_on_the_period_two_orbit_of_f1(c_ref):
    """Section 4.1: for eta > 2/f''(0), GD on f1 ends on +-x_eta with eta f1'(x_eta) = 2 x_eta.

    The Lyapunov exponent of that orbit is log|1 - eta f1''(x_eta)| = log|1 - eta/(1+x_eta)|;
    the C reference's sum over 200 late steps gives it.
    """
    eta = 3.0
    x_eta = catalog.f1().periodic_point(eta)
    x = _x0()
    c_ref.gd_f1(x, eta, 300)
    np.testing.assert_allclose(np.abs(x), x_eta, rtol=1e-12)
    lyap = np.zeros_like(x)
    c_ref.gd_f1(x, eta, 200, lyap)
    np.testing.assert_allclose(lyap / 200, np.log(abs(1.0 - eta / (1.0 + x_eta))), rtol=1e-10)


def test_c_reference_uses_all_cores(c_ref):
    """The C reference parallelises over points with OpenMP (one thread per core)."""
    expected = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    assert c_ref.threads == expected


def test_loading_the_c_reference_keeps_subnormals(c_ref):
    """A -ffast-math shared library can set FTZ/DAZ for the whole process on load (gcc 12
    links crtfastmath.o); the benchmark builds it so that it does not, or every later
    computation in the process (the simulator, other tests) would flush subnormals to 0."""
    x = np.zeros(4)
    c_ref.gd_f1(x, 3.0, 1)  # make sure the library is loaded and has run
    tiny = float(np.float64(5e-324))
    assert tiny * 1.0 > 0.0
    assert float(np.multiply(np.float64(1e-310), 0.5)) == 5e-311
