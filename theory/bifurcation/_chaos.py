"""Where the cascade turns chaotic: the simulator's Lyapunov exponent against eta_inf.

:func:`lyapunov_onset` runs :func:`theory.dynamics.simulate` (NumPy engine: no compilation
per function) on a fine eta grid from one initial point and returns the first eta whose
largest Lyapunov exponent is positive; :attr:`Cascade.accumulation` predicts it from the
flip points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.bifurcation._errors import BifurcationError
from theory.validation import real, whole_number

__all__ = ["LyapunovScan", "lyapunov_onset"]


@dataclass(frozen=True)
class LyapunovScan:
    """``eta`` grid, ``lyapunov`` exponents, ``onset``: first eta with a positive exponent."""

    eta: np.ndarray
    lyapunov: np.ndarray
    onset: float | None

    def to_dict(self) -> dict:
        return {"eta": self.eta.tolist(), "lyapunov": self.lyapunov.tolist(),
                "onset": self.onset}


def lyapunov_onset(function, eta_lo: float, eta_hi: float, *, points: int = 401,
                   x0: float = 0.05, steps: int = 20000, transient: int = 5000,
                   engine: str = "numpy") -> LyapunovScan:
    """Scan [eta_lo, eta_hi] with ``points`` rates from ``x0`` (see the module docstring)."""
    from theory.dynamics import simulate

    lo = real("eta_lo", eta_lo, error=BifurcationError)
    hi = real("eta_hi", eta_hi, error=BifurcationError)
    if not 0 < lo < hi:
        raise BifurcationError(f"eta_lo={eta_lo!r}, eta_hi={eta_hi!r}: need 0 < eta_lo < eta_hi")
    points = whole_number("points", points, minimum=2, error=BifurcationError)
    grid = np.linspace(lo, hi, points)
    result = simulate(function, grid, [float(x0)], steps, engine=engine, progress=False,
                      transient=transient)
    lam = np.asarray(result.lyapunov[:, 0], dtype=float)
    positive = np.nonzero(lam > 0)[0]
    onset = float(grid[positive[0]]) if positive.size else None
    return LyapunovScan(eta=grid, lyapunov=lam, onset=onset)
