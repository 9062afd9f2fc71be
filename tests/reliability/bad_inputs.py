"""The bad inputs of issue 15 as data: (id, call, error class name, message fragment).

Each ``call`` is a zero-argument function using the public API; the expected error is a
subclass of :class:`theory.errors.MslValueError` named by ``error`` (looked up in
``theory.errors``, ``proofs_check``, ``empirical.errors`` or ``theory.dynamics``), and its
message contains ``fragment``.
"""

from __future__ import annotations

import numpy as np


def _theory():
    import theory

    return theory


def _sq(text):
    return lambda: _theory().Subquadratic(text)


def _simulate(**changes):
    def call():
        from theory.dynamics import simulate

        kwargs = dict(eta=3.0, x0=np.array([1.0]), steps=5, progress=False)
        kwargs.update(changes)
        return simulate("f1", **kwargs)
    return call


def _catalog(name, *args, **kwargs):
    def call():
        from theory import catalog

        resolved = [a() if callable(a) else a for a in args]
        return getattr(catalog, name)(*resolved, **kwargs)
    return call


def _f1_method(method, *args):
    return lambda: getattr(_theory().catalog.f1(), method)(*args)


def _proofs(name, function, **kwargs):
    def call():
        import proofs_check

        return getattr(proofs_check, name)(function, **kwargs)
    return call


def _empirical(name, *args, **kwargs):
    def call():
        import empirical

        return getattr(empirical, name)(*args, **kwargs)
    return call


def _lanczos_wrong_shape():
    import torch

    from empirical import lanczos

    return lanczos(lambda v: torch.ones(3, dtype=v.dtype), 5)


def _landscape(*args, **kwargs):
    return lambda: _theory().Landscape(*args, **kwargs)


#: (id, call, error class, fragment of the message)
API_CASES = [
    # non-real functions
    ("x**2.5", _sq("x**2.5"), "NotRealError", "not real"),
    ("x**x", _sq("x**x"), "NotRealError", "not real"),
    ("log(x)", _sq("log(x)"), "NotRealError", "not real"),
    ("sqrt(x)", _sq("sqrt(x)"), "NotRealError", "not real"),
    ("I*x**2", _sq("I*x**2"), "ParseError", "imaginary unit"),
    ("x**2 + I", _sq("x**2 + I"), "ParseError", "imaginary unit"),
    ("Integral", _sq("Integral(x, x)"), "ParseError", "unknown function Integral"),
    ("Derivative", _sq("Derivative(x**3, x)"), "ParseError", "unknown function Derivative"),
    ("conditional", _sq("x**2 if x else 0"), "ParseError", "conditional"),
    ("tower", _sq("x**2 + 10**10**10"), "ParseError", "digits"),
    ("factorial", _sq("factorial(10**8)*x**2"), "ParseError", "unknown function factorial"),
    ("2**2**40", _sq("x**2*2**(2**40)"), "ParseError", "digits"),
    # proofs_check arguments
    ("seed=-1", _proofs("check_theorem_4_1", "f1", seed=-1), "CheckInputError", "seed=-1"),
    ("starts=10**7", _proofs("check_theorem_4_1", "f1", starts=10**7), "ResourceLimitError",
     "starts=10000000"),
    ("quasistatic steps=10**9", _proofs("check_quasistatic_4_8", "fig4.2", steps=10**9),
     "ResourceLimitError", "steps=1000000000"),
    # simulate
    ("period_max=10**9", _simulate(period_max=10**9), "GridError", "period_max=1000000000"),
    ("store=123", _simulate(store=123), "GridError", "store=123"),
    ("scheduler=local:0", _simulate(scheduler="local:0"), "SchedulerError",
     "scheduler='local:0'"),
    ("scheduler=nowhere", _simulate(scheduler="nowhere"), "SchedulerError",
     "scheduler='nowhere'"),
    ("complex x0", _simulate(x0=np.array([1 + 5j])), "InitialPointError", "complex"),
    ("huge grids", _simulate(eta=np.linspace(0.5, 6, 100000), x0=np.linspace(-5, 5, 100000)),
     "ResourceLimitError", "100000 learning rates x 100000 initial points"),
    # catalog
    ("f2(C=1j)", _catalog("f2", C=1j), "ParameterError", "C=1j"),
    ("f2(C=None)", _catalog("f2", C=None), "ParameterError", "C=None"),
    ("get(None)", _catalog("get", None), "ParameterError", "function=None"),
    ("get twice", _catalog("get", "f2(C=3,C=4)"), "ParameterError", "given twice"),
    ("get misspelled", _catalog("get", "f9"), "ParameterError", "closest: f3, f2, f1"),
    ("two_layer_two_valley(str)", _catalog("two_layer_two_valley", "x**2"), "ParameterError",
     "loss='x**2'"),
    ("valley h=0", _catalog("valley", lambda: _theory().catalog.f1(), "0"), "ParameterError",
     "must be positive"),
    ("random basis 200000", _catalog("random_orthonormal_basis", 200000, 0),
     "ResourceLimitError", "n=200000"),
    ("population support", _catalog("population_loss", "1", (0, "__import__('os')")),
     "ParseError", "support[1]"),
    # Subquadratic methods
    ("derivative(1.5)", _f1_method("derivative", 1.5), "ParameterError", "n=1.5"),
    ("derivative(10**6)", _f1_method("derivative", 10**6), "ParameterError", "n=1000000"),
    ("derivative(-1)", _f1_method("derivative", -1), "ParameterError", "n=-1"),
    ("f(None)", _f1_method("f", None), "ParameterError", "x=None"),
    # Landscape consistency
    ("wrong gradient", _landscape("x**2", gradient=["x"]), "LandscapeError", "gradient[0]"),
    ("nan minimum", _landscape("x**2 + y**2", minimum=[5, float("nan")]), "LandscapeError",
     "minimum"),
    ("resolve f9", lambda: _theory().resolve_function("f9"), "ParameterError",
     "closest catalog names: f3, f2, f1"),
    # empirical
    ("synthetic n=-1", _empirical("synthetic_multiscale_arrays", -1, 4, (1.0,), 2, 0),
     "DataError", "n=-1"),
    ("synthetic scales=()", _empirical("synthetic_multiscale_arrays", 10, 4, (), 2, 0),
     "DataError", "scales=()"),
    ("synthetic n_classes=0", _empirical("synthetic_multiscale_arrays", 10, 4, (1.0,), 0, 0),
     "DataError", "n_classes=0"),
    ("synthetic scales=(nan,)",
     _empirical("synthetic_multiscale_arrays", 10, 4, (float("nan"),), 2, 0), "DataError",
     "scales=nan"),
    ("fit confidence=2", _empirical("fit_growth_exponent", [1, 2, 3, 4, 5], [1, 2, 3, 4, 5],
                                    confidence=2), "ExperimentError", "confidence=2"),
    ("ProblemSpec width=10**7", _empirical("ProblemSpec", width=10**7), "ResourceLimitError",
     "width=10000000"),
    ("lanczos wrong shape", _lanczos_wrong_shape, "CurvatureError", "shape (5,)"),
]

