"""The optimizer vocabulary: every optimizer as one small frozen iterated map (issue 19).

In the spirit of DynamicalSystems.jl's ``DeterministicIteratedMap``, an optimizer is an
:class:`IteratedMap`: its name and aliases, the dimension of its state (in copies of x),
its hyperparameters, its step and its tangent (Jacobian) step, its stability threshold
(symbolic) and its capabilities (which engines and sweep features run it).  :data:`MAPS` is
the one registry: ``theory`` (sweeps, thresholds), ``empirical``, ``proofs_check.strategies``
and the CLI (``--optimizer`` choices, hyperparameter flags) all read their names from it.

The step is written once, per coordinate, as text in the names every engine binds:

* ``x_k`` (coordinate k of the state), ``g_k`` (of grad f(x)), ``e`` (the learning rate of
  the point and step), the hyperparameters by name (``weight_decay``), ``sqrt`` and
  ``select(cond, a, b)`` (branch-free choice);
* the tangent step in ``v_k`` (the tangent vector) and ``hv(k)``: the text of row k of
  Hess f(x) v, inline for the Numba kernels and a precomputed array for NumPy/PyTorch.

:mod:`theory.dynamics._codegen` prints it into the Numba kernels (its hot loops, repair
pass, tail recording and cycle exponents), :mod:`theory.dynamics._map_step` into the step
functions of the NumPy and PyTorch engines.  A map with ``update=None`` has a kernel of its
own (momentum: the 2-state kernels of :mod:`theory.dynamics._momentum_template`; SGD:
:mod:`theory.dynamics._sgd`).

Adding a single-state optimizer touches this file only (plus tests and docs): its entry in
:data:`MAPS` names the package files it needs (:attr:`IteratedMap.files`), and
``tests/optimizers/test_maps.py`` checks that no other package file mentions it.

Importing this module is light (no numpy, sympy or numba): the CLI builds its parser from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from theory.optimizers._values import OptimizerError

__all__ = ["MAPS", "OPTIMIZER_NAMES", "Hyper", "IteratedMap", "get_map", "hyper_values",
           "learning_rate_threshold", "optimizer_files"]

#: the text of row k of Hess f(x) v (an engine's choice: inline sum, or a name)
HV = Callable[[int], str]


def _none(d: int) -> tuple[str, ...]:
    return ()


def _no_tangent_prelude(d: int, hv: HV) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Hyper:
    """A hyperparameter of a map: its keyword (and name in the step's text), its flag on the
    command line, the smallest value allowed and a help line."""

    name: str
    flag: str
    minimum: float = 0.0
    help: str = ""


@dataclass(frozen=True)
class IteratedMap:
    """One optimizer as an iterated map x_{t+1} = F(x_t) on its state.

    name, aliases : what ``--optimizer`` and ``optimizer=`` take.
    state_dim : copies of x in the state (1: x_t; 2: (x_t, x_{t-1}) for momentum).
    hyper : its hyperparameters beyond the learning rate.
    update : ``update(k, d)``, the text of coordinate k of the new state (None: a kernel of
        its own, see the module docstring).
    tangent : ``tangent(k, d, hv)``, the text of coordinate k of J v (J = dF/dx).
    prelude, tangent_prelude : lines (``name = text``) computed per point before them.
    sharpness_threshold : sympy text in ``eta`` and the hyperparameters: the largest
        sharpness (f''(0) at a minimum, the top Hessian eigenvalue) at which a minimum is a
        stable fixed point (None: none is known; normalized GD has no stable minimum).
    capabilities : engines (``numba``, ``numpy``, ``torch``, ``cuda``) and sweep features
        (``schedule``, ``tail``, ``loss``, ``lyapunov``, ``dims`` for d > 1), and
        ``critical-fixed-points`` where its fixed points are the critical points of f.
    files : the package files that implement it (checked by a test).
    """

    name: str
    summary: str
    aliases: tuple[str, ...] = ()
    state_dim: int = 1
    hyper: tuple[Hyper, ...] = ()
    update: Callable[[int, int], str] | None = None
    tangent: Callable[[int, int, HV], str] | None = None
    prelude: Callable[[int], tuple[str, ...]] = _none
    tangent_prelude: Callable[[int, HV], tuple[str, ...]] = _no_tangent_prelude
    sharpness_threshold: str | None = None
    capabilities: frozenset[str] = field(default_factory=frozenset)
    files: tuple[str, ...] = ()
    reference: str = ""

    @property
    def single_state(self) -> bool:
        """True when the shared single-state kernels run it (every engine, every feature)."""
        return self.update is not None

    @property
    def stalls(self) -> bool:
        """True when the float-stall rule applies (``critical-fixed-points``)."""
        return CRITICAL in self.capabilities

    @property
    def hyper_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hyper)


_SWEEP = frozenset({"numba", "numpy", "torch", "schedule", "tail", "loss", "lyapunov",
                    "dims"})
#: the map's fixed points are the critical points of f: the float-stall rule of
#: theory.dynamics._float_rules applies (not to gd-wd, whose fixed points solve
#: grad f = -wd x)
CRITICAL = "critical-fixed-points"
_CORE = ("theory/optimizers/_maps.py",)


def _gd_update(k: int, d: int) -> str:
    return f"x_{k} - e * g_{k}"


def _gd_tangent(k: int, d: int, hv: HV) -> str:
    return f"v_{k} - e * ({hv(k)})"


def _wd_update(k: int, d: int) -> str:
    return f"x_{k} - e * (g_{k} + weight_decay * x_{k})"


def _wd_tangent(k: int, d: int, hv: HV) -> str:
    return f"v_{k} - e * (({hv(k)}) + weight_decay * v_{k})"


def _ngd_prelude(d: int) -> tuple[str, ...]:
    # inv = 1/|g| (0 at a critical point, which then stays put)
    square = " + ".join(f"g_{k} * g_{k}" for k in range(d))
    return (f"gnorm = sqrt({square})", "inv = select(gnorm > 0.0, 1.0 / gnorm, 0.0)")


def _ngd_update(k: int, d: int) -> str:
    return f"x_{k} - e * (g_{k} * inv)"


def _ngd_tangent_prelude(d: int, hv: HV) -> tuple[str, ...]:
    # J = I - e (I - u u^T) H / |g|, u = g/|g|: ghv = u . (H v) / |g|
    dot = " + ".join(f"g_{k} * ({hv(k)})" for k in range(d))
    return (f"ghv = ({dot}) * inv * inv",)


def _ngd_tangent(k: int, d: int, hv: HV) -> str:
    return f"v_{k} - e * inv * (({hv(k)}) - g_{k} * ghv)"


def _two_state(name: str, summary: str, threshold: str, reference: str,
               aliases: tuple[str, ...] = ()) -> IteratedMap:
    """A momentum method on (x_t, x_{t-1}): its own kernels (no single-state step)."""
    return IteratedMap(
        name, summary, aliases=aliases, state_dim=2,
        hyper=(Hyper("beta", "--beta", help="momentum coefficient in [0, 1)"),),
        sharpness_threshold=threshold,
        capabilities=frozenset({"numba", "numpy", "schedule", "lyapunov", CRITICAL}),
        files=(*_CORE, "theory/dynamics/_momentum.py", "theory/dynamics/_momentum_template.py",
               "theory/dynamics/_momentum_numpy.py",
               "theory/optimizers/_values.py", "theory/optimizers/_symbolic.py"),
        reference=reference)


#: the registry: every optimizer of the package, by name
MAPS: dict[str, IteratedMap] = {
    m.name: m
    for m in (
        IteratedMap(
            "gd", "gradient descent x <- x - eta grad f(x), eq. (4.1)",
            update=_gd_update, tangent=_gd_tangent, sharpness_threshold="2/eta",
            capabilities=_SWEEP | {"cuda", CRITICAL}, files=_CORE,
            reference="Section 4.1"),
        _two_state("momentum", "heavy ball x <- x - eta f'(x) + beta (x - x_prev)",
                   "(2 + 2*beta)/eta", "Polyak 1964; Remark 4.1", ("heavy-ball",)),
        _two_state("nesterov", "Nesterov z = x + beta (x - x_prev), x <- z - eta f'(z)",
                   "2*(1 + beta)/((1 + 2*beta)*eta)", "Nesterov 1983"),
        IteratedMap(
            "sgd", "GD plus seeded gradient noise (replicas per grid point)",
            hyper=(Hyper("sigma", "--sigma", help="gradient-noise scale >= 0"),),
            capabilities=frozenset({"numba", "dims"}),
            files=(*_CORE, "theory/dynamics/_sgd.py", "theory/optimizers/_values.py"),
            reference="Remarks 4.1-4.2"),
        IteratedMap(
            "normalized-gd", "normalized GD x <- x - eta grad f(x) / |grad f(x)|",
            aliases=("ngd",), prelude=_ngd_prelude, update=_ngd_update,
            tangent_prelude=_ngd_tangent_prelude, tangent=_ngd_tangent,
            capabilities=_SWEEP | {CRITICAL}, files=_CORE,
            reference="Arora, Li & Panigrahi 2022"),
        IteratedMap(
            "gd-wd", "GD with weight decay x <- x - eta (grad f(x) + wd x)",
            aliases=("weight-decay",),
            hyper=(Hyper("weight_decay", "--weight-decay",
                         help="weight decay wd >= 0 (gd-wd): x <- x - eta (grad f + wd x)"),),
            update=_wd_update, tangent=_wd_tangent,
            sharpness_threshold="2/eta - weight_decay", capabilities=_SWEEP, files=_CORE,
            reference="threshold eta < 2/(f''(0) + wd)"),
    )
}

#: every name ``--optimizer`` takes (aliases resolve through :func:`get_map`)
OPTIMIZER_NAMES: tuple[str, ...] = tuple(MAPS)
_ALIASES = {alias: m.name for m in MAPS.values() for alias in (m.name, *m.aliases)}


def get_map(name: str) -> IteratedMap:
    """The map called ``name`` (or one of its aliases); :class:`OptimizerError` otherwise."""
    if isinstance(name, IteratedMap):
        return name
    key = _ALIASES.get(str(name).strip().lower()) if isinstance(name, str) else None
    if key is None:
        raise OptimizerError(
            f"optimizer={name!r} is not one of {', '.join(sorted(_ALIASES))}")
    return MAPS[key]


def optimizer_files(name: str) -> tuple[str, ...]:
    """The package files that implement optimizer ``name`` (its registry entry's list)."""
    return get_map(name).files


def hyper_values(name: str, given: dict[str, float] | None = None) -> tuple[tuple[str, float],
                                                                            ...]:
    """The validated hyperparameters of a single-state map ``name`` as ``((name, value),
    ...)`` in the map's order: each is required, a finite real >= its minimum; a value for a
    hyperparameter the map does not have is an error (never silently ignored)."""
    from theory import validation

    m = get_map(name)
    given = dict(given or {})
    unknown = sorted(set(given) - set(m.hyper_names))
    if unknown:
        raise OptimizerError(
            f"{', '.join(f'{k}={given[k]!r}' for k in unknown)} given with optimizer "
            f"{m.name!r}, which takes {', '.join(m.hyper_names) or 'no hyperparameters'}")
    values = []
    for h in m.hyper:
        if given.get(h.name) is None:
            raise OptimizerError(f"optimizer={m.name!r} needs {h.name} ({h.flag}): {h.help}")
        values.append((h.name, validation.real(h.name, given[h.name], minimum=h.minimum,
                                               error=OptimizerError)))
    return tuple(values)


def learning_rate_threshold(name: str, curvature: float,
                            params: dict[str, float] | None = None) -> float | None:
    """The largest learning rate at which a minimum of curvature ``curvature`` (f''(0), or
    the top Hessian eigenvalue) is a stable fixed point of map ``name``: the root eta of
    ``sharpness_threshold(eta) = curvature`` (GD 2/c; gd-wd 2/(c + wd); heavy ball
    (2 + 2 beta)/c), solved by sympy; None where the map has no threshold."""
    import sympy as sp

    m = get_map(name)
    if m.sharpness_threshold is None:
        return None
    eta = sp.Symbol("eta", positive=True)
    names = {h: sp.Symbol(h, real=True) for h in m.hyper_names}
    expr = sp.sympify(m.sharpness_threshold, locals={"eta": eta, **names})
    values = dict(params or {})
    missing = sorted(set(m.hyper_names) - set(values))
    if missing:
        raise OptimizerError(f"optimizer={m.name!r} needs {', '.join(missing)} for its threshold")
    expr = expr.subs({names[k]: sp.Float(values[k]) for k in m.hyper_names})
    roots = [r for r in sp.solve(sp.Eq(expr, sp.Float(curvature)), eta) if r.is_positive]
    return float(roots[0]) if len(roots) == 1 else None
