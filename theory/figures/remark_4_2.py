"""Remark 4.2: SGD's noise-driven drift along a manifold of minima, measured against
-(eta sigma^2/4) grad Tr H(x) for f(x, y) = y^T H(x) y.

H(x) = diag(1 + x^2/10, 2 + sin x) (two directions across the manifold, flatness varying
along it); the SDE of the remark is simulated from several x over many seeded replicas
(:func:`theory.optimizers.noise_drift.measure_drift`), each measurement with its standard
error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from theory.figures._claims import Claim
from theory.optimizers.noise_drift import DriftMeasurement, QuadraticValley, measure_drift
from theory.plotting import pyplot, save_figure

_X = sp.Symbol("x", real=True)
VALLEY = QuadraticValley(sp.Matrix([[1 + _X**2 / 10, 0], [0, 2 + sp.sin(_X)]]), (_X,))


@dataclass(frozen=True)
class Remark42:
    eta: float
    sigma: float
    points: np.ndarray
    measurements: tuple[DriftMeasurement, ...]
    #: SGD with heavy-ball momentum (step momentum_eta, beta) at points[0]
    momentum_beta: float = 0.5
    momentum: DriftMeasurement | None = None

    @property
    def z_scores(self) -> np.ndarray:
        return np.array([m.z_scores[0] for m in self.measurements])


def compute(points=(-2.0, 0.0, 1.0, 3.0), eta: float = 0.1, sigma: float = 1.0,
            time: float = 5.0, dt: float = 0.02, replicas: int = 128, seed: int = 0,
            momentum_beta: float = 0.5, momentum_eta: float = 0.02) -> Remark42:
    results = tuple(measure_drift(VALLEY, [x], eta=eta, sigma=sigma, time=time, dt=dt,
                                  replicas=replicas, seed=seed + k)
                    for k, x in enumerate(points))
    momentum = measure_drift(VALLEY, [points[0]], eta=momentum_eta, sigma=sigma, time=time,
                             replicas=replicas, seed=seed + len(points), method="sgd",
                             beta=momentum_beta)
    return Remark42(eta, sigma, np.asarray(points, float), results, momentum_beta, momentum)


def plot(data: Remark42, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    fig, ax = pyplot().subplots(figsize=(6.4, 4.2))
    grid = np.linspace(data.points.min() - 0.5, data.points.max() + 0.5, 200)
    formula = sp.lambdify(_X, -(data.eta * data.sigma**2 / 4) * VALLEY.trace_gradient[0])
    ax.plot(grid, formula(grid), "k-", label="-(eta sigma^2/4) d/dx Tr H(x)  (Remark 4.2)")
    measured = [m.measured[0] for m in data.measurements]
    errors = [2 * m.stderr[0] for m in data.measurements]
    ax.errorbar(data.points, measured, yerr=errors, fmt="o", capsize=3,
                label="SDE simulation (mean, 2 s.e.)")
    ax.set_xlabel("x (along the manifold of minima)")
    ax.set_ylabel("drift dx/dt")
    ax.set_title(f"Noise-driven drift, eta = {data.eta:g}, sigma = {data.sigma:g}")
    ax.legend(fontsize=8)
    return save_figure(fig, Path(out_dir) / "remark_4_2", pdf=pdf)


def claims(data: Remark42) -> list[Claim]:
    worst = float(np.max(np.abs(data.z_scores)))
    resolved = min(abs(m.measured[0]) / m.stderr[0] for m in data.measurements)
    rows = [Claim.tested(
        "Remark 4.2", "with y at equilibrium N(0, eta sigma^2/4 I), x drifts at "
        "-(eta sigma^2/4) grad Tr H(x)",
        f"at {len(data.points)} points the measured drift is within {worst:.2f} standard "
        f"errors of the formula ({data.measurements[0].replicas} replicas each)",
        holds=worst <= 3.0, criterion="|measured - formula| <= 3 standard errors everywhere",
        numbers={"max_abs_z": worst, "min_signal_to_error": float(resolved),
                 "replicas": data.measurements[0].replicas, "eta": data.eta,
                 "sigma": data.sigma})]
    m, b = data.momentum, data.momentum_beta
    if m is not None:
        z = float(abs(m.z_scores[0]))
        rows.append(Claim.tested(
            "Remark 4.2, SGD with momentum", "(the remark's suggested extension, derived here) "
            "with heavy-ball momentum beta the drift is -Tr(dH S)/(1 - beta), S the AR(2) "
            "covariance: about 1/(1 - beta)^2 times the plain formula",
            f"beta = {b:g}: measured {m.measured[0]:.4g} +- {m.stderr[0]:.1g}, predicted "
            f"{m.predicted[0]:.4g} ({z:.2f} s.e.); {m.measured[0] / m.formula[0]:.2f} x the "
            f"plain formula (1/(1 - beta)^2 = {1 / (1 - b) ** 2:.2f})",
            holds=z <= 3.0, criterion="|measured - predicted| <= 3 standard errors",
            numbers={"beta": b, "measured": float(m.measured[0]),
                     "predicted": float(m.predicted[0]), "stderr": float(m.stderr[0]),
                     "abs_z": z, "ratio_to_plain_formula": float(m.measured[0] / m.formula[0])}))
    return rows
