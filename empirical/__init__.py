"""Empirical curvature measurements on real networks (PyTorch): Sections 2, 3 and 6.

Curvature core: Hessian-vector products of the full-batch training loss
(:class:`TrainingLoss`; reverse-over-reverse ``torch.func``, the gradient's graph kept
for all products at one point), top eigenpairs by :func:`lanczos` (full
reorthogonalisation, warm starts) or :func:`power_iteration` (PyHessian's method), each
returning an :class:`EigenEstimate`.

Your own network (any ``nn.Module``, criterion and data, e.g. a ``DataLoader``):
:func:`hessian` returns a :class:`Hessian` with ``eigenvalues(k)``, ``trace()``,
``density()``, ``hvp(v)``, ``as_linear_operator()``, ``dense()``, ``gradient_slice()``,
``separate_scales()`` and ``loss_surface()`` (Li et al.'s filter-normalised directions,
drawn by :func:`plot_surface`; :func:`interpolate` between two models); :func:`ggn`,
:func:`fisher` and :func:`empirical_fisher` give the Gauss-Newton and Fisher matrices with
the same methods (docs/curvature.md); :func:`track_top_eigenpairs` follows the top
eigenpairs along training; :class:`SharpnessMonitor` follows the sharpness against
the optimizer's stability threshold in a training loop (docs/own_network.md).
:func:`write_series` writes an experiment's raw series as CSV/JSON.

Experiments (each a function returning a frozen result, a CLI command and a figure):

1. :func:`run_eos` -- edge of stability (Fig. 2.1 left), :func:`detect_eos`;
   :func:`run_momentum_eos` -- the same with heavy-ball momentum against (2 + 2 beta)/eta;
   :func:`run_optimizer_eos` -- any :mod:`theory.optimizers` optimizer (GD, heavy ball,
   Nesterov, SGD with additive noise) against its threshold on the sharpness;
2. :func:`run_slice` / :func:`gradient_slice` -- gradient-direction slice (Fig. 3.1);
3. :func:`run_scales` / :func:`separate_scales` -- separate scales (Fig. 3.2);
4. :func:`run_lr_decay` -- learning-rate decay (Fig. 2.1 right, Fig. 3.2 right);
   :func:`decay_from_run` / :func:`run_eos_decay` -- the same, branched off a run of
   :func:`run_eos`;
5. :func:`check_homogeneity`, :func:`input_rescaling` -- Section 6 on real networks;
6. :func:`run_geometry` / :func:`path_geometry` -- RSI, error bound, Definition 4.1's c;
7. :func:`central_flow` / :func:`run_central_flow` -- the central flow (Cohen et al. 2024)
   of GD, heavy ball, scalar RMSProp or RMSProp on your network: predicted time-averaged
   loss (quadratic and orbit-averaged) and sharpness beside the real optimizer's.

Names are imported lazily, so ``import empirical`` (and the CLI's ``--help``) does not
load torch until something is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.lazy import lazy_exports

_EXPORTS = {
    "_spec": ("ProblemSpec", "ACTIVATIONS", "DATASETS", "DTYPES", "LOSSES", "MODELS", "NORMS"),
    "_data": ("Dataset", "load_dataset", "load_cifar10_arrays", "synthetic_multiscale_arrays"),
    "_models": ("build_model",),
    "_problem": ("Problem", "build_problem"),
    "_objective": ("Objective", "FunctionObjective", "TrainingLoss"),
    "_params": ("ParamLayout",),
    "_eigen": ("EigenEstimate", "lanczos", "power_iteration"),
    "_tracking": ("track_top_eigenpairs",),
    "_gd": ("GDTrace", "run_gd"),
    "_eos": ("EosResult", "EosVerdict", "detect_eos", "run_eos"),
    "_momentum_eos": ("MomentumEosResult", "plot_momentum_eos", "run_momentum_eos"),
    "_optimizer_eos": ("OptimizerEosResult", "plot_optimizer_eos", "run_optimizer_eos"),
    "_slice": ("SliceResult", "gradient_slice", "fit_growth_exponent"),
    "_scales": ("ScaleProfile", "ScalesResult", "filter_normalise", "locate_wells",
        "scale_profile", "separate_scales"),
    "_lr_decay": ("LrDecayResult", "run_lr_decay"),
    "_decay_branches": ("decay_from_run", "run_eos_decay"),
    "_homogeneity": ("HomogeneityResult", "InputRescalingResult", "check_homogeneity",
        "input_rescaling"),
    "_geometry": ("GeometryResult", "path_geometry"),
    "_from_run": ("SliceExperiment", "ScalesExperiment", "GeometryExperiment", "run_slice",
        "run_scales", "run_geometry"),
    "_plots": ("plot_eos", "plot_slice", "plot_scales", "plot_lr_decay", "plot_homogeneity",
        "plot_geometry"),
    "_device": ("available_device",),
    "_hessian_api": ("hessian", "Hessian"),
    "_operator": ("CurvatureOperator",),
    "_ggn": ("GGN", "Fisher", "EmpiricalFisher", "ggn", "fisher", "empirical_fisher"),
    "_user_objective": ("UserObjective",),
    "_spectral": ("TraceEstimate", "SpectralDensity"),
    "_monitor": ("SharpnessMonitor", "MonitorRecord"),
    "_series": ("write_series", "result_tables"),
    "_landscape": ("LossSurface", "loss_surface", "li_direction", "plot_surface",
                   "interpolate"),
    "_central_flow": ("CentralFlowResult", "CentralFlowSettings", "central_flow",
        "run_central_flow"),
    "_central_flow_output": ("plot_central_flow", "write_central_flow_series"),
    "_threads": ("library_threads", "torch_threads"),
}

__all__ = sorted(name for names in _EXPORTS.values() for name in names)


if TYPE_CHECKING:  # the real names, for type checkers (tests/architecture/test_front_doors.py)
    from empirical._central_flow import (
        CentralFlowResult,
        CentralFlowSettings,
        central_flow,
        run_central_flow,
    )
    from empirical._central_flow_output import plot_central_flow, write_central_flow_series
    from empirical._data import (
        Dataset,
        load_cifar10_arrays,
        load_dataset,
        synthetic_multiscale_arrays,
    )
    from empirical._decay_branches import decay_from_run, run_eos_decay
    from empirical._device import available_device
    from empirical._eigen import EigenEstimate, lanczos, power_iteration
    from empirical._eos import EosResult, EosVerdict, detect_eos, run_eos
    from empirical._from_run import (
        GeometryExperiment,
        ScalesExperiment,
        SliceExperiment,
        run_geometry,
        run_scales,
        run_slice,
    )
    from empirical._gd import GDTrace, run_gd
    from empirical._geometry import GeometryResult, path_geometry
    from empirical._ggn import GGN, EmpiricalFisher, Fisher, empirical_fisher, fisher, ggn
    from empirical._hessian_api import Hessian, hessian
    from empirical._homogeneity import (
        HomogeneityResult,
        InputRescalingResult,
        check_homogeneity,
        input_rescaling,
    )
    from empirical._landscape import (
        LossSurface,
        interpolate,
        li_direction,
        loss_surface,
        plot_surface,
    )
    from empirical._lr_decay import LrDecayResult, run_lr_decay
    from empirical._models import build_model
    from empirical._momentum_eos import MomentumEosResult, plot_momentum_eos, run_momentum_eos
    from empirical._monitor import MonitorRecord, SharpnessMonitor
    from empirical._objective import FunctionObjective, Objective, TrainingLoss
    from empirical._operator import CurvatureOperator
    from empirical._optimizer_eos import OptimizerEosResult, plot_optimizer_eos, run_optimizer_eos
    from empirical._params import ParamLayout
    from empirical._plots import (
        plot_eos,
        plot_geometry,
        plot_homogeneity,
        plot_lr_decay,
        plot_scales,
        plot_slice,
    )
    from empirical._problem import Problem, build_problem
    from empirical._scales import (
        ScaleProfile,
        ScalesResult,
        filter_normalise,
        locate_wells,
        scale_profile,
        separate_scales,
    )
    from empirical._series import result_tables, write_series
    from empirical._slice import SliceResult, fit_growth_exponent, gradient_slice
    from empirical._spec import ACTIVATIONS, DATASETS, DTYPES, LOSSES, MODELS, NORMS, ProblemSpec
    from empirical._spectral import SpectralDensity, TraceEstimate
    from empirical._threads import library_threads, torch_threads
    from empirical._tracking import track_top_eigenpairs
    from empirical._user_objective import UserObjective


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
