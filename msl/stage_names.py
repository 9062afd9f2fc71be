"""The stages of ``msl reproduce``, their titles and the ``--only`` groups: plain constants,
no imports.

``msl reproduce --help`` lists them from here without loading the stage table
(:data:`msl.reproduction.STAGES`, which imports sympy, numpy and the figure modules), as
``proofs_check/claim_names.py`` does for ``msl check``'s claims.  The stage table keeps the
same names and titles in the same order (``tests/cli/test_stage_names.py`` checks it) and
takes its groups from here.
"""

from __future__ import annotations

__all__ = ["GROUPS", "STAGE_NAMES", "STAGE_TITLES"]

#: stage name -> title, in the order ``msl reproduce`` runs them
STAGE_TITLES: dict[str, str] = {
    "fig2.1": "Edge of stability (Fig. 2.1 left)",
    "fig3.1": "Gradient-direction slice (Fig. 3.1)",
    "fig3.2": "Separate scales (Fig. 3.2 left and middle)",
    "fig2.1-right": "Learning-rate decay at two times (Fig. 2.1 right)",
    "fig3.2-right": "The path before and after each decay (Fig. 3.2 right)",
    "fig3.2-multiscale": "Random directions on multiscale inputs (Fig. 3.2, Section 6)",
    "fig4.1": "Subquadratic functions with learning-rate decay (Fig. 4.1)",
    "fig4.2": "Quasistatic drift along a flattening valley (Fig. 4.2)",
    "fig5.1": "Learning-rate decay on two valleys at two scales (Fig. 5.1)",
    "fig6.1": "Multiscale losses from the data (Fig. 6.1)",
    "phase": "Phase and bifurcation diagrams over eta (Section 4.1)",
    "momentum": "Heavy-ball and Nesterov phase diagrams on f1 (beyond GD)",
    "remark4.2": "Noise-driven drift along a valley of minima (Remark 4.2)",
    "remark4.1": "GD vs SGD on the Fig. 4.2 valley (Remark 4.1)",
    "central-flow": "Central flows on the Section 4.4 valleys (beyond GD)",
    "bifurcation": "Flip bifurcation and period-doubling cascade (beyond the paper)",
    "check": "Lemma 4.1, Theorems 4.1-4.3 and (4.8) on the catalog",
}
STAGE_NAMES: tuple[str, ...] = tuple(STAGE_TITLES)

_BEYOND_GD = ("momentum", "remark4.2", "remark4.1", "central-flow", "bifurcation")
#: names accepted by ``--only`` besides the stage names
GROUPS: dict[str, tuple[str, ...]] = {
    "empirical": ("fig2.1", "fig3.1", "fig3.2", "fig2.1-right", "fig3.2-right",
                  "fig3.2-multiscale"),
    "theory": ("fig4.1", "fig4.2", "fig5.1", "fig6.1", "phase", *_BEYOND_GD),
    "beyond-gd": _BEYOND_GD,
    "figures": tuple(name for name in STAGE_NAMES if name.startswith("fig")),
}
