"""The sizes of the empirical figures: one frozen :class:`Setting` per size (no torch)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from empirical._spec import DEFAULT_LR, DEFAULT_STEPS, ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v

_FIGURES = ("fig_2_1", "fig_3_1", "fig_3_2", "fig_2_1_right", "fig_3_2_right",
            "fig_3_2_multiscale")


@dataclass(frozen=True)
class Setting:
    """Problem, edge-of-stability run and grids shared by Figs. 2.1, 3.1 and 3.2.

    Attributes:
        name: what the size is called (``quick``, ``full``).
        spec: the training problem.
        lr, steps, sharpness_every: the GD run of :func:`empirical.run_eos`.
        slice_points: grid size of the gradient-direction slice (Fig. 3.1, odd).
        n_random: random directions of Fig. 3.2 (besides the gradient).
        scales_radii: log-spaced radii in ``[r_min, r_max]`` of Fig. 3.2.
        decay_at, decay_factor: Figs. 2.1 right and 3.2 right branch off the run with the
            learning rate times ``decay_factor`` at these fractions of ``steps`` (rounded
            to the run's snapshot steps, every ``steps // 100``); the defaults, a third and
            two thirds, keep the paper's 1:2 ratio of its decay epochs (250 and 500) and
            its factor 0.1.
        multiscale_scales, multiscale_n_train, multiscale_steps: the Section 6 setting of
            Fig. 3.2's random directions: the same network, learning rate and grids on
            ``multiscale_n_train`` synthetic inputs at the norms ``multiscale_scales``,
            trained for ``multiscale_steps`` GD steps.
    """

    name: str
    spec: ProblemSpec
    lr: float
    steps: int
    sharpness_every: int
    slice_points: int
    n_random: int
    scales_radii: int
    r_min: float = 1e-4
    r_max: float = 100.0
    decay_at: tuple[float, float] = (1 / 3, 2 / 3)
    decay_factor: float = 0.1
    multiscale_scales: tuple[float, ...] = (1.0, 10.0, 100.0)
    multiscale_n_train: int = 300
    multiscale_steps: int = 1000

    def __post_init__(self) -> None:
        if not isinstance(self.spec, ProblemSpec):
            raise ExperimentError(f"spec={self.spec!r}: must be a ProblemSpec")
        v.positive_real("lr", self.lr, error=ExperimentError)
        for name in ("steps", "sharpness_every", "slice_points", "scales_radii"):
            v.whole_number(name, getattr(self, name), minimum=1, error=ExperimentError)
        v.whole_number("n_random", self.n_random, minimum=0, error=ExperimentError)
        if self.slice_points % 2 == 0:
            raise ExperimentError(f"slice_points={self.slice_points}: must be odd")
        v.positive_real("r_min", self.r_min, error=ExperimentError)
        v.positive_real("r_max", self.r_max, error=ExperimentError)
        if self.r_min >= self.r_max:
            raise ExperimentError(f"r_min={self.r_min}, r_max={self.r_max}: need "
                                  "0 < r_min < r_max")
        try:
            first, second = (float(f) for f in self.decay_at)
        except (TypeError, ValueError):
            raise ExperimentError(f"decay_at={self.decay_at!r}: must be two fractions") \
                from None
        if not 0 < first < second < 1:
            raise ExperimentError(f"decay_at={self.decay_at!r}: need 0 < first < second < 1")
        object.__setattr__(self, "decay_at", (first, second))
        v.fraction("decay_factor", self.decay_factor, error=ExperimentError)
        scales = tuple(v.positive_real("multiscale_scales", x, error=ExperimentError)
                       for x in self.multiscale_scales)
        if len(scales) < 2:
            raise ExperimentError(f"multiscale_scales={self.multiscale_scales!r}: give at "
                                  "least two input norms (Section 6)")
        object.__setattr__(self, "multiscale_scales", scales)
        v.whole_number("multiscale_n_train", self.multiscale_n_train, minimum=len(scales),
                       error=ExperimentError)
        v.whole_number("multiscale_steps", self.multiscale_steps, minimum=4,
                       error=ExperimentError)

    def replace(self, **changes) -> Setting:
        """A copy with some fields changed (validated again); ``device=`` and ``seed=``
        change the spec."""
        spec_changes = {k: changes.pop(k) for k in ("device", "seed") if k in changes}
        spec = changes.pop("spec", self.spec).replace(**spec_changes)
        return dataclasses.replace(self, spec=spec, **changes)

    @property
    def multiscale_spec(self) -> ProblemSpec:
        """The Section 6 problem: :attr:`spec`'s network, loss and seed on synthetic
        inputs at the norms :attr:`multiscale_scales` (labels from a linear teacher)."""
        return self.spec.replace(data="multiscale", input_scales=self.multiscale_scales,
                                 n_train=self.multiscale_n_train,
                                 n_test=min(self.spec.n_test, self.multiscale_n_train))

    def options(self, figure: str) -> dict:
        """Keyword arguments of ``empirical.figures.<figure>.compute`` for this setting
        (``run_dir`` and ``progress`` are the caller's)."""
        common = {"spec": self.spec, "lr": self.lr, "steps": self.steps,
                  "sharpness_every": self.sharpness_every}
        if figure == "fig_2_1":
            return common
        if figure == "fig_3_1":
            return {**common, "n_points": self.slice_points}
        scales = {"n_random": self.n_random, "n_radii": self.scales_radii,
                  "r_min": self.r_min, "r_max": self.r_max}
        if figure == "fig_3_2":
            return {**common, **scales}
        if figure in ("fig_2_1_right", "fig_3_2_right"):
            return {**common, "decay_at": self.decay_at, "factor": self.decay_factor}
        if figure == "fig_3_2_multiscale":
            return {**common, **scales, "multiscale_spec": self.multiscale_spec,
                    "multiscale_steps": self.multiscale_steps}
        raise ExperimentError(f"figure={figure!r}: must be one of {', '.join(_FIGURES)}")


#: the default of ``msl eos``: 1,000 digits, tanh MLP 2 x 64, MSE, eta = 0.3, 3,000 steps
QUICK = Setting("quick", ProblemSpec(), lr=DEFAULT_LR, steps=DEFAULT_STEPS, sharpness_every=20,
                slice_points=41, n_random=2, scales_radii=81)

#: all 1,797 digits (1,297 train / 500 test), a 5x longer run with the sharpness twice as
#: often, finer grids and four random directions; 3x the Section 6 data and steps
FULL = Setting("full", ProblemSpec(n_train=1297, n_test=500), lr=DEFAULT_LR, steps=15000,
               sharpness_every=10, slice_points=101, n_random=4, scales_radii=161,
               multiscale_n_train=900, multiscale_steps=3000)

SETTINGS = {s.name: s for s in (QUICK, FULL)}
