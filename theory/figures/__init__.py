"""The paper's theory figures, reproduced: each module has ``compute()`` (a frozen data
object with the measured quantities), ``plot(data, out_dir, pdf=False)`` (PNG, and PDF on
request) and ``claims(data)`` (the paper's statements next to the measurements, as
:class:`Claim` objects with a :class:`Verdict`).

* :mod:`~theory.figures.fig_4_1` -- GD with learning-rate decay on f1, f2, f3;
* :mod:`~theory.figures.fig_4_2` -- the flattening valley and the quasistatic flow (4.8);
* :mod:`~theory.figures.fig_5_1` -- learning-rate decay on two valleys at two scales (5.1);
* :mod:`~theory.figures.fig_6_1` -- multiscale losses of the Section 6 network;
* :mod:`~theory.figures.phase_diagrams` -- phase and bifurcation diagrams over eta
  (Section 4.1, Theorem 4.1) for f1 and f2;
* :mod:`~theory.figures.momentum_phase` -- heavy-ball and Nesterov phase diagrams over
  (eta, beta) on f1 with the derived threshold and period-2 curves (issue 13);
* :mod:`~theory.figures.remark_4_2` -- SGD's noise-driven drift against Remark 4.2's formula;
* :mod:`~theory.figures.remark_4_1` -- GD vs SGD on the Fig. 4.2 valley (Remark 4.1);
* :mod:`~theory.figures.bifurcation` -- beyond the paper: the flip at 2/f''(x*) for any
  minimum, the continued cascade and the onset of chaos (issue 21).

Figure modules are imported on first use (``theory.figures.fig_4_1``), so the claim types
stay light for the other packages' figures.
"""

import importlib

from theory.figures._claims import Claim, ClaimError, Verdict

_FIGURES = ("bifurcation", "fig_4_1", "fig_4_2", "fig_5_1", "fig_6_1", "momentum_cycles",
            "momentum_phase", "phase_diagrams", "remark_4_1", "remark_4_2")

__all__ = ["Claim", "ClaimError", "Verdict", *_FIGURES]


def __getattr__(name: str):
    if name not in _FIGURES:
        raise AttributeError(f"module 'theory.figures' has no attribute {name!r}")
    module = importlib.import_module(f"theory.figures.{name}")
    globals()[name] = module
    return module
