"""Landscapes shared by the simulator tests (each compiled once per machine: disk cache).

The simulator compiles one Numba module per landscape, so the tests use few of them:

* ``f1``, ``f2`` (C = 3), ``f3`` -- the paper's Fig. 4.1 functions;
* ``cubic`` -- f(x) = x^3/3 - x^2/2.  GD with learning rate eta on it is
  ``x -> (1 + eta) x - eta x^2``, linearly conjugate (y = eta x / (1 + eta)) to the logistic
  map ``y -> r y (1 - y)`` with ``r = 1 + eta``: period doubling (2 at r = 3.2, 4 at 3.5, 8 at
  3.55), the period-3 window (3.83), chaos with Lyapunov exponent ln 2 at r = 4, and
  divergence to -inf outside [0, (1 + eta)/eta]: all known in closed form.
"""

from __future__ import annotations

import pytest

from theory import Landscape, catalog


@pytest.fixture(scope="session")
def f1():
    return catalog.f1()


@pytest.fixture(scope="session")
def f2():
    return catalog.f2()


@pytest.fixture(scope="session")
def f3():
    return catalog.f3()


@pytest.fixture(scope="session")
def cubic():
    return Landscape("x**3/3 - x**2/2", name="logistic_conjugate")


def logistic_eta(r: float) -> float:
    """The learning rate at which GD on ``cubic`` is the logistic map with parameter r."""
    return r - 1.0


def to_logistic(x, eta):
    """y = eta x / (1 + eta): the conjugacy from GD on ``cubic`` to the logistic map."""
    return eta * x / (1.0 + eta)
