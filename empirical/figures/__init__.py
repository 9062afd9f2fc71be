"""The paper's empirical figures (Sections 2-3), reproduced on a real network.

Each module follows the protocol of :mod:`theory.figures`: ``compute(spec, *, lr, steps,
run_dir, progress, ...)`` returns a frozen data object, ``plot(data, out_dir, pdf=False)``
writes ``<module name>.png`` (and ``.pdf`` on request) and ``claims(data)`` states the
paper's claims next to what was measured, as :class:`theory.figures.Claim` objects whose
verdicts are decided by measured numbers.

* :mod:`~empirical.figures.fig_2_1` -- edge of stability (Section 2.1, Fig. 2.1 left);
* :mod:`~empirical.figures.fig_3_1` -- the gradient-direction slice at the last step of
  that run: convex, subquadratic, curvature falling away from the minimum (Section 3.1);
* :mod:`~empirical.figures.fig_3_2` -- separate scales along the gradient and random
  directions at that point (Section 3.2, Fig. 3.2 left and middle);
* :mod:`~empirical.figures.fig_2_1_right` -- the learning rate decayed at two times of
  that run: test accuracy and training loss (Section 2.2, Fig. 2.1 right);
* :mod:`~empirical.figures.fig_3_2_right` -- the same runs projected on the principal
  directions of the path before and after each decay (Fig. 3.2 right);
* :mod:`~empirical.figures.fig_3_2_multiscale` -- Fig. 3.2's random directions on inputs at
  separate magnitudes, where Section 6 says separate scales should appear.

All of them run, or resume, or reuse the same edge-of-stability run of
:func:`empirical.run_eos` through ``run_dir``: with the same ``run_dir``, spec, ``lr``,
``steps`` and ``sharpness_every`` the network is trained once (the decayed branches and
the Section 6 run add their own checkpoints).  :data:`QUICK` and
:data:`FULL` are the two sizes ``msl reproduce`` offers (:class:`Setting`).

The figure modules are imported on first use, so ``import empirical.figures`` does not
load torch.
"""

from __future__ import annotations

import importlib

FIGURES = ("fig_2_1", "fig_3_1", "fig_3_2", "fig_2_1_right", "fig_3_2_right",
           "fig_3_2_multiscale")
_EXPORTS = {"Setting": "_settings", "QUICK": "_settings", "FULL": "_settings",
            "SETTINGS": "_settings"}

__all__ = sorted([*FIGURES, *_EXPORTS, "FIGURES"])


def __getattr__(name: str):
    if name in FIGURES:
        value = importlib.import_module(f"empirical.figures.{name}")
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f"empirical.figures.{_EXPORTS[name]}"), name)
    else:
        raise AttributeError(f"module 'empirical.figures' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
