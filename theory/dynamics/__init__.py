"""Compiled gradient descent over grids of learning rates and initial points (Section 4).

* :class:`SimulationOptions` -- the settings of a sweep (steps, schedule, tolerances), one
  frozen, validated object stored in every result's metadata;
* :func:`simulate` -- GD (4.1) from every initial point with every learning rate (optionally
  a :class:`Schedule`), each orbit classified as converged, periodic, chaotic, diverged,
  undecided or drifting, with its period and Lyapunov exponent; in this process or, with
  ``scheduler=``, as Dask tasks on a cluster (docs/distributed.md);
* :func:`zero_one_test`, :func:`zero_one_statistic` -- the 0-1 test for chaos (Gottwald &
  Melbourne) on a series or a result's kept tail: a second opinion on "chaotic";
* :class:`SimulationResult` -- the per-point results with their metadata (save/load .npz or
  .nc);
* :func:`compile_landscape` -- the Numba kernels generated from a landscape's derivatives
  (cached on disk);
* :func:`plot_class_map`, :func:`plot_bifurcation`, :func:`plot_lyapunov_map` -- class/period
  maps and bifurcation diagrams with the theory (x_eta, 2/f''(0), stability of the period-2
  orbit) drawn over them;
* :func:`simulate_momentum` -- heavy-ball / Nesterov momentum over eta x beta x x0 (issue 13),
  classified the same way on the 2-state (x_t, x_{t-1}); :func:`simulate_sgd` -- seeded SGD
  replicas per (eta, x0) with distribution outcomes;
* ``simulate(..., device="cuda")`` -- the same sweep by a PyTorch kernel generated from the same
  derivatives, on a GPU (docs/gpu.md); :class:`DeviceError` where there is none.
"""

from theory.dynamics._compile import CompiledLandscape, cache_directory, compile_landscape
from theory.dynamics._errors import (
    CompileError,
    DeviceError,
    InitialPointError,
    SchedulerError,
    StoreMismatchError,
)
from theory.dynamics._momentum import MOMENTUM_METHODS, MomentumSweep, simulate_momentum
from theory.dynamics._momentum_plots import (
    momentum_threshold_curve,
    plot_momentum_bifurcation,
    plot_momentum_phase_diagram,
)
from theory.dynamics._options import SimulationOptions
from theory.dynamics._plots import (
    plot_bifurcation,
    plot_class_map,
    plot_lyapunov_map,
    save_figure,
    theory_curves,
)
from theory.dynamics._reasons import UNDECIDED_REASONS, undecided_reasons
from theory.dynamics._result import SimulationResult
from theory.dynamics._sgd import SGDSweep, check_sgd_size, simulate_sgd
from theory.dynamics._simulate import simulate
from theory.dynamics._summary import attractor_values, summarize
from theory.dynamics._support import CLASS_NAMES
from theory.dynamics._zero_one import zero_one_statistic, zero_one_test
from theory.schedule import Schedule

__all__ = [
    "CLASS_NAMES",
    "MOMENTUM_METHODS",
    "UNDECIDED_REASONS",
    "CompileError",
    "CompiledLandscape",
    "DeviceError",
    "InitialPointError",
    "MomentumSweep",
    "SGDSweep",
    "Schedule",
    "SchedulerError",
    "SimulationOptions",
    "SimulationResult",
    "StoreMismatchError",
    "attractor_values",
    "cache_directory",
    "check_sgd_size",
    "compile_landscape",
    "momentum_threshold_curve",
    "plot_bifurcation",
    "plot_class_map",
    "plot_lyapunov_map",
    "plot_momentum_bifurcation",
    "plot_momentum_phase_diagram",
    "save_figure",
    "simulate",
    "simulate_momentum",
    "simulate_sgd",
    "summarize",
    "theory_curves",
    "undecided_reasons",
    "zero_one_statistic",
    "zero_one_test",
]
