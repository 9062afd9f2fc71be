"""The user's criterion: what it accepts (:func:`resolve_criterion`, :func:`check_targets`)
and how the batches of the data combine into the exact full-batch loss (issue 20).

The full-batch loss is, by definition, ``criterion(model(X), Y)`` on all the data in one
call.  When the data comes in batches, batch ``b`` contributes its own value ``l_b``
times a weight ``w_b`` so that ``sum_b w_b l_b`` is that full-batch value exactly:

* ``reduction="sum"`` (a torch loss, or any criterion that declares it with a
  ``reduction`` attribute): ``w_b = 1``;
* the shortcuts ``"mse"`` / ``"ce"``: means over the examples, ``w_b = n_b / n``;
* ``nn.CrossEntropyLoss`` / ``nn.NLLLoss`` with class-index targets (``reduction="mean"``):
  torch divides by the total weight of the targets that are not ``ignore_index``,
  ``D_b = sum_{i in b, y_i != ignore_index} weight[y_i]`` (``weight`` = 1 without class
  weights), so ``w_b = D_b / sum_b D_b``; a batch whose targets are all ignored has
  ``D_b = 0`` and contributes nothing (its own value is 0/0);
* every other built-in torch loss with ``reduction="mean"`` divides by the number of
  elements of its ``reduction="none"`` result (``"batchmean"`` of ``KLDivLoss``: by the
  number of examples), so ``D_b`` is that count;
* anything else (a plain function, a user class with ``reduction="mean"`` or none): the
  reduction is unknown, so no weights are exact.  :class:`UserObjective` then evaluates
  the criterion on all the data in one batch when that fits its memory budget, and
  refuses the input with the reason otherwise.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import nn

from empirical._objective import LOSS_FUNCTIONS
from empirical.errors import CurvatureError, DataError

Batch = tuple[torch.Tensor, torch.Tensor]

#: the criteria whose targets are class indices (int64), by name or class
_CLASS_TARGETS = (nn.CrossEntropyLoss, nn.NLLLoss, nn.MultiMarginLoss)
#: nn.Module losses whose targets must be floating tensors shaped like the outputs
_FLOAT_TARGETS = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.BCELoss,
                  nn.BCEWithLogitsLoss, nn.KLDivLoss)


def resolve_criterion(criterion) -> tuple[Callable, str, str]:
    """``(fn, name, reduction)`` of a criterion; ``reduction`` is its ``reduction``
    attribute (``"mean"``, ``"sum"``, ``"batchmean"``) or ``"unknown"`` without one."""
    if isinstance(criterion, str):
        if criterion not in LOSS_FUNCTIONS:
            raise CurvatureError(f"criterion={criterion!r}: must be a callable "
                                 f"(outputs, targets) -> scalar or one of "
                                 f"{', '.join(map(repr, LOSS_FUNCTIONS))}")
        return LOSS_FUNCTIONS[criterion], criterion, "mean"
    if not callable(criterion):
        raise CurvatureError(f"criterion={criterion!r}: must be a callable "
                             "(outputs, targets) -> scalar, e.g. nn.CrossEntropyLoss()")
    reduction = getattr(criterion, "reduction", "unknown")
    allowed = ("mean", "sum", "batchmean") if isinstance(criterion, nn.KLDivLoss) else (
        "mean", "sum", "unknown")
    if reduction not in allowed:
        raise CurvatureError(f"criterion={criterion!r}: reduction={reduction!r} gives no "
                             "scalar; use reduction='mean' (or 'sum')")
    name = (type(criterion).__name__ if isinstance(criterion, nn.Module)
            else getattr(criterion, "__name__", type(criterion).__name__))
    return criterion, name, reduction


def check_targets(criterion, name: str, targets: torch.Tensor, outputs: torch.Tensor) -> None:
    """Refuse targets of the wrong dtype (or shape) for the criterion, before any use."""
    integer = not (targets.is_floating_point() or targets.is_complex())
    if name in LOSS_FUNCTIONS or isinstance(criterion, _CLASS_TARGETS):
        if not integer and not (isinstance(criterion, nn.CrossEntropyLoss)
                                and targets.shape == outputs.shape):
            hint = (" (for float regression targets use criterion=nn.MSELoss())"
                    if name == "mse" else "")
            raise DataError(f"data: targets of dtype {targets.dtype}, but criterion={name!r} "
                            f"needs integer class labels{hint}")
        ignore = getattr(criterion, "ignore_index", None)
        labels = targets[targets != ignore] if integer and ignore is not None else targets
        if integer and labels.numel() and (
                int(labels.min()) < 0 or (outputs.ndim > 1
                                          and int(labels.max()) >= outputs.shape[1])):
            skip = "" if ignore is None else f" (besides ignore_index={ignore})"
            raise DataError(f"data: class labels in [{int(labels.min())}, "
                            f"{int(labels.max())}]{skip} but the model has "
                            f"{outputs.shape[1] if outputs.ndim > 1 else 1} outputs")
    elif isinstance(criterion, _FLOAT_TARGETS):
        if integer:
            raise DataError(f"data: targets of dtype {targets.dtype}, but criterion={name} "
                            "needs floating targets shaped like the outputs")
        if targets.shape != outputs.shape:
            raise DataError(f"data: targets of shape {tuple(targets.shape)} but outputs of "
                            f"shape {tuple(outputs.shape)}; criterion={name} would broadcast")


def _builtin_loss(criterion) -> bool:
    return (isinstance(criterion, nn.modules.loss._Loss)
            and type(criterion).__module__.startswith("torch.nn"))


def _class_weight_total(criterion, targets: torch.Tensor) -> float:
    """``sum weight[y]`` over the targets that are not ``ignore_index``."""
    valid = targets != criterion.ignore_index
    labels = targets[valid]
    if criterion.weight is None:
        return float(labels.numel())
    return float(criterion.weight.detach().to(torch.float64).cpu()[labels.cpu()].sum())


def denominators(criterion, name: str, reduction: str, batches: Sequence[Batch],
                 outputs: Callable[[torch.Tensor], torch.Tensor]) -> list[float] | None:
    """Per-batch ``D_b`` (the weight of each batch is ``D_b / sum D_b``; 1 each for
    ``reduction="sum"``), or ``None`` when the criterion's reduction is unknown."""
    if reduction == "sum":
        return [1.0] * len(batches)
    if name in LOSS_FUNCTIONS and criterion is LOSS_FUNCTIONS[name]:
        return [float(y.shape[0]) for _, y in batches]
    if not _builtin_loss(criterion):
        return None
    if reduction == "batchmean":
        return [float(y.shape[0]) for _, y in batches]
    if (isinstance(criterion, nn.CrossEntropyLoss | nn.NLLLoss)
            and not batches[0][1].is_floating_point()):
        return [_class_weight_total(criterion, y) for _, y in batches]
    if len(batches) == 1:
        return [1.0]  # one batch: its weight is 1 whatever its count of elements
    elementwise = copy.copy(criterion)
    elementwise.reduction = "none"
    with torch.no_grad():
        return [float(elementwise(outputs(x), y).numel()) for x, y in batches]


