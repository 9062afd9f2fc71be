"""Structured model inputs: a batch's inputs may be a tensor, a dict of tensors (keyword
arguments, e.g. ``input_ids`` and ``attention_mask``) or a tuple/list of tensors
(positional arguments); a ``forward(model, inputs)`` adapter turns any of them, and any
output (a tuple, a dataclass with ``.logits``), into the tensor the criterion takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from empirical.errors import DataError, ModelError


def map_tensors(inputs: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """``inputs`` with ``fn`` applied to every tensor (dicts, tuples and lists walked)."""
    if isinstance(inputs, torch.Tensor):
        return fn(inputs)
    if isinstance(inputs, dict):
        return {k: map_tensors(v, fn) for k, v in inputs.items()}
    if isinstance(inputs, tuple | list):
        return type(inputs)(map_tensors(v, fn) for v in inputs)
    return inputs


def tensors_of(inputs: Any) -> list[torch.Tensor]:
    found: list[torch.Tensor] = []

    def collect(t: torch.Tensor) -> torch.Tensor:
        found.append(t)
        return t

    map_tensors(inputs, collect)
    return found


def check_inputs(inputs: Any, targets: torch.Tensor, index: int) -> None:
    """Every input tensor has the targets' first dimension (the batch)."""
    tensors = tensors_of(inputs)
    if not tensors:
        raise DataError(f"data: the inputs of batch {index} are {type(inputs).__name__} "
                        "holding no tensor")
    bad = [tuple(t.shape) for t in tensors if t.ndim == 0 or t.shape[0] != targets.shape[0]]
    if targets.ndim == 0 or bad:
        raise DataError(f"data: batch {index} has inputs of shape(s) "
                        f"{bad or [tuple(t.shape) for t in tensors]} and "
                        f"{tuple(targets.shape)} targets; they need the same first dimension")


def slice_inputs(inputs: Any, start: int, stop: int) -> Any:
    return map_tensors(inputs, lambda t: t[start:stop])


def default_forward(model: nn.Module, inputs: Any):
    """``model(**inputs)`` for a dict, ``model(*inputs)`` for a tuple/list, else
    ``model(inputs)``."""
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, tuple | list):
        return model(*inputs)
    return model(inputs)


class Adapted(nn.Module):
    """``forward(model, inputs)`` as a module whose only child is ``model`` (so
    ``functional_call`` can swap the model's tensors under the prefix ``"model."``)."""

    def __init__(self, model: nn.Module, forward: Callable | None):
        super().__init__()
        self.model = model
        self.fn = default_forward if forward is None else forward
        if not callable(self.fn):
            raise ModelError(f"forward={forward!r}: must be a callable (model, inputs) -> "
                             "outputs tensor")

    def forward(self, inputs: Any):
        return self.fn(self.model, inputs)
