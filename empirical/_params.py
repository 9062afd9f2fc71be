"""Flat parameter vectors: the layout that maps a vector theta to a network's tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from empirical.errors import CurvatureError


@dataclass(frozen=True)
class ParamLayout:
    """Names and shapes of a module's parameters, in ``named_parameters`` order.

    ``theta[offsets[i] : offsets[i] + numels[i]]`` holds parameter ``names[i]``.
    """

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.names) != len(self.shapes) or not self.names:
            raise CurvatureError("layout: needs one shape per parameter name and >= 1 parameter")

    @classmethod
    def of(cls, module: nn.Module) -> ParamLayout:
        """The layout of all of ``module``'s parameters."""
        named = [(n, tuple(p.shape)) for n, p in module.named_parameters()]
        return cls(tuple(n for n, _ in named), tuple(s for _, s in named))

    @property
    def numels(self) -> tuple[int, ...]:
        return tuple(math.prod(s) for s in self.shapes)

    @property
    def offsets(self) -> tuple[int, ...]:
        out, total = [], 0
        for n in self.numels:
            out.append(total)
            total += n
        return tuple(out)

    @property
    def dim(self) -> int:
        return sum(self.numels)

    def flatten(self, module: nn.Module) -> torch.Tensor:
        """The module's parameters as one detached vector (a copy)."""
        params = dict(module.named_parameters())
        return torch.cat([params[n].detach().reshape(-1) for n in self.names]).clone()

    def unflatten(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """Views of ``theta`` shaped like the parameters (differentiable in ``theta``)."""
        return {
            name: theta[off : off + n].view(shape)
            for name, shape, off, n in zip(
                self.names, self.shapes, self.offsets, self.numels, strict=True
            )
        }

    def load_into(self, module: nn.Module, theta: torch.Tensor) -> None:
        """Copy ``theta`` into the module's parameters (in place)."""
        views = self.unflatten(theta.detach())
        with torch.no_grad():
            for name, p in module.named_parameters():
                if name in views:
                    p.copy_(views[name])

    def block_slices(self) -> list[tuple[str, slice, tuple[int, ...]]]:
        """``(name, slice into theta, shape)`` for each parameter."""
        return [
            (name, slice(off, off + n), shape)
            for name, shape, off, n in zip(
                self.names, self.shapes, self.offsets, self.numels, strict=True
            )
        ]