#: (id, argv, fragment of the one-line message); every one exits 2
CLI_CASES = [
    ("check f9", ["check", "f9"], "closest catalog names"),
    ("check x**3", ["check", "x**3"], "has no minimum"),
    ("check x*y", ["check", "x*y"], "has no minimum"),
    ("check injection", ["check", "(__import__)('os')"], "unknown function"),
    ("simulate x0 10**12", ["simulate", "f1", "--eta", "3", "--x0", "-5:5:1000000000000",
                            "--steps", "5"], "1000000000000 points"),
    ("simulate huge grid", ["simulate", "f1", "--eta", "0.5:6:100000", "--x0", "-5:5:100000",
                            "--steps", "5"], "100000 learning rates x 100000 initial points"),
    ("simulate scheduler", ["simulate", "f1", "--eta", "3", "--x0", "1", "--steps", "5",
                            "--scheduler", "local:many"], "scheduler='local:many'"),
    ("periodic-point x**2.5", ["periodic-point", "x**2.5", "--eta", "3"], "not real"),
    ("periodic-point log(x)", ["periodic-point", "log(x)", "--eta", "3"], "not real"),
    ("check budget", ["check", "f1", "--budget", "0"], "--budget"),
    ("slice n-points", ["slice", "--n-points", "4", "--out", "{tmp}/s"], "n_points=4"),
    ("scales r-min", ["scales", "--r-min", "0", "--out", "{tmp}/s"], "r_min=0"),
    ("out empty", ["phase-diagram", "f1", "--eta", "3", "--x0", "1", "--steps", "5", "--out",
                   ""], "is empty"),
    ("out under a file", ["phase-diagram", "f1", "--eta", "3", "--x0", "1", "--steps", "5",
                          "--out", "{tmp}/file/sub"], "is a file"),
    ("out /proc/x", ["reproduce", "--only", "fig4.1", "--out", "/proc/x/y"],
     "system folder"),
]
