"""Empirical curvature measurements on real networks (PyTorch): Sections 2, 3 and 6.

Curvature core: Hessian-vector products of the full-batch training loss
(:class:`TrainingLoss`, forward-over-reverse ``torch.func``), top eigenpairs by
:func:`lanczos` (full reorthogonalisation, warm starts) or :func:`power_iteration`
(PyHessian's method), each returning an :class:`EigenEstimate`.

Experiments (each a function returning a frozen result, a CLI command and a figure):

1. :func:`run_eos` -- edge of stability (Fig. 2.1 left), :func:`detect_eos`;
2. :func:`run_slice` / :func:`gradient_slice` -- gradient-direction slice (Fig. 3.1);
3. :func:`run_scales` / :func:`separate_scales` -- separate scales (Fig. 3.2);
4. :func:`run_lr_decay` -- learning-rate decay (Fig. 2.1 right, Fig. 3.2 right);
5. :func:`check_homogeneity`, :func:`input_rescaling` -- Section 6 on real networks;
6. :func:`run_geometry` / :func:`path_geometry` -- RSI, error bound, Definition 4.1's c.

Names are imported lazily, so ``import empirical`` (and the CLI's ``--help``) does not
load torch until something is used.
"""

from __future__ import annotations

from theory.lazy import lazy_exports

_EXPORTS = {
    "ProblemSpec": "_spec",
    "ACTIVATIONS": "_spec",
    "DATASETS": "_spec",
    "DTYPES": "_spec",
    "LOSSES": "_spec",
    "MODELS": "_spec",
    "NORMS": "_spec",
    "Dataset": "_data",
    "load_dataset": "_data",
    "load_cifar10_arrays": "_data",
    "synthetic_multiscale_arrays": "_data",
    "build_model": "_models",
    "Problem": "_problem",
    "build_problem": "_problem",
    "Objective": "_objective",
    "FunctionObjective": "_objective",
    "TrainingLoss": "_objective",
    "ParamLayout": "_params",
    "EigenEstimate": "_eigen",
    "lanczos": "_eigen",
    "power_iteration": "_eigen",
    "GDTrace": "_gd",
    "run_gd": "_gd",
    "EosResult": "_eos",
    "EosVerdict": "_eos",
    "detect_eos": "_eos",
    "run_eos": "_eos",
    "SliceResult": "_slice",
    "gradient_slice": "_slice",
    "fit_growth_exponent": "_slice",
    "ScaleProfile": "_scales",
    "ScalesResult": "_scales",
    "filter_normalise": "_scales",
    "locate_wells": "_scales",
    "scale_profile": "_scales",
    "separate_scales": "_scales",
    "LrDecayResult": "_lr_decay",
    "run_lr_decay": "_lr_decay",
    "HomogeneityResult": "_homogeneity",
    "InputRescalingResult": "_homogeneity",
    "check_homogeneity": "_homogeneity",
    "input_rescaling": "_homogeneity",
    "GeometryResult": "_geometry",
    "path_geometry": "_geometry",
    "SliceExperiment": "_from_run",
    "ScalesExperiment": "_from_run",
    "GeometryExperiment": "_from_run",
    "run_slice": "_from_run",
    "run_scales": "_from_run",
    "run_geometry": "_from_run",
    "plot_eos": "_plots",
    "plot_slice": "_plots",
    "plot_scales": "_plots",
    "plot_lr_decay": "_plots",
    "plot_homogeneity": "_plots",
    "plot_geometry": "_plots",
    "available_device": "_device",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
