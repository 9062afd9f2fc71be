"""The compiled simulator against an independent reference iteration (mpmath, 40 digits).

For random small cases (function, learning rate, schedule, initial points, number of steps)
the whole trajectory is recorded (``keep_last = steps + 1``) and every step is recomputed
from the compiled iterate x_t by the reference map x_t - eta_t grad f(x_t), with grad f
evaluated by mpmath from the sympy expression (not from the generated code).  Comparing one
step at a time keeps the check exact also for chaotic orbits, where differences of one ulp
grow like e^{lambda t}.  The loss and the Lyapunov exponents (running average for
non-periodic orbits, cycle exponent for periodic ones) are recomputed the same way.

Removable singularities (f3's gradient is 0/0 at the origin; its Hessian overflows to inf
once r^3 underflows) follow theory.Landscape's rule in both: a non-finite entry at a finite
point is the mean of its values at x -+ 1e-7 (1 + max|x|)/sqrt(d) (1, ..., 1).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory.dynamics import Schedule, compile_landscape, simulate
from theory.dynamics._support import CONVERGED, PERIODIC

from .conftest import logistic_eta

_DPS = 40


class Reference:
    """mpmath evaluation of f, grad f, Hess f of a landscape (with the removable rule)."""

    def __init__(self, landscape):
        v = landscape.variables
        self.dim = len(v)
        self._f = sp.lambdify(v, landscape.expr, modules="mpmath")
        self._g = [sp.lambdify(v, g, modules="mpmath") for g in landscape.gradient_exprs]
        self._h = [[sp.lambdify(v, h, modules="mpmath") for h in row]
                   for row in landscape.hessian_exprs]
        # where the simulator's float64 formula is not finite at a finite point (0/0, also
        # after underflow: sqrt(x1^2 + x2^2) = 0 for |x| < 1e-162) it applies the removable
        # rule;
        # the reference then does the same (only this yes/no comes from the generated code)
        module = compile_landscape(landscape).module
        self._float = {id(self._f): module.loss, id(self._g): module.grad,
                       id(self._h): module.grad_hess}

    def _nan_in_float(self, key, point) -> np.ndarray:
        """Entries (in the order of the mpmath functions) that are not finite in float64."""
        values = ~np.isfinite(np.asarray(self._float[key](*map(float, point)), dtype=float))
        if key == id(self._g):
            return values[: self.dim]
        if key == id(self._h):
            upper = iter(values[self.dim :])
            full = np.zeros((self.dim, self.dim), dtype=bool)
            for j in range(self.dim):
                for k in range(j, self.dim):
                    full[j, k] = full[k, j] = next(upper)
            return full.ravel()
        return values

    def _eval(self, fns, point, key):
        def raw(p):
            # enough digits that 1 + |x| keeps all of a tiny x (log(1 + |x|) in f1')
            tiny = min((abs(c) for c in p if c != 0 and math.isfinite(c)), default=1.0)
            dps = _DPS + int(max(0.0, -math.log10(tiny)))
            try:
                with mpmath.workdps(dps):
                    return np.array([float(fn(*map(mpmath.mpf, p))) for fn in fns])
            except (ZeroDivisionError, ValueError):
                return np.full(len(fns), math.nan)

        out = raw(point)
        fill = (self._nan_in_float(key, point) | np.isnan(out)) & all(map(math.isfinite, point))
        if fill.any():
            h = 1e-7 * (1.0 + max(abs(c) for c in point)) / math.sqrt(len(point))
            a = raw([c + h for c in point])
            b = raw([c - h for c in point])
            out[fill] = 0.5 * (a + b)[fill]
        return out

    def f(self, point):
        return self._eval([self._f], point, id(self._f))[0]

    def grad(self, point):
        return self._eval(self._g, point, id(self._g))

    def hess(self, point):
        flat = self._eval([h for row in self._h for h in row], point, id(self._h))
        return flat.reshape(self.dim, self.dim)


_REFERENCES: dict[str, Reference] = {}


def reference(landscape) -> Reference:
    if landscape.name not in _REFERENCES:
        _REFERENCES[landscape.name] = Reference(landscape)
    return _REFERENCES[landscape.name]


@st.composite
def cases(draw):
    """(name, eta, schedule, x0 (N, d), steps)."""
    name = draw(st.sampled_from(["f1", "f2", "f3", "cubic"]))
    eta = {
        "f1": st.floats(0.1, 8.0),
        "f2": st.floats(0.05, 3.0),
        "f3": st.floats(0.02, 1.2),
        "cubic": st.floats(0.5, 3.0),
    }[name]
    span = {"f1": 20.0, "f2": 5.0, "f3": 4.0, "cubic": 1.0}[name]
    dim = 2 if name == "f3" else 1
    coordinate = st.floats(-span, span, allow_nan=False, allow_subnormal=False)
    if name == "cubic":
        coordinate = st.floats(-0.2, 1.6)
    n_points = draw(st.integers(1, 3))
    x0 = np.array(draw(st.lists(st.lists(coordinate, min_size=dim, max_size=dim),
                                min_size=n_points, max_size=n_points)))
    steps = draw(st.integers(1, 90))
    schedule = None
    if steps >= 2 and draw(st.booleans()):
        at = draw(st.integers(1, steps - 1))
        schedule = Schedule.step_decay(at, draw(st.floats(0.1, 2.0)))
    return name, draw(eta), schedule, x0, steps


def _landscape(name, f1, f2, f3, cubic):
    return {"f1": f1.landscape, "f2": f2.landscape, "f3": f3, "cubic": cubic}[name]


def _cycle_exponent_reference(ref, x, eta, p, dim):
    """Tangent propagation along the cycle as documented: p * reps steps, mean log growth
    over the second half (reps = 1 in 1-D: exactly (1/p) sum log|1 - eta f''(x_j)|)."""
    reps = 1 if dim == 1 else max(2, -(-64 // p))
    n, warm = p * reps, p * (reps // 2)
    v = 1.0 + 0.6180339887498949 * np.arange(dim)
    v /= np.linalg.norm(v)
    total = 0.0
    for s in range(n):
        w = v - eta * ref.hess(x) @ v
        x = x - eta * ref.grad(x)
        norm = np.linalg.norm(w)
        if s >= warm:
            total += math.log(norm) if norm > 0 else -math.inf
        v = w / norm if 0 < norm < math.inf else v
    return total / (n - warm)


@given(case=cases())
@example(case=("f3", 0.5, None, np.array([[0.0, 0.0], [1e-3, -2e-3]]), 40))  # 0/0 at origin
@example(case=("f2", 2.0, Schedule.step_decay(30, 0.25), np.array([[-5.0], [0.3]]), 80))
@example(case=("cubic", logistic_eta(4.0), None, np.array([[0.3], [-0.1]]), 90))
def test_every_step_matches_the_reference_map(case, f1, f2, f3, cubic):
    name, eta, schedule, x0, steps = case
    landscape = _landscape(name, f1, f2, f3, cubic)
    ref = reference(landscape)
    r = simulate(landscape, eta, x0, steps, schedule=schedule, keep_last=steps + 1,
                 record_loss=True, early_exit=False, progress=False)
    sched = r.schedule
    transient = r.metadata["transient"]
    for j in range(x0.shape[0]):
        path = r.tail[0, j]  # (steps + 1, d): x_0 .. x_T
        assert np.array_equal(path[0], x0[j])
        finite = np.all(np.isfinite(path), axis=1)
        lyap_terms = []
        for t in range(steps):
            if not finite[t]:
                break
            e = eta * sched.factor_at(t)
            g = ref.grad(path[t])
            expected = path[t] - e * g
            scale = np.abs(path[t]) + np.abs(e * g)
            if np.all(np.isfinite(expected)):
                assert np.all(np.abs(path[t + 1] - expected) <= 1e-13 * scale + 1e-300), (
                    t, path[t], path[t + 1], expected)
            # f1 = (1+|x|) log(1+|x|) - |x| cancels near 0: absolute rounding ~ eps (1 + |x|)^2
            loss = ref.f(path[t])
            with np.errstate(over="ignore"):
                slack = 1e-14 * (1.0 + np.max(np.abs(path[t]))) ** 2
            if np.isfinite(slack):
                assert r.loss[0, j, t] == pytest.approx(loss, rel=1e-12, abs=slack)
            if landscape.dim == 1 and t >= transient:
                a = abs(1.0 - e * ref.hess(path[t])[0, 0])
                lyap_terms.append(math.log(a) if a > 0 else -math.inf)
        cls = r.classes[0, j]
        if cls in (CONVERGED, PERIODIC):
            p = int(r.period[0, j])
            expected = _cycle_exponent_reference(ref, r.final_state[0, j].copy(),
                                                 eta * sched.factors[-1], p, landscape.dim)
            _assert_exponent(r.lyapunov[0, j], expected, rel=1e-8)
        elif landscape.dim == 1 and finite.all() and np.isfinite(r.lyapunov[0, j]):
            _assert_exponent(r.lyapunov[0, j], float(np.mean(lyap_terms)), rel=1e-9)


def _assert_exponent(got, expected, rel):
    """Equal to ``rel``; at a superstable point (1 - eta f'' = 0 up to rounding, exponent -inf
    in exact arithmetic) both only need to be very negative: rounding (and FMA contraction)
    decides between -inf and about -37."""
    if expected < -30:
        assert got < -30
    else:
        assert got == pytest.approx(expected, rel=rel, abs=1e-12)