def batch_weights(criterion, name: str, reduction: str, batches: Sequence[Batch],
                  outputs: Callable[[torch.Tensor], torch.Tensor]) -> list[float] | None:
    """The weight ``w_b`` of each batch (module docstring); ``None`` when unknown."""
    dens = denominators(criterion, name, reduction, batches, outputs)
    if dens is None or reduction == "sum":
        return dens
    total = sum(dens)
    if total <= 0:
        ignore = getattr(criterion, "ignore_index", None)
        raise DataError(f"data: every target is ignore_index={ignore} (or has class weight "
                        f"0), so criterion={name}'s mean over them is 0/0")
    return [d / total for d in dens]


def merged(batches: Sequence[Batch]) -> list[Batch]:
    """All the batches as one (for a criterion whose reduction is unknown)."""
    if not all(isinstance(x, torch.Tensor) for x, _ in batches):
        raise DataError("data: batches of dict/tuple inputs cannot be joined into one, which a "
                        "criterion without a known reduction needs; give a torch loss or a "
                        "criterion with reduction='sum'")
    try:
        return [(torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches]))]
    except RuntimeError as exc:
        reason = str(exc).splitlines()[0]
        raise DataError(f"data: the batches cannot be joined into one ({reason}), which a "
                        "criterion without a known reduction needs") from None
