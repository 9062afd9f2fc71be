"""Stability thresholds of ``torch.optim`` optimizers on a quadratic (issue 20).

Near a minimum the loss is ``L(theta) ~ theta^T H theta / 2``; an optimizer is a linear
recursion along each eigenvector of (preconditioned) ``H``, stable iff the roots of
its characteristic polynomial ``z^2 - T z + D`` lie in the unit disc, i.e. (Schur-Cohn)
``|D| < 1`` and ``|T| < 1 + D``.  For an eigenvalue ``lam`` that gives:

* SGD, momentum ``beta``, dampening ``d``, coupled weight decay ``wd`` (added to the
  gradient, so the recursion sees ``lam + wd``), ``a = lr (1 - d) (lam + wd)``:
  ``T = 1 + beta - a``, ``D = beta``, stable iff ``0 < a < 2 + 2 beta``, so
  ``lam < (2 + 2 beta) / ((1 - d) lr) - wd`` (``beta = 0``: ``2 / lr - wd``; torch
  ignores ``d`` without momentum).  Nesterov (torch requires ``d = 0``):
  ``lam < (2 + 2 beta) / ((1 + 2 beta) lr) - wd`` (Cohen et al. 2021, App. B).
* Adam with the preconditioner ``P = diag(sqrt(v_hat) + eps)`` frozen: the first moment is
  an exponential average (dampening ``beta1``), so along an eigenvalue ``mu`` of
  ``P^-1/2 H P^-1/2``: ``mu < (2 + 2 beta1) / ((1 - beta1) lr)`` (Cohen et al. 2022).
  Coupled decay (``Adam(weight_decay=wd)``) enters the moments, so ``mu`` is measured for
  ``P^-1/2 (H + wd I) P^-1/2``.  Decoupled decay (``AdamW``, or
  ``Adam(decoupled_weight_decay=True)``) multiplies ``theta`` by ``c = 1 - lr wd`` before
  the step: ``x' = (c - a) x - lr beta1 m``, ``m' = beta1 m + (1 - beta1) mu x`` with
  ``a = lr (1 - beta1) mu``, so ``T = c - a + beta1``, ``D = beta1 c`` and the condition
  ``T > -(1 + D)`` reads ``mu < (1 + beta1)(2 - lr wd) / ((1 - beta1) lr)`` (for
  ``lr wd < 2``; beyond, every direction of positive curvature diverges and the formula
  is negative).
* RMSprop (no bias correction): preconditioner ``P = sqrt(square_avg) + eps``
  (``sqrt(square_avg - grad_avg^2) + eps`` when centered), heavy-ball momentum ``mu_m``
  without dampening on the preconditioned gradient, coupled decay in the gradient:
  ``mu < (2 + 2 mu_m) / lr`` for ``P^-1/2 (H + wd I) P^-1/2``.

Edge cases, no exception: ``lr = 0`` (e.g. a schedule that ends at 0), dampening 1 and
``beta1 = 1``: the optimizer stops moving, no curvature is unstable, the threshold is
``inf``; momentum ``>= 1``: no curvature is stable, ``-inf``.  ``maximize=True`` is refused
(the threshold would concern ``-H``).  Optimizers without a rule (Adagrad, NAdam, RAdam,
Adamax, LBFGS, subclasses that override ``step``, custom ones with an ``lr``): threshold
NaN with a reason, which the monitor warns once.  A param group without a hyperparameter
the threshold needs (``lr`` for every optimizer, e.g. a custom one whose step size has
another name; ``momentum``/``betas``/... of the rules above) is refused
(:class:`MissingHyperparameterError`, naming the optimizer class and the key): reading a
default for it would give a confident wrong threshold (no ``lr`` read as 0 gives ``inf``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from empirical.errors import ExperimentError, MissingHyperparameterError

#: rules whose threshold applies to the preconditioned sharpness
PRECONDITIONED = ("adam", "rmsprop")
_KNOWN = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop)
#: hyperparameters each rule reads (torch's own defaults always hold them)
_NEEDED = {torch.optim.SGD: ("lr", "momentum", "dampening", "nesterov", "weight_decay"),
           torch.optim.Adam: ("lr", "betas", "eps", "weight_decay"),
           torch.optim.AdamW: ("lr", "betas", "eps", "weight_decay"),
           torch.optim.RMSprop: ("lr", "momentum", "alpha", "eps", "centered", "weight_decay")}
_KEYS = ("lr", "momentum", "betas", "dampening", "nesterov", "eps", "weight_decay",
         "maximize", "alpha", "centered", "amsgrad", "decoupled_weight_decay")


@dataclass(frozen=True)
class Rule:
    """``name`` of the rule, ``lr``, ``threshold`` (``inf``: no constraint, NaN: unknown),
    ``decay`` (coupled weight decay added to ``H`` before preconditioning) and ``reason``
    (why the threshold is unknown; ``None`` otherwise)."""

    name: str
    lr: float
    threshold: float
    decay: float = 0.0
    reason: str | None = None


def _real(group: dict, key: str, default: float = 0.0) -> float:
    value = group.get(key, default)
    value = default if value is None else value
    try:
        return float(value.item() if isinstance(value, torch.Tensor) else value)
    except (TypeError, ValueError, RuntimeError):
        raise ExperimentError(f"{key}={value!r} in the optimizer's param group: must be a "
                              "real number") from None


def own_step(optimizer) -> bool:
    """Whether ``optimizer``'s ``step`` is not the one of the torch class it derives from
    (a subclass with its own update rule)."""
    base = next((k for k in type(optimizer).__mro__ if k in _KNOWN), None)
    if base is None:
        return True
    return inspect.unwrap(type(optimizer).step) is not inspect.unwrap(base.step)


def trained_group(optimizer, params: Sequence[torch.Tensor]) -> dict:
    """The param group of ``params`` (all must share one group's settings)."""
    ids = {id(p) for p in params}
    groups = [g for g in optimizer.param_groups if ids & {id(p) for p in g["params"]}]
    if not groups:
        raise ExperimentError("optimizer: updates none of the monitored parameters")
    differ = [k for k in _KEYS if any(g.get(k) != groups[0].get(k) for g in groups[1:])]
    if differ:
        values = "; ".join(f"{k}: {', '.join(str(g.get(k)) for g in groups)}"
                           for k in differ)
        raise ExperimentError(f"optimizer: the monitored parameters are in param groups with "
                              f"different settings ({values}), so no one threshold applies; "
                              "monitor one group (params=...)")
    return groups[0]


def _require(optimizer, group: dict) -> None:
    """Refuse a group without a hyperparameter the threshold needs (module docstring)."""
    base = next((k for k in type(optimizer).__mro__ if k in _NEEDED), None)
    needed = _NEEDED[base] if base is not None and not own_step(optimizer) else ("lr",)
    missing = [key for key in needed if group.get(key) is None]
    if missing:
        keys = ", ".join(repr(k) for k in missing)
        raise MissingHyperparameterError(
            f"optimizer={type(optimizer).__name__}: its param group has no value for {keys} "
            f"(keys: {', '.join(sorted(k for k in group if k != 'params'))}), so its "
            "stability threshold cannot be derived"
            + ("; give the optimizer's step size as param_groups[i]['lr'] (torch's "
               "convention, which the schedulers use too)" if "lr" in missing else ""))


def _unknown(optimizer, group: dict, why: str) -> Rule:
    lr = group.get("lr")
    try:
        lr = _real(group, "lr", math.nan) if lr is not None else math.nan
    except (TypeError, ValueError):
        lr = math.nan
    return Rule("unknown", lr, math.nan, reason=f"optimizer={type(optimizer).__name__}: {why}; "
                "the sharpness is recorded without a threshold (NaN)")


def stability(optimizer, params: Sequence[torch.Tensor], *, full_batch: bool | None = None) -> Rule:
    """The :class:`Rule` of ``optimizer`` for ``params`` (module docstring); plain SGD is
    ``"gd"`` when the gradient is known to be the full-batch one, else ``"sgd"``."""
    group = trained_group(optimizer, params)
    if group.get("maximize"):
        raise ExperimentError(f"optimizer={type(optimizer).__name__}: maximize=True ascends "
                              "the loss, so its stability concerns -H, not the sharpness of H; "
                              "monitor the negated criterion with maximize=False")
    _require(optimizer, group)
    if not isinstance(optimizer, _KNOWN):
        return _unknown(optimizer, group, "no stability rule is known for this optimizer")
    if own_step(optimizer):
        return _unknown(optimizer, group, "a subclass with its own step(), whose update rule "
                        "(and threshold) is unknown")
    lr, wd = _real(group, "lr"), _real(group, "weight_decay")
    if not (math.isfinite(lr) and lr >= 0):
        return _unknown(optimizer, group, f"lr={lr} is not a finite number >= 0")
    if isinstance(optimizer, torch.optim.SGD):
        beta, damp = _real(group, "momentum"), _real(group, "dampening")
        if beta == 0.0:
            name, factor = ("gd" if full_batch else "sgd"), 2.0
        elif group.get("nesterov"):
            name, factor = "nesterov", (2 + 2 * beta) / (1 + 2 * beta)
        else:
            if not 0.0 <= damp <= 1.0:
                return _unknown(optimizer, group, f"dampening={damp} is outside [0, 1]")
            name, factor = "heavy_ball", (2 + 2 * beta) / (1 - damp) if damp < 1 else math.inf
        if beta >= 1.0:
            return Rule(name, lr, -math.inf)
        return Rule(name, lr, _over(factor, lr) - wd)
    if isinstance(optimizer, torch.optim.RMSprop):
        mom = _real(group, "momentum")
        return Rule("rmsprop", lr, -math.inf if mom >= 1 else _over(2 + 2 * mom, lr), wd)
    beta1 = float(group["betas"][0])
    if beta1 >= 1.0:
        return Rule("adam", lr, math.inf)
    factor = (1 + beta1) / (1 - beta1)
    if isinstance(optimizer, torch.optim.AdamW) or group.get("decoupled_weight_decay"):
        return Rule("adam", lr, math.inf if lr == 0 else factor * (2 - lr * wd) / lr)
    return Rule("adam", lr, _over(2 * factor, lr), wd)


def _over(numerator: float, lr: float) -> float:
    """``numerator / lr`` with ``lr = 0`` (or an infinite numerator) giving ``inf``."""
    return math.inf if lr == 0 or math.isinf(numerator) else numerator / lr


def preconditioner(optimizer, params: Sequence[torch.Tensor], rule: str,
                   dtype: torch.dtype) -> torch.Tensor | None:
    """``diag(P)^-1/2`` of Adam / RMSprop at the optimizer's current state (``None`` before
    its first step)."""
    group = trained_group(optimizer, params)
    eps = float(group["eps"])
    parts = []
    for p in params:
        state = optimizer.state.get(p, {})
        if rule == "adam":
            if "exp_avg_sq" not in state:
                return None
            beta2 = float(group["betas"][1])
            sq = state.get("max_exp_avg_sq", state["exp_avg_sq"]) if group.get("amsgrad") \
                else state["exp_avg_sq"]
            v = sq.detach().reshape(-1).to(dtype) / (1 - beta2 ** float(state["step"]))
        else:
            if "square_avg" not in state:
                return None
            v = state["square_avg"].detach().reshape(-1).to(dtype)
            if group.get("centered"):
                v = v - state["grad_avg"].detach().reshape(-1).to(dtype) ** 2
        parts.append(v.clamp(min=0).sqrt() + eps)
    return torch.cat(parts).rsqrt()
