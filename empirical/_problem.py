"""A built training problem: data set + network + full-batch loss, from a ProblemSpec."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from empirical._data import Dataset, load_dataset
from empirical._models import build_model
from empirical._objective import TrainingLoss
from empirical._spec import ProblemSpec


@dataclass(frozen=True)
class Problem:
    """Everything an experiment needs: ``loss`` is the full-batch training loss, ``theta0``
    the seeded initial parameters (a flat vector)."""

    spec: ProblemSpec
    data: Dataset
    model: nn.Module
    loss: TrainingLoss

    @property
    def theta0(self) -> torch.Tensor:
        return self.loss.theta0

    def test_accuracy(self, theta: torch.Tensor) -> float:
        """Accuracy on the held-out test subset."""
        return self.loss.accuracy(theta, self.data.x_test, self.data.y_test)

    def group_loss(self, group: int) -> TrainingLoss:
        """The training loss restricted to one input-scale group (Section 6)."""
        mask = self.data.group_train == group
        return self.loss.with_data(self.data.x_train[mask], self.data.y_train[mask])


def build_problem(spec: ProblemSpec) -> Problem:
    """Load the data, build and seed the model, and set up the training loss of ``spec``."""
    data = load_dataset(spec)
    model = build_model(spec, data.input_shape, data.n_classes)
    for p in model.parameters():
        p.requires_grad_(False)
    loss = TrainingLoss(model, data.x_train, data.y_train, loss=spec.loss,
                        batch_size=spec.batch_size)
    return Problem(spec, data, model, loss)
